"""The hold in steps (a Redis Cluster's path, backend/booking/store.py take_in_steps): the card's
step reserves the session in the card's per-day sets before the schedule's step takes the slot.
These are the interleavings the concurrency tests can only hit by chance, set up by hand: a
reservation the schedule refuses is given back, and a request that found its card's entry
already there ('present') and got the slot makes the entry its own, unless the card is barred.
Run in steps on this machine's Redis, and on a local 3-shard cluster."""

from datetime import date

import pytest

from backend.booking import store
from backend.cards.models import Card
from backend.clock import clock, to_ms
from tests.integration.conftest import at

pytestmark = pytest.mark.redis_cluster

D = date(2026, 12, 20)
DAY = D.strftime("%Y%m%d")


@pytest.fixture(autouse=True)
def in_steps(deps):
    deps.scripts.cluster = True  # already so on a cluster; on one Redis, the cluster's path


async def hold(resident, schedule):
    return await resident.post("/api/v1/holds", {"schedule_id": schedule["id"], "card_id": resident.card_id})


async def day_entries(deps, resident, schedule) -> set:
    """The session's entries (their expiry) in the card's sets of the day and of the department."""
    pk = (await Card.get(card_id=resident.card_id)).id
    keys = [store.card_key(deps, pk, "cd", DAY), store.card_key(deps, pk, "cdd", DAY, schedule["department_id"])]
    return {await deps.redis.zscore(key, schedule["id"]) for key in keys}


async def test_a_reservation_the_schedule_refuses_is_given_back(deps, catalog, resident_with_card, monkeypatch):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=1)
    a, b = await resident_with_card(), await resident_with_card()
    assert (await hold(a, s)).status == 201
    # b's first step saw a free slot (a's hold not counted yet): b's card reserves, the slot is gone
    real = deps.scripts.batched

    async def stale_peek(name, **kw):
        reply = await real(name, **kw)
        if name == "booking.peek":
            reply = [*reply[:10], 0, *reply[11:]]
        return reply

    monkeypatch.setattr(deps.scripts, "batched", stale_peek)
    r = await hold(b, s)
    assert r.status == 409 and r.json["error"]["code"] == "sold_out"
    assert await day_entries(deps, b, s) == {None}  # given back
    assert await day_entries(deps, a, s) == {to_ms(clock.now()) + 600_000}


async def test_a_request_granted_on_its_cards_entry_makes_the_entry_its_own(deps, catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=5)
    me = await resident_with_card()
    # another request of this card reserved the session a moment ago and has not reached the
    # schedule yet: its entry (expiring sooner than a hold taken now) is in the card's sets
    pk = (await Card.get(card_id=me.card_id)).id
    earlier = to_ms(clock.now()) + 1_000
    assert (await hold(me, await catalog.schedule(day=D))).status == 201  # another session that day: caches warm
    for key in (store.card_key(deps, pk, "cd", DAY), store.card_key(deps, pk, "cdd", DAY, s["department_id"])):
        await deps.redis.zadd(key, {s["id"]: earlier})
    r = await hold(me, s)
    assert r.status == 201, r.json
    assert await day_entries(deps, me, s) == {to_ms(clock.now()) + 600_000}
    again = await hold(me, s)  # the request that reserved arrives: told it holds, keeps the entry
    assert again.json["error"]["code"] == "already_held" and again.json["error"]["hold_id"] == r.json["hold_id"]
    assert await day_entries(deps, me, s) == {to_ms(clock.now()) + 600_000}


async def test_a_barred_card_is_refused_even_on_an_entry_already_there(deps, catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=5)
    me = await resident_with_card()
    assert (await hold(me, await catalog.schedule(day=D))).status == 201  # another session that day: caches warm
    pk = (await Card.get(card_id=me.card_id)).id
    until = to_ms(clock.now()) + 86_400_000
    await store.set_ban(deps, card_pk=pk, rule="no_show_ban", until_ms=until, now_ms=to_ms(clock.now()))
    await deps.redis.zadd(store.card_key(deps, pk, "cd", DAY), {s["id"]: to_ms(clock.now()) + 1_000})
    r = await hold(me, s)
    assert r.status == 429 and r.json["error"]["rule"] == "no_show_ban", r.json
    assert (await store.used_slots(deps, [s["id"]], to_ms(clock.now())))[s["id"]] == 0


async def test_the_cards_sets_follow_the_session_booked_cancelled_suspended_rebuilt(
    deps, catalog, resident_with_card, payer
):
    """Confirming, cancelling, suspending and rebuilding run in steps everywhere (the schedule's
    slot, then the card's): the card's entries for the session follow."""
    from backend.booking.service import rebuild_stock

    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s, other = await catalog.schedule(day=D, capacity=5), await catalog.schedule(day=D, capacity=5)
    me, you = await resident_with_card(), await resident_with_card()
    h = (await hold(me, s)).json
    assert await day_entries(deps, me, s) == {to_ms(clock.now()) + 600_000}
    started = await payer.start(me, h["hold_id"])
    assert (await payer.deliver(*payer.standin.complete_payment(started.json["out_trade_no"]))).status == 204
    assert await day_entries(deps, me, s) == {float("inf")}  # booked

    async for key in deps.redis.scan_iter(match=deps.settings.redis.prefix + "*"):
        await deps.redis.delete(key)  # Redis lost everything; the database has the booking
    await rebuild_stock(deps)
    assert await day_entries(deps, me, s) == {float("inf")}

    booking_id = (await me.get("/api/v1/bookings")).json[0]["id"]
    assert (await me.delete(f"/api/v1/bookings/{booking_id}")).status == 200
    assert await day_entries(deps, me, s) == {None}  # cancelled: the card may take another session

    assert (await hold(you, other)).status == 201
    r = await catalog.admin("POST", f"/admin/schedules/{other['id']}/suspend", {"reason": "医生外出会诊"})
    assert r.status == 200 and r.json["holds_cancelled"] == 1
    assert await day_entries(deps, you, other) == {None}
