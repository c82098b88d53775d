"""The client on a real Redis Cluster (3 local shards, tests/conftest.py redis_cluster_url): a
burst larger than the connection pool waits instead of failing, and Redis itself refuses a
strict script that strays out of its keys' slot."""

import asyncio

import pytest
from redis.exceptions import ResponseError

from backend import redis as hot

pytestmark = pytest.mark.redis_cluster


async def test_a_burst_beyond_the_pool_waits_for_connections(redis_cluster_url):
    client = hot.connect(redis_cluster_url, pool_size=4)
    try:
        keys = [f"test:burst:{i}" for i in range(300)]
        await asyncio.gather(*[client.set(k, i, ex=60) for i, k in enumerate(keys)])
        values = await asyncio.gather(*[client.get(k) for k in keys])
        assert values == [str(i) for i in range(300)]

        async def piped(i):
            async with client.pipeline(transaction=False) as pipe:
                pipe.get(keys[i]).get(keys[-1 - i])
                return await pipe.execute()

        assert await asyncio.gather(*[piped(i) for i in range(100)]) == [[str(i), str(299 - i)] for i in range(100)]
        assert max(len(node._connections) for node in client.get_nodes()) <= 8
    finally:
        await client.aclose()


async def test_a_strict_script_touching_another_slot_is_refused(redis_cluster_url):
    client = hot.connect(redis_cluster_url)
    try:
        strict = "#!lua\nredis.call('SET', KEYS[1], 1)\nreturn redis.call('GET', KEYS[1] .. ':other')"
        with pytest.raises(ResponseError, match="slot|non local"):
            await client.eval(strict, 1, "test:strict")
        tagged = "#!lua\nredis.call('SET', KEYS[1], 1)\nreturn redis.call('GET', KEYS[2])"
        assert await client.eval(tagged, 2, "test:{s1}:a", "test:{s1}:a") == "1"
    finally:
        await client.aclose()
