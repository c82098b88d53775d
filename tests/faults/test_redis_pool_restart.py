"""A Redis restart while connections sit idle in the client's pool: after Redis answers again,
the first command, transaction, pipeline or script batch on each pooled connection must get
through, not hit the socket the old server closed.

redis-py 8 speaks RESP3 and turns maintenance notifications on ("auto") by default, and with
them on, its pool hands out a pooled connection without checking it (data or end-of-file
waiting on an idle connection could be a notification). backend/redis.py checks each
connection when it leaves the pool instead. Redis here is a redis-server of this test's own
(tests/faults/live.py); the machine's shared one is never touched."""

import asyncio
from types import SimpleNamespace

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from backend import redis as hot
from backend.identity.service import cache_session
from backend.redis import KeySpace, Scripts
from tests.faults.live import RedisServer, TcpCut

POOL = 8


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
    deps = SimpleNamespace(redis=client, keys=KeySpace("poolrestart:"))
    await cache_session(deps, th=f"t{i}", account_id=i, expires_ms=2**41)  # MULTI/HSET/PEXPIRE/EXEC
    return await client.hgetall(deps.keys("tok", f"t{i}"))


async def _pipeline(client, i):
    async with client.pipeline(transaction=False) as pipe:
        pipe.set(f"poolrestart:p{i}", i, ex=60).get(f"poolrestart:p{i}")
        return await pipe.execute()


async def _command(client, i):
    return await client.set(f"poolrestart:c{i}", i, ex=60)


KINDS = {
    "transaction": (_transaction, lambda i: {"a": str(i), "e": str(2**41)}),
    "pipeline": (_pipeline, lambda i: [True, str(i)]),
    "command": (_command, lambda i: True),
}


@pytest.mark.parametrize("kind", KINDS)
async def test_pooled_connections_after_a_restart(redis_server, client, kind):
    run, expected = KINDS[kind]
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
        run, expected = KINDS[kind]
        await _fill_pool(client)
        assert await relay.reset() == POOL
        results = await asyncio.gather(*[run(client, i) for i in range(POOL)], return_exceptions=True)
        assert results == [expected(i) for i in range(POOL)]
    finally:
        await hot.close(client)
        await relay.cut()
