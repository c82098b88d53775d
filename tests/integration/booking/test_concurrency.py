"""The 13:00 flash crowd, with real concurrency against the real Redis and PostgreSQL."""

import asyncio
import time
from datetime import date, timedelta

import pytest

from backend.booking import store
from backend.clock import clock
from tests.integration.booking.bulk import bulk_residents
from tests.integration.booking.conftest import at

pytestmark = pytest.mark.postgres_only
D = date(2026, 12, 20)


async def _hold(client, resident, schedule_id, ip="127.0.0.1"):
    target = client if ip == "127.0.0.1" else client.from_ip(ip)
    _, r = await target.post("/api/v1/holds", json={"schedule_id": schedule_id, "card_id": resident.card_id}, headers=resident.headers)
    return r


async def test_1000_cards_race_for_100_slots(deps, catalog, client):
    deps.settings = deps.settings.with_overrides(hold_rate_per_ip=100_000)
    clock.freeze(at(date(2026, 12, 13), "12:59"))
    s = await catalog.schedule(day=D, capacity=100)
    crowd = await bulk_residents(deps, 1000)
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    results = await asyncio.gather(*[_hold(client, r, s["id"]) for r in crowd])
    statuses = [r.status for r in results]
    assert statuses.count(201) == 100, {code: statuses.count(code) for code in set(statuses)}
    assert statuses.count(409) == 900
    assert all(r.json["error"]["code"] == "sold_out" for r in results if r.status == 409)
    assert len({r.json["hold_id"] for r in results if r.status == 201}) == 100
    used = await store.used_slots(deps, [s["id"]], clock.now_ms())
    assert used[s["id"]] == 100


async def test_one_card_firing_20_at_once_gets_one(deps, catalog, client):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=50)
    (me,) = await bulk_residents(deps, 1)
    results = await asyncio.gather(*[_hold(client, me, s["id"]) for _ in range(20)])
    statuses = sorted(r.status for r in results)
    assert statuses == [201] + [409] * 19
    assert {r.json["error"]["code"] for r in results if r.status == 409} == {"already_held"}
    assert (await store.used_slots(deps, [s["id"]], clock.now_ms()))[s["id"]] == 1


async def test_one_card_racing_across_sessions_of_a_day_gets_three(deps, catalog, client):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    hospital = await catalog.hospital()
    sessions = [await catalog.schedule(hospital=hospital, department=await catalog.department(hospital), day=D) for _ in range(8)]
    (me,) = await bulk_residents(deps, 1)
    results = await asyncio.gather(*[_hold(client, me, s["id"]) for s in sessions])
    assert sorted(r.status for r in results) == [201] * 3 + [429] * 5


async def test_expiring_holds_under_load_never_push_stock_outside_0_to_capacity(deps, catalog, client):
    """Holds last 1 s here while waves of requests keep arriving for 3 s: a sampler reads the
    schedule's stock throughout and it must always be within [0, capacity]."""
    deps.settings = deps.settings.with_overrides(hold_ttl_s=1, hold_rate_per_ip=100_000, hold_rate_per_account=100_000)
    clock.set(at(date(2026, 12, 13), "12:59"))  # running, not frozen: holds really expire
    capacity = 20
    s = await catalog.schedule(day=D, capacity=capacity)
    crowd = await bulk_residents(deps, 300)
    clock.set(at(date(2026, 12, 13), "13:00"))
    samples: list[int] = []
    stop = asyncio.Event()

    async def sampler():
        while not stop.is_set():
            now_ms = clock.now_ms()
            holds = await deps.redis.zcount(deps.keys("sh", s["id"]), f"({now_ms}", "+inf")
            booked = await deps.redis.scard(deps.keys("sb", s["id"]))
            samples.append(holds + booked)
            await asyncio.sleep(0.005)

    granted = 0
    sampling = asyncio.create_task(sampler())
    deadline = time.monotonic() + 3
    wave = 0
    while time.monotonic() < deadline:
        batch = crowd[(wave * 60) % 300:(wave * 60) % 300 + 60]
        results = await asyncio.gather(*[_hold(client, r, s["id"]) for r in batch])
        granted += sum(r.status == 201 for r in results)
        assert {r.status for r in results} <= {201, 409}
        wave += 1
    stop.set()
    await sampling
    assert samples and min(samples) >= 0 and max(samples) <= capacity, (min(samples), max(samples))
    assert granted > capacity  # slots really came back and were taken again
    now_ms = clock.now_ms() + 1100
    clock.advance(seconds=1.1)
    assert (await store.used_slots(deps, [s["id"]], now_ms))[s["id"]] == 0
