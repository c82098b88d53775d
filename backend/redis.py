"""Redis wiring: the shared hot store for tokens, SMS codes, rate limits, QR single-use and holds.

Production talks to a real Redis through a BlockingConnectionPool (the default pool raises past
its size instead of waiting). The embedded default (no REDIS_URL) uses an in-process server,
fakeredis with real Lua (lupa), so the very same Lua scripts give the same semantics for one worker.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import hiredis
import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, ResponseError

log = logging.getLogger("ehealth.redis")


def connect(url: str, *, pool_size: int = 64) -> aioredis.Redis:
    if url:
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=pool_size, timeout=10, decode_responses=True
        )
        return aioredis.Redis(connection_pool=pool)
    try:
        import fakeredis
    except ImportError:  # production installs leave the embedded extra out
        raise RuntimeError("REDIS_URL is not set and the embedded store is not installed: pip install '.[embedded]'") from None

    return fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer(), decode_responses=True)


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
    share a Redis without touching each other's keys."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)


class Scripts:
    """Lua scripts as files, loaded once at start-up, called by name with EVALSHA.

    Calls made while others are on their way are sent together in one pipeline (automatic
    pipelining): under a flash crowd, hundreds of concurrent holds share a few round trips
    instead of each paying redis-py's per-command cost (about 100 us of Python per call,
    against about 10 us pipelined). Each script still runs atomically on its own; only the
    network trip is shared.
    """

    def __init__(self, client: aioredis.Redis, *, max_batch: int = 512, max_group: int = 256, in_flight: int = 4) -> None:
        self._client = client
        self._groups: dict[tuple, list] = {}
        self._max_group = max_group
        # the in-process store (fakeredis) has no sockets to write to: it takes the plain path
        self._raw = not is_embedded(client)
        self._source: dict[str, str] = {}
        self._sha: dict[str, str] = {}
        self._pending: list[tuple[str, list, asyncio.Future]] = []
        self._flushing = False
        self._max_batch = max_batch
        # Batches on their way at once. With one, Redis sat idle while the worker handled a
        # batch's replies, and the worker sat idle while Redis ran the next batch (a granted
        # hold's writes take Redis ~50 us each, so a batch of 100 is 5 ms of waiting); with a
        # few, each side works while the other does.
        self._in_flight = in_flight
        self._sending: set[asyncio.Task] = set()

    def add(self, name: str, path: Path) -> None:
        self._source[name] = path.read_text()

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

    async def batched(self, name: str, common: list, args: list):
        """Call a script written to take many calls at once (see booking/lua/hold.lua): the
        calls waiting together go to Redis as one EVALSHA of `common` followed by each call's
        `args`, and each caller gets its own element of the reply."""
        if name not in self._sha:
            self._sha[name] = await self._client.script_load(self._source[name])
        future = asyncio.get_running_loop().create_future()
        self._groups.setdefault((name, tuple(common)), []).append((args, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending or self._groups:
                while len(self._sending) >= self._in_flight:  # calls meanwhile join the next batch
                    await asyncio.wait(self._sending, return_when=asyncio.FIRST_COMPLETED)
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch:]
                groups, self._groups = self._groups, {}
                for (name, common), members in groups.items():
                    for i in range(0, len(members), self._max_group):
                        chunk = members[i: i + self._max_group]
                        argv = [0, *common]
                        for args, _ in chunk:
                            argv.extend(args)
                        batch.append((name, argv, _FanOut(chunk)))
                sending = asyncio.get_running_loop().create_task(self._send(batch))
                self._sending.add(sending)
                sending.add_done_callback(self._sending.discard)
        finally:
            self._flushing = False

    async def _send(self, batch: list) -> None:
        try:
            results = await self._pipeline(batch)
            missing = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
            if missing:  # Redis restarted or SCRIPT FLUSH: load again, retry those once
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
            async with self._client.pipeline(transaction=False) as pipe:
                for name, args, _ in batch:
                    pipe.evalsha(self._sha[name], *args)
                return await pipe.execute(raise_on_error=False)
        # The same pipeline without redis-py's per-command bookkeeping: hiredis packs the whole
        # batch in C, one write, then one reply read per call on the same pooled connection.
        packed = b"".join(hiredis.pack_command(("EVALSHA", self._sha[name], *args)) for name, args, _ in batch)
        pool = self._client.connection_pool
        conn = await pool.get_connection()
        try:
            await conn.send_packed_command(packed, check_health=False)
            results = []
            for _ in batch:
                try:
                    results.append(await conn.read_response())
                except ResponseError as exc:  # a reply that is an error: the stream stays in step
                    results.append(exc)
        except BaseException:
            await conn.disconnect()  # replies may be half-read: never reuse this connection
            raise
        finally:
            await pool.release(conn)
        return results


class _FanOut:
    """Stands in for the future of one batched EVALSHA and hands each caller its reply."""

    def __init__(self, members: list) -> None:
        self._members = members

    def done(self) -> bool:
        return all(future.done() for _, future in self._members)

    def set_exception(self, exc: BaseException) -> None:
        for _, future in self._members:
            if not future.done():
                future.set_exception(exc)

    def set_result(self, replies: list) -> None:
        for (_, future), reply in zip(self._members, replies):
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
