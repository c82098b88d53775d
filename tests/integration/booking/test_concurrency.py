"""The 13:00 flash crowd, with real concurrency against the real Redis and PostgreSQL."""

import asyncio
import time
from datetime import date

import pytest

from backend.booking import store
from backend.clock import clock
from tests.integration.booking.bulk import bulk_residents
from tests.integration.conftest import at

pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("hold_path")]
D = date(2026, 12, 20)


async def _hold(client, resident, schedule_id, ip="127.0.0.1"):
    target = client if ip == "127.0.0.1" else client.from_ip(ip)
    _, r = await target.post(
        "/api/v1/holds", json={"schedule_id": schedule_id, "card_id": resident.card_id}, headers=resident.headers
    )
    return r


async def test_1000_cards_race_for_100_slots(deps, catalog, client):
    deps.settings = deps.settings.with_overrides(booking={"hold_rate_per_ip": 100_000})
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
    sessions = [
        await catalog.schedule(hospital=hospital, department=await catalog.department(hospital), day=D)
        for _ in range(8)
    ]
    (me,) = await bulk_residents(deps, 1)
    results = await asyncio.gather(*[_hold(client, me, s["id"]) for s in sessions])
    assert sorted(r.status for r in results) == [201] * 3 + [429] * 5


async def test_expiring_holds_under_load_never_push_stock_outside_0_to_capacity(deps, catalog, client):
    """Holds last 1 s here while waves of requests keep arriving for 3 s: a sampler reads the
    schedule's stock throughout and it must always be within [0, capacity]."""
    deps.settings = deps.settings.with_overrides(
        booking={"hold_ttl_s": 1, "hold_rate_per_ip": 100_000, "hold_rate_per_account": 100_000}
    )
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
            samples.append(await deps.redis.zcount(store.schedule_key(deps, s["id"], "sh"), f"({now_ms}", "+inf"))
            await asyncio.sleep(0.005)

    granted = 0
    sampling = asyncio.create_task(sampler())
    deadline = time.monotonic() + 3
    wave = 0
    while time.monotonic() < deadline:
        batch = crowd[(wave * 60) % 300 : (wave * 60) % 300 + 60]
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


async def _pay_all(client, deps, crowd_by_hold):
    """Start every payment, pay them all in the stand-in, then deliver every notification at once."""
    from tests.integration.conftest import Payer

    payer = Payer(client, deps)

    async def start(resident, hold_id):
        _, r = await client.post(f"/api/v1/holds/{hold_id}/payment", headers=resident.headers)
        assert r.status == 200, r.json
        return r.json["out_trade_no"]

    orders = await asyncio.gather(*[start(r, h) for h, r in crowd_by_hold.items()])
    notes = [payer.standin.complete_payment(otn) for otn in orders]
    results = await asyncio.gather(*[payer.deliver(h, b) for h, b in notes])
    assert {r.status for r in results} == {204}
    return orders


async def test_after_all_payments_bookings_equal_capacity_numbered_1_to_100(deps, catalog, client):
    from backend.booking.models import Booking

    deps.settings = deps.settings.with_overrides(booking={"hold_rate_per_ip": 100_000})
    clock.freeze(at(date(2026, 12, 13), "12:59"))
    s = await catalog.schedule(day=D, capacity=100)
    crowd = await bulk_residents(deps, 400)
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    results = await asyncio.gather(*[_hold(client, r, s["id"]) for r in crowd])
    winners = {res.json["hold_id"]: r for r, res in zip(crowd, results) if res.status == 201}
    assert len(winners) == 100
    await _pay_all(client, deps, winners)
    bookings = await Booking.filter(schedule_id=s["id"], status="confirmed")
    assert len(bookings) == 100
    assert sorted(b.visit_number for b in bookings) == list(range(1, 101))
    assert len({b.card_id for b in bookings}) == 100
    _, r = await client.get(f"/api/v1/schedules/{s['id']}")
    assert r.json["remaining"] == 0


async def test_redis_flushed_mid_run_then_rebuilt_loses_nothing_and_never_oversells(deps, catalog, client):
    from backend.booking.models import Booking
    from backend.booking.service import rebuild_stock
    from backend.payments.models import Payment
    from tests.integration.conftest import Payer

    deps.settings = deps.settings.with_overrides(booking={"hold_rate_per_ip": 100_000})
    clock.freeze(at(date(2026, 12, 13), "12:59"))
    capacity = 10
    s = await catalog.schedule(day=D, capacity=capacity)
    crowd = await bulk_residents(deps, 60)
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    first = await asyncio.gather(*[_hold(client, r, s["id"]) for r in crowd[:20]])
    winners = [(res.json["hold_id"], r) for r, res in zip(crowd, first) if res.status == 201]
    assert len(winners) == capacity
    paid_now, paid_later = dict(winners[:6]), dict(winners[6:])
    await _pay_all(client, deps, paid_now)
    payer = Payer(client, deps)
    later_orders = {}
    for hold_id, r in paid_later.items():
        _, started = await client.post(f"/api/v1/holds/{hold_id}/payment", headers=r.headers)
        later_orders[hold_id] = started.json["out_trade_no"]

    # Redis loses everything of ours (holds, stock, tokens, caches); other runs share this server
    async for key in deps.redis.scan_iter(match=deps.settings.redis.prefix + "*", count=1000):
        await deps.redis.delete(key)
    await deps.redis.script_flush()
    await rebuild_stock(deps)
    assert (await store.used_slots(deps, [s["id"]], clock.now_ms()))[s["id"]] == 6  # confirmed bookings kept

    # the crowd comes back (tokens re-cached from the database) and takes the 4 lost-hold slots
    second = await asyncio.gather(*[_hold(client, r, s["id"]) for r in crowd[20:]])
    assert sum(res.status == 201 for res in second) == capacity - 6
    # the 4 payments of holds Redis forgot arrive: no slot left for them, so they are refunded
    notes = [payer.standin.complete_payment(otn) for otn in later_orders.values()]
    await asyncio.gather(*[payer.deliver(h, b) for h, b in notes])
    for otn in later_orders.values():
        assert (await Payment.get(out_trade_no=otn)).note == "sold_out"
    newcomers = {res.json["hold_id"]: r for r, res in zip(crowd[20:], second) if res.status == 201}
    await _pay_all(client, deps, newcomers)
    bookings = await Booking.filter(schedule_id=s["id"], status="confirmed")
    assert len(bookings) == capacity
    assert sorted(b.visit_number for b in bookings) == list(range(1, capacity + 1))
