"""Batched script calls (backend/redis.Scripts) on this machine's Redis: while a batch is on its
way, later calls leave in further batches, up to `in_flight` at once and never more, and every
caller gets its own reply."""

import asyncio

from backend import redis as hot
from backend.redis import Scripts
from tests.conftest import REDIS_URL, RUN_ID

USED = """
local out = {}
for i = 1, #KEYS do out[i] = redis.call('EXISTS', KEYS[i]) end
return out
"""


async def test_batches_overlap_up_to_the_window_and_each_caller_gets_its_reply(tmp_path):
    client = hot.connect(REDIS_URL)
    script = tmp_path / "used.lua"
    script.write_text(USED)
    scripts = Scripts(client, in_flight=3)
    scripts.add("used", script)
    await scripts.load()
    keys = [f"t{RUN_ID}:batches:{i}" for i in range(40)]
    await client.set(keys[7], 1, ex=60)
    await client.set(keys[31], 1, ex=60)

    on_the_way, most, batches = 0, 0, 0
    real = scripts._pipeline

    async def slow_pipeline(batch):  # a slow network: each batch is out for 20 ms
        nonlocal on_the_way, most, batches
        on_the_way += 1
        batches += 1
        most = max(most, on_the_way)
        try:
            await asyncio.sleep(0.02)
            return await real(batch)
        finally:
            on_the_way -= 1

    scripts._pipeline = slow_pipeline

    async def ask(i):
        await asyncio.sleep(0.002 * i)  # arriving one after another, not all in one turn
        return await scripts.batched("used", call_keys=[keys[i]])

    try:
        replies = await asyncio.gather(*[ask(i) for i in range(len(keys))])
    finally:
        await client.delete(*keys)
        await hot.close(client)
    assert replies == [1 if i in (7, 31) else 0 for i in range(len(keys))]
    assert most == 3  # overlapping, and within the window
    assert batches < len(keys)  # calls that arrived while the window was full went together
