"""A Redis restart while connections sit idle in the client's pool: after Redis answers again,
the first command, transaction, pipeline or script batch on each pooled connection must get
through, not hit the socket the old server closed.

redis-py 8 speaks RESP3 and turns maintenance notifications on ("auto") by default, and with
them on, its pool hands out a pooled connection without checking it; the cluster client never
checks a node's free connection. backend/redis.py checks each connection as it leaves the pool.
Redis here is redis-server processes of this test's own (tests/faults/live.py); the machine's
shared one is never touched."""

import asyncio
import subprocess
from types import SimpleNamespace

import pytest
from redis.asyncio.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError

from backend import redis as hot
from backend.identity.service import cache_session
from backend.redis import KeySpace, Scripts
from tests.faults.live import RedisServer, TcpCut, redis_cli_binary, start_cluster

POOL = 8
KEYS = KeySpace("poolrestart:")


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis_pool")).start()
    yield server
    server.stop()


@pytest.fixture
async def client(redis_server):
    client = hot.connect(redis_server.url, pool_size=POOL)
    yield client
    await hot.close(client)


async def _fill_pool(client) -> None:
    """Every connection of the pool opened and idle: checked out at once, then put back."""
    pool = client.connection_pool
    conns = [await pool.get_connection() for _ in range(POOL)]
    for conn in conns:
        await pool.release(conn)
    assert len(pool._available_connections) == POOL and all(c.is_connected for c in conns)


async def _restart(server: RedisServer, client) -> None:
    """Redis killed and started again on its port (empty: no persistence); the caller waits
    until a PING gets through, as the service's readiness probe does."""
    server.kill()
    server.start()
    for _ in range(POOL + 5):
        try:
            if await client.ping():
                return
        except RedisConnectionError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("Redis did not answer again")


async def _transaction(client, i):
    deps = SimpleNamespace(redis=client, keys=KEYS)
    await cache_session(deps, th=f"t{i}", account_id=i, expires_ms=2**41)  # MULTI/HSET/PEXPIRE/EXEC
    return await client.hgetall(KEYS("tok", f"t{i}"))


async def _pipeline(client, i):
    async with client.pipeline(transaction=False) as pipe:
        pipe.set(KEYS("p", i), i, ex=60).get(KEYS("p", i))
        return await pipe.execute()


async def _command(client, i):
    return await client.set(KEYS("c", i), i, ex=60)


# kind: (what it does with number i, what it returns, the one key it touches)
KINDS = {
    "transaction": (_transaction, lambda i: {"a": str(i), "e": str(2**41)}, lambda i: KEYS("tok", f"t{i}")),
    "pipeline": (_pipeline, lambda i: [True, str(i)], lambda i: KEYS("p", i)),
    "command": (_command, lambda i: True, lambda i: KEYS("c", i)),
}


@pytest.mark.parametrize("kind", KINDS)
async def test_pooled_connections_after_a_restart(redis_server, client, kind):
    run, expected, _ = KINDS[kind]
    await _fill_pool(client)
    await _restart(redis_server, client)
    # as many at once as the pool holds, so that every pooled connection is used
    results = await asyncio.gather(*[run(client, i) for i in range(POOL)], return_exceptions=True)
    assert results == [expected(i) for i in range(POOL)]


async def test_script_batches_after_a_restart(redis_server, client, tmp_path):
    """The hot path's packed EVALSHA batches: each batch may take any pooled connection."""
    script = tmp_path / "echo.lua"
    script.write_text("return ARGV[1]")
    scripts = Scripts(client, max_batch=1, in_flight=POOL)  # one call a batch: POOL batches at once
    scripts.add("echo", script)
    await scripts.load()
    await _fill_pool(client)
    await _restart(redis_server, client)
    results = await asyncio.gather(*[scripts("echo", [], [i]) for i in range(POOL)], return_exceptions=True)
    assert results == [str(i) for i in range(POOL)]


@pytest.mark.parametrize("kind", KINDS)
async def test_pooled_connections_reset_while_idle(redis_server, kind):
    """Connections reset while idle (a TCP RST: a middlebox, or a dead peer found by keepalive)
    end up with an error recorded on them rather than an end of file; Redis itself is fine."""
    relay = await TcpCut(("127.0.0.1", redis_server.port)).start()
    client = hot.connect(f"redis://127.0.0.1:{relay.port}/0", pool_size=POOL)
    try:
        run, expected, _ = KINDS[kind]
        await _fill_pool(client)
        assert await relay.reset() == POOL
        results = await asyncio.gather(*[run(client, i) for i in range(POOL)], return_exceptions=True)
        assert results == [expected(i) for i in range(POOL)]
    finally:
        await hot.close(client)
        await relay.cut()


# --- the same on a Redis Cluster: one node restarted ---


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    nodes = start_cluster(tmp_path_factory.mktemp("redis_pool_cluster"), shards=3)
    yield nodes
    for node in nodes:
        node.stop()


def _cluster_ok(nodes) -> bool:
    cli = redis_cli_binary()
    return all(
        "cluster_state:ok"
        in subprocess.run([cli, "-p", str(n.port), "cluster", "info"], capture_output=True, text=True).stdout
        for n in nodes
    )


@pytest.fixture
def connection_failures(monkeypatch):
    """Every read or write that failed on a connection (the cluster client hides them: it
    reloads the cluster's layout and sends again)."""
    failures = []

    def counting(method):
        original = getattr(Connection, method)

        async def wrapper(self, *args, **kwargs):
            try:
                return await original(self, *args, **kwargs)
            except (RedisConnectionError, OSError) as exc:
                failures.append(f"{method}: {exc!r}")
                raise

        monkeypatch.setattr(Connection, method, wrapper)

    counting("read_response")
    counting("send_packed_command")
    return failures


@pytest.mark.parametrize("kind", KINDS)
async def test_cluster_node_restarted(cluster, kind, connection_failures):
    run, expected, key = KINDS[kind]
    victim = cluster[0]
    client = hot.connect("redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in cluster), pool_size=POOL)
    try:
        await client.initialize()
        node = client.get_node(host="127.0.0.1", port=victim.port)
        numbers = [i for i in range(2000) if client.get_node_from_key(key(i)) is node][:POOL]
        # the restarted node's connections opened and idle: as many reads at once as the pool holds
        await asyncio.gather(*[client.exists(key(i)) for i in numbers])
        assert len(node._free) == POOL and all(c.is_connected for c in node._free)
        victim.kill()
        victim.start()  # with its nodes.conf: the same node, serving the same slots, empty
        for _ in range(100):
            if _cluster_ok(cluster):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the cluster did not recover")
        results = await asyncio.gather(*[run(client, i) for i in numbers], return_exceptions=True)
        assert results == [expected(i) for i in numbers]
        assert connection_failures == []  # none was sent on a connection the old server had closed
    finally:
        await client.aclose()
