"""Redis wiring: the shared hot store for tokens, SMS codes, rate limits, QR single-use and holds.

Production talks to a real Redis through a BlockingConnectionPool (the default pool raises past
its size instead of waiting), or to a Redis Cluster when REDIS_URL is
`redis+cluster://host:port[,host:port...]` (`rediss+cluster://` for TLS). The embedded default
(no REDIS_URL) uses an in-process server, fakeredis with real Lua (lupa), so the very same Lua
scripts give the same semantics for one worker.

Keys and slots (docs/operations.md, section 4): every key starts with the deployment's prefix;
keys that one script or transaction touches together share a hash tag (`{s<schedule>}`,
`{c<card>}`, `{a<account>}`, ...), so on a cluster each such call stays on one shard.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

import hiredis
import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.asyncio.connection import Connection, SSLConnection
from redis.crc import key_slot
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

log = logging.getLogger("ehealth.redis")


CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")


def connect(url: str, *, pool_size: int = 64) -> aioredis.Redis:
    if url.split("://", 1)[0] in CLUSTER_SCHEMES:
        return connect_cluster(url, pool_size=pool_size)
    if url:
        pool = _CheckedPool.from_url(url, max_connections=pool_size, timeout=10, decode_responses=True)
        return aioredis.Redis(connection_pool=pool)
    try:
        import fakeredis
    except ImportError:  # production installs leave the embedded extra out
        raise RuntimeError(
            "REDIS_URL is not set and the embedded store is not installed: pip install '.[embedded]'"
        ) from None

    return fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer(), decode_responses=True)


class _CheckedPool(aioredis.BlockingConnectionPool):
    """A pool that does not hand out a connection the server has closed.

    redis-py's pool checks a connection as it leaves the pool, unless maintenance notifications
    are on, and redis-py 8 turns them on by default (RESP3, "auto"): then a connection whose
    server went away while it sat idle (a restart, a failover) is handed out as it is, and the
    first command on it, or the first transaction, whose retry redis-py leaves at none, fails
    although Redis answers again. Here each connection is checked as it leaves the pool, from
    what the event loop already knows of its socket: no round trip, no system call."""

    async def ensure_connection(self, connection) -> None:
        if connection.is_connected and await _closed_or_dirty(connection):
            await connection.disconnect(nowait=True)  # connect() below opens a new one
        await connection.connect()


async def _closed_or_dirty(connection) -> bool:
    """Closed by the server (see _peer_gone), or bytes wait on it that no command asked for:
    not to be used."""
    if _peer_gone(connection):
        return True
    try:
        return await connection.can_read()  # unread bytes, in the stream or the parser
    except RedisConnectionError:
        return True


def _peer_gone(connection) -> bool:
    """The server closed the connection (end of file) or it was reset or timed out (an error
    the event loop recorded on the stream, the transport closing), as far as the event loop
    has already seen: nothing is read or sent to find out."""
    reader, writer = connection._reader, connection._writer
    return reader.at_eof() or reader.exception() is not None or writer.transport.is_closing()


class _DropsClosed:
    """For the cluster client's connections: redis-py's ClusterNode takes a free connection
    without any check, then drops it first if it `should_reconnect()` (except in a transaction
    between WATCH and EXEC, whose connection must stay). Answering yes for a connection whose
    server has closed it makes a node's restart cost nothing. Otherwise the first command,
    pipeline or transaction on each such connection fails, and redis-py hides that by sending it
    again, after a back-off and with the cluster's layout reloaded (after a restart, half a
    second for the first transaction in tests/faults/test_redis_pool_restart.py)."""

    def should_reconnect(self) -> bool:
        return super().should_reconnect() or (self.is_connected and _peer_gone(self))


class _ClusterConnection(_DropsClosed, Connection):
    pass


class _ClusterSSLConnection(_DropsClosed, SSLConnection):
    pass


def connect_cluster(url: str, *, pool_size: int = 64) -> RedisCluster:
    """`redis+cluster://[user:password@]host:port[,host:port...]`: any reachable node is enough
    to start (the client learns the others from it); list several so that one being down at
    start-up does not matter. Up to `pool_size` connections per node."""
    parts = urlsplit(url)
    credentials, _, hosts = parts.netloc.rpartition("@")
    username, _, password = credentials.partition(":")
    nodes = []
    for hostport in hosts.split(","):
        host, _, port = hostport.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"REDIS_URL: cluster node {hostport!r} is not host:port")
        nodes.append(ClusterNode(host.strip("[]"), int(port)))
    if parts.path not in ("", "/", "/0"):
        raise ValueError("REDIS_URL: a Redis Cluster has only database 0")
    return _WaitingCluster(
        startup_nodes=nodes,
        username=unquote(username) or None,
        password=unquote(password) or None,
        ssl=parts.scheme == "rediss+cluster",
        decode_responses=True,
        # up to pool_size commands and pipelines at a time (below); the rest of each node's pool
        # is for transactions between their WATCH and EXEC, which hold a connection meanwhile
        max_connections=2 * pool_size,
        in_flight=pool_size,
    )


class _WaitingCluster(RedisCluster):
    """A cluster client whose callers wait for a connection, as the single-Redis
    BlockingConnectionPool has them do: redis-py's cluster client raises MaxConnectionsError as
    soon as a node's pool is used up, which under a burst (every resident request reads its
    session) would turn load into refusals. At most `in_flight` commands and pipelines are on
    their way at once; each uses at most one connection per node. (A pipeline resends a
    redirected command through the client while holding its turn: that one does not wait.)"""

    def __init__(self, *args, in_flight: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._turns = asyncio.Semaphore(in_flight)
        # every node's connections are _DropsClosed ones: the nodes met so far (the start-up
        # list) and those the client creates later from the shared connection settings
        shared = self.nodes_manager.connection_kwargs
        shared["connection_class"] = (
            _ClusterSSLConnection if issubclass(shared["connection_class"], SSLConnection) else _ClusterConnection
        )
        for node in self.nodes_manager.startup_nodes.values():
            node.connection_class = shared["connection_class"]

    async def execute_command(self, *args, **kwargs):
        async with _turn(self._turns):
            return await super().execute_command(*args, **kwargs)

    def pipeline(self, transaction=None, shard_hint=None) -> "ClusterPipeline":
        if shard_hint:
            return super().pipeline(transaction, shard_hint)  # refused by redis-py, as it should be
        return _WaitingPipeline(self, transaction)


class _WaitingPipeline(ClusterPipeline):
    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True):
        async with _turn(self.cluster_client._turns):
            return await super().execute(raise_on_error, allow_redirections)


_HOLDING_TURN: contextvars.ContextVar[bool] = contextvars.ContextVar("redis_cluster_turn", default=False)


@contextlib.asynccontextmanager
async def _turn(turns: asyncio.Semaphore):
    """One of the cluster client's turns, unless this task already holds one (a redirected
    command resent from inside a pipeline's turn)."""
    if _HOLDING_TURN.get():
        yield
        return
    async with turns:
        token = _HOLDING_TURN.set(True)
        try:
            yield
        finally:
            _HOLDING_TURN.reset(token)


def is_cluster(client) -> bool:
    return isinstance(client, RedisCluster)


def mode(client) -> str:
    return "embedded" if is_embedded(client) else "cluster" if is_cluster(client) else "redis"


async def sweep_expired(client) -> int:
    """The embedded store forgets an expired key only when something touches it; keys nobody
    reads again (SMS counters, nonces, used QR codes) would pile up for as long as the process
    lives. DBSIZE makes it drop every key that is due. A real Redis expires keys itself."""
    if not is_embedded(client):
        return 0
    return await client.dbsize()


def is_embedded(client) -> bool:
    return type(client).__module__.startswith("fakeredis")


class KeySpace:
    """Every key this service writes starts with one prefix, so deployments and test runs can
    share a Redis without touching each other's keys.

    `tagged(tag, ...)` names a key of a group that is read or written together (one schedule's
    stock and holds, one card's per-day sets, one account's cards): `<prefix>{<tag>}:...`. Redis
    Cluster places a key by the part in braces, so every key of a group is on the same shard and
    one script can touch them all. The prefix may not contain braces, or it would be the tag."""

    def __init__(self, prefix: str) -> None:
        if "{" in prefix or "}" in prefix:
            raise ValueError("REDIS_PREFIX must not contain braces (they would be every key's hash tag)")
        self.prefix = prefix

    def __call__(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)

    def tagged(self, tag: object, *parts: object) -> str:
        return f"{self.prefix}{{{tag}}}:" + ":".join(str(p) for p in parts)


class Scripts:
    """Lua scripts as files, loaded once at start-up, called by name with EVALSHA.

    Calls made while others are on their way are sent together in one pipeline (automatic
    pipelining): under a flash crowd, hundreds of concurrent holds share a few round trips
    instead of each paying redis-py's per-command cost (about 100 us of Python per call,
    against about 10 us pipelined). Each script still runs atomically on its own; only the
    network trip is shared.

    Every call names the keys it touches in KEYS, so that a cluster client can route it to the
    shard that holds them; scripts for a cluster start with `#!lua`, which makes Redis refuse a
    call whose keys are in more than one slot. (The two fused scripts of the single-Redis fast
    path, booking/lua/hold.lua and qr/lua/fetch.lua, build their keys themselves and are never
    sent to a cluster: `cluster` tells their callers to take the path in steps.)
    """

    def __init__(
        self, client: aioredis.Redis, *, max_batch: int = 512, max_group: int = 256, in_flight: int = 4
    ) -> None:
        self._client = client
        self._groups: dict[tuple, list] = {}
        self._max_group = max_group
        self._embedded = is_embedded(client)
        self.cluster = is_cluster(client)
        # the in-process store has no sockets to write to, and a cluster's pipeline must be split
        # by node: both take redis-py's pipeline instead of the packed one
        self._raw = not self._embedded and not self.cluster
        self._source: dict[str, str] = {}
        self._sha: dict[str, str] = {}
        self._pending: list[tuple[str, list, asyncio.Future]] = []
        self._flushing = False
        self._max_batch = max_batch
        # Batches on their way at once. With one, Redis sat idle while the worker handled a
        # batch's replies, and the worker sat idle while Redis ran the next batch (a granted
        # hold takes Redis 25-35 us, so a batch of 100 is about 3 ms of waiting); with a few,
        # each side works while the other does.
        self._in_flight = in_flight
        self._sending: set[asyncio.Task] = set()

    def add(self, name: str, path: Path) -> None:
        source = path.read_text()
        if self._embedded and source.startswith("#!"):
            # fakeredis hands the body to Lua as is, and Lua knows no shebang line (Redis reads
            # the script's flags from it; one process has no slots to keep apart anyway)
            source = "--" + source
        self._source[name] = source

    async def load(self) -> None:
        for name, source in self._source.items():
            self._sha[name] = await self._client.script_load(source)

    async def __call__(self, name: str, keys: list[str], args: list[object]):
        if name not in self._sha:
            self._sha[name] = await self._client.script_load(self._source[name])
        future = asyncio.get_running_loop().create_future()
        self._pending.append((name, [len(keys), *keys, *args], future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def batched(self, name: str, *, keys: list = (), common: list = (), call_keys: list = (), args: list = ()):
        """Call a script written to take many calls at once (see booking/lua/hold.lua): the
        calls waiting together go to Redis as one EVALSHA whose KEYS are `keys` followed by each
        call's `call_keys`, and whose ARGV is `common` followed by each call's `args`; each
        caller gets its own element of the reply. On a cluster only calls whose keys share a
        slot go together (the caller keeps `keys` and its `call_keys` in one slot)."""
        if name not in self._sha:
            self._sha[name] = await self._client.script_load(self._source[name])
        loop = asyncio.get_running_loop()  # (each call of it is a getpid() system call)
        future = loop.create_future()
        slot = key_slot(call_keys[0].encode()) if self.cluster and call_keys else None
        self._groups.setdefault((name, tuple(keys), tuple(common), slot), []).append((call_keys, args, future))
        if not self._flushing:
            self._flushing = True
            loop.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending or self._groups:
                while len(self._sending) >= self._in_flight:  # calls meanwhile join the next batch
                    await asyncio.wait(self._sending, return_when=asyncio.FIRST_COMPLETED)
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
                groups, self._groups = self._groups, {}
                for (name, keys, common, _), members in groups.items():
                    for i in range(0, len(members), self._max_group):
                        chunk = members[i : i + self._max_group]
                        all_keys, argv = list(keys), list(common)
                        for call_keys, args, _ in chunk:
                            all_keys.extend(call_keys)
                            argv.extend(args)
                        batch.append((name, [len(all_keys), *all_keys, *argv], _FanOut(chunk)))
                sending = asyncio.get_running_loop().create_task(self._send(batch))
                self._sending.add(sending)
                sending.add_done_callback(self._sending.discard)
        finally:
            self._flushing = False

    async def _send(self, batch: list) -> None:
        try:
            results = await self._pipeline(batch)
            missing = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
            if missing:  # Redis restarted, SCRIPT FLUSH, or a new cluster node: load again, retry those once
                for name in {batch[i][0] for i in missing}:
                    self._sha[name] = await self._client.script_load(self._source[name])
                retried = await self._pipeline([batch[i] for i in missing])
                for i, r in zip(missing, retried):
                    results[i] = r
        except Exception as exc:  # connection lost etc.: every caller in the batch hears of it
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, _, future), result in zip(batch, results):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _pipeline(self, batch: list) -> list:
        if not self._raw:
            # A cluster pipeline sends each call to the node of its keys' slot, one trip per
            # node. (redis-py blocks its evalsha() method in cluster pipelines, not the command,
            # which it routes by the KEYS every call here names.)
            async with self._client.pipeline(transaction=False) as pipe:
                for name, args, _ in batch:
                    pipe.execute_command("EVALSHA", self._sha[name], *args)
                return await pipe.execute(raise_on_error=False)
        # The same pipeline without redis-py's per-command bookkeeping: hiredis packs the whole
        # batch in C, one write, then one reply read per call on the same pooled connection.
        packed = b"".join(hiredis.pack_command(("EVALSHA", self._sha[name], *args)) for name, args, _ in batch)
        pool = self._client.connection_pool
        for attempt in (1, 2):
            conn = await pool.get_connection()
            results = []
            try:
                await conn.send_packed_command(packed, check_health=False)
                for _ in batch:
                    try:
                        results.append(await conn.read_response())
                    except ResponseError as exc:  # a reply that is an error: the stream stays in step
                        results.append(exc)
                return results
            except RedisConnectionError:
                await conn.disconnect()
                if results or attempt == 2:
                    raise
                # not one reply: a pooled connection that died while idle (Redis restarted since
                # it was last used), found by using it. Once more, on a new connection. (Had Redis
                # run the calls and died before answering, a hold asked again answers already_held
                # with its id, as after any lost answer.)
            except BaseException:
                await conn.disconnect()  # replies may be half-read: never reuse this connection
                raise
            finally:
                await pool.release(conn)


class _FanOut:
    """Stands in for the future of one batched EVALSHA and hands each caller its reply."""

    def __init__(self, members: list) -> None:
        self._members = members

    def done(self) -> bool:
        return all(future.done() for *_, future in self._members)

    def set_exception(self, exc: BaseException) -> None:
        for *_, future in self._members:
            if not future.done():
                future.set_exception(exc)

    def set_result(self, replies: list) -> None:
        for (*_, future), reply in zip(self._members, replies):
            if future.done():
                continue
            if isinstance(reply, list) and reply and reply[0] == "error":  # a Lua error in that one call
                future.set_exception(ResponseError(str(reply[1])))
            else:
                future.set_result(reply)


async def ping(client) -> bool:
    try:
        return bool(await client.ping())
    except Exception:  # health reports it; callers decide
        log.warning("redis ping failed", exc_info=True)
        return False


async def close(client) -> None:
    await client.aclose()
