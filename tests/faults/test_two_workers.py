"""Two workers, one hot schedule (issue 15, point 6): `python -m backend serve --workers 2` in
production mode sharing this machine's Redis and PostgreSQL; 1,000 residents hold at once on a
session of 100 slots, and one resident's card is sent 20 times at once."""

from collections import Counter

import pytest
import redis.asyncio as aioredis

from backend.clock import clock
from tests.faults.live import SHARED_REDIS, Service, hold_burst


@pytest.fixture(scope="module")
async def service(tmp_path_factory):
    svc = Service(tmp_path_factory.mktemp("two_workers"), "live_two", workers=2)
    await svc.create_database()
    try:
        seeded = await svc.seed(cards=1000, schedules=2, capacity=100)
        await svc.start()
        yield svc, seeded
    finally:
        svc.stop()
        await svc.drop_database()
        r = aioredis.from_url(SHARED_REDIS)
        keys = [k async for k in r.scan_iter(match=svc.env["REDIS_PREFIX"] + "*", count=1000)]
        if keys:
            await r.delete(*keys)
        await r.aclose()


async def used_in_redis(svc: Service, sid: int) -> int:
    r = aioredis.from_url(SHARED_REDIS)
    try:
        return await r.zcount(f"{svc.env['REDIS_PREFIX']}sh:{sid}", f"({clock.now_ms()}", "+inf")
    finally:
        await r.aclose()


async def test_1000_residents_on_100_slots_get_exactly_100(service):
    svc, seeded = service
    assert len(svc.worker_pids()) >= 2
    sid = seeded["schedules"][0]
    results = await hold_burst(svc.base, [(token, card, sid) for token, card in seeded["residents"]])
    statuses = Counter(status for status, _ in results)
    codes = Counter(body.get("error", {}).get("code") for status, body in results if status != 201)
    assert statuses == {201: 100, 409: 900}, (statuses, codes)
    assert codes == {"sold_out": 900}
    assert len({body["hold_id"] for status, body in results if status == 201}) == 100
    assert await used_in_redis(svc, sid) == 100


async def test_one_card_sent_20_times_at_once_gets_one_hold(service):
    svc, seeded = service
    sid = seeded["schedules"][1]
    token, card = seeded["residents"][0]
    results = await hold_burst(svc.base, [(token, card, sid)] * 20)
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 409: 19}, statuses
    held = next(body["hold_id"] for status, body in results if status == 201)
    refusals = [body["error"] for status, body in results if status == 409]
    assert all(e["code"] == "already_held" and e["hold_id"] == held for e in refusals)
    assert await used_in_redis(svc, sid) == 1
