"""Holds (锁号): release rules, stock, one per card per session, expiry, anti-scalper limits."""

import logging
from datetime import date, timedelta

import pytest

from backend.booking import store
from backend.clock import clock
from tests.integration.conftest import at

pytestmark = pytest.mark.usefixtures("hold_path")

D = date(2026, 12, 20)  # visit date in most tests; released 2026-12-13 13:00, referral 2026-12-10 13:00


async def hold(resident, schedule, card_id=None):
    return await resident.post("/api/v1/holds", {"schedule_id": schedule["id"], "card_id": card_id or resident.card_id})


async def test_ordinary_slots_open_at_13_00_seven_days_before(catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    s = await catalog.schedule(day=D)
    assert s["release_at"] == "2026-12-13T13:00:00+08:00"
    assert s["referral_release_at"] == "2026-12-10T13:00:00+08:00"
    clock.freeze(at(date(2026, 12, 13), "12:59") + timedelta(seconds=59, milliseconds=999))
    me = await resident_with_card()
    r = await hold(me, s)
    assert r.status == 403
    assert r.json["error"]["code"] == "not_released"
    assert r.json["error"]["release_at"] == "2026-12-13T13:00:00+08:00"
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    r = await hold(me, s)
    assert r.status == 201, r.json
    assert set(r.json) >= {"hold_id", "expires_at", "amount_fen"}
    assert r.json["amount_fen"] == 1500 and r.json["kind"] == "ordinary"
    assert r.json["expires_at"] == "2026-12-13T13:10:00+08:00"


async def test_hospital_release_time_is_used(catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    s = await catalog.schedule(hospital=await catalog.hospital(release_time="08:30"), day=D)
    assert s["release_at"] == "2026-12-13T08:30:00+08:00"


async def test_a_hospital_created_without_a_release_time_releases_at_13_00(catalog, resident_with_card):
    from backend.catalog import service as catalog_service
    from backend.catalog.models import Hospital

    clock.freeze(at(date(2026, 12, 1), "09:00"))
    r = await catalog.admin("POST", "/admin/hospitals", {"code": "NODEFAULT", "name": "默认时间医院"})
    assert r.status == 201, r.json
    assert r.json["release_time"] == "13:00"
    s = await catalog.schedule(hospital=r.json, day=D)
    assert s["release_at"] == "2026-12-13T13:00:00+08:00"
    clock.freeze(at(date(2026, 12, 13), "12:59") + timedelta(seconds=59))
    me = await resident_with_card()
    assert (await hold(me, s)).json["error"]["code"] == "not_released"
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    assert (await hold(me, s)).status == 201
    # the same default one layer down: the use case, and the stored row itself
    assert (await catalog_service.create_hospital(code="NODEFAULT2", name="默认时间医院二"))["release_time"] == "13:00"
    row = await Hospital.create(code="NODEFAULT3", name="默认时间医院三", created_at=clock.now())
    assert (await Hospital.get(id=row.id)).release_time == "13:00"


async def test_no_release_time_at_night(catalog):
    for bad in ("22:01", "23:00", "00:00", "05:59"):
        r = await catalog.admin(
            "POST", "/admin/hospitals", {"code": f"N{bad[:2]}{bad[3:]}", "name": "夜间医院", "release_time": bad}
        )
        assert r.status == 400, bad
    for good in ("06:00", "22:00"):
        r = await catalog.admin(
            "POST", "/admin/hospitals", {"code": f"G{good[:2]}", "name": "白天医院", "release_time": good}
        )
        assert r.status == 201, good
    h = await catalog.hospital()
    r = await catalog.admin("PATCH", f"/admin/hospitals/{h['id']}", {"release_time": "23:30"})
    assert r.status == 400


async def test_referral_slots_open_three_days_earlier_for_referred_cards(catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    s = await catalog.schedule(day=D, capacity=5, referral_quota=2)
    clock.freeze(at(date(2026, 12, 10), "12:00"))  # sessions last 7 days: log in on the day
    referred = [await resident_with_card() for _ in range(3)]
    plain = await resident_with_card()
    for r in referred:
        resp = await catalog.admin(
            "POST",
            "/admin/referrals",
            {
                "card_id": r.card_id,
                "hospital_id": s["hospital"]["id"],
                "department_id": s["department_id"],
                "valid_until": "2026-12-31",
                "issued_by": "社区卫生服务中心 王医生",
            },
        )
        assert resp.status == 201, resp.json
    clock.freeze(at(date(2026, 12, 10), "12:59"))
    r = await hold(referred[0], s)
    assert r.status == 403 and r.json["error"]["release_at"] == "2026-12-10T13:00:00+08:00"
    clock.freeze(at(date(2026, 12, 10), "13:00"))
    assert (await hold(plain, s)).json["error"]["release_at"] == "2026-12-13T13:00:00+08:00"
    first = await hold(referred[0], s)
    assert first.status == 201 and first.json["kind"] == "referral"
    assert (await hold(referred[1], s)).status == 201
    third = await hold(referred[2], s)
    assert third.status == 409 and third.json["error"]["code"] == "sold_out"  # referral quota of 2 used
    clock.freeze(at(date(2026, 12, 13), "13:00"))  # ordinary release: the rest is for everyone
    assert (await hold(referred[2], s)).json["kind"] == "ordinary"
    assert (await hold(plain, s)).status == 201


async def test_expired_referral_does_not_open_early(catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    s = await catalog.schedule(day=D, capacity=5, referral_quota=2)
    clock.freeze(at(date(2026, 12, 11), "09:00"))
    me = await resident_with_card()
    r = await catalog.admin(
        "POST",
        "/admin/referrals",
        {"card_id": me.card_id, "hospital_id": s["hospital"]["id"], "valid_until": "2026-12-19", "issued_by": "王医生"},
    )
    assert r.status == 201
    r = await hold(me, s)
    assert r.status == 403 and r.json["error"]["release_at"] == "2026-12-13T13:00:00+08:00"


async def test_stock_sold_out_and_one_per_card(catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=2)
    a, b, c = [await resident_with_card() for _ in range(3)]
    first = await hold(a, s)
    assert first.status == 201
    again = await hold(a, s)
    assert again.status == 409 and again.json["error"]["code"] == "already_held"
    assert again.json["error"]["hold_id"] == first.json["hold_id"] and again.json["error"]["state"] == "held"
    assert (await hold(b, s)).status == 201
    r = await hold(c, s)
    assert r.status == 409 and r.json["error"]["code"] == "sold_out"
    _, listed = await a.client.get(f"/api/v1/departments/{s['department_id']}/schedules?date={D.isoformat()}")
    assert listed.json[0]["remaining"] == 0


async def test_expired_hold_returns_its_slot_exactly_once(catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=1)
    a, b, c = [await resident_with_card() for _ in range(3)]
    assert (await hold(a, s)).status == 201
    clock.advance(minutes=9, seconds=59)
    assert (await hold(b, s)).json["error"]["code"] == "sold_out"
    clock.advance(seconds=1)  # 10 minutes: the hold has expired, nobody had to read it
    _, listed = await a.client.get(f"/api/v1/schedules/{s['id']}")
    assert listed.json["remaining"] == 1
    assert (await hold(b, s)).status == 201
    assert (await hold(c, s)).json["error"]["code"] == "sold_out"  # returned once, taken once
    assert (await hold(a, s)).json["error"]["code"] == "sold_out"


async def test_giving_a_hold_back(catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=1)
    a, b = await resident_with_card(), await resident_with_card()
    h = (await hold(a, s)).json
    assert (await b.delete(f"/api/v1/holds/{h['hold_id']}")).status == 404  # not b's
    assert (await a.delete(f"/api/v1/holds/{h['hold_id']}")).status == 204
    assert (await a.get(f"/api/v1/holds/{h['hold_id']}")).json["state"] == "released"
    assert (await hold(b, s)).status == 201
    assert (await a.delete(f"/api/v1/holds/{h['hold_id']}")).status == 204  # idempotent


async def test_three_per_day_and_one_per_department(catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    hospital = await catalog.hospital()
    depts = [await catalog.department(hospital) for _ in range(4)]
    same_day = [await catalog.schedule(hospital=hospital, department=d, day=D) for d in depts]
    second_in_dept = await catalog.schedule(hospital=hospital, department=depts[0], day=D, start="09:00", end="09:30")
    me = await resident_with_card()
    r = await hold(me, same_day[0])
    assert r.status == 201
    r = await hold(me, second_in_dept)
    assert r.status == 429
    err = r.json["error"]
    assert err["code"] == "limit_exceeded" and err["rule"] == "department_daily_limit"
    assert err["until"] == "2026-12-13T13:10:00+08:00"
    assert (await hold(me, same_day[1])).status == 201
    clock.advance(minutes=1)
    assert (await hold(me, same_day[2])).status == 201
    r = await hold(me, same_day[3])
    assert r.status == 429 and r.json["error"]["rule"] == "daily_limit"
    assert r.json["error"]["until"] == "2026-12-13T13:10:00+08:00"  # when the first hold lapses
    other_day = await catalog.schedule(hospital=hospital, department=depts[3], day=D + timedelta(days=-1))
    assert (await hold(me, other_day)).status == 201  # the limit is per visit day


async def test_family_member_cards_count_separately(catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D)
    me = await resident_with_card()
    from tests.support import make_id_number, make_phone

    member = (await me.add_member(name="张小宝", id_number=make_id_number(), phone=make_phone())).json
    assert (await hold(me, s)).status == 201
    assert (await hold(me, s, member["card"]["card_id"])).status == 201


async def test_rate_limit_per_account_says_until_when(deps, catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    deps.settings = deps.settings.with_overrides(booking={"hold_rate_per_account": 3})
    s = await catalog.schedule(day=D, capacity=1)
    me = await resident_with_card()
    statuses = [(await hold(me, s)).status for _ in range(3)]
    assert statuses == [201, 409, 409]
    r = await hold(me, s)
    assert r.status == 429 and r.json["error"]["rule"] == "rate_account"
    assert r.json["error"]["until"] == "2026-12-13T13:01:00+08:00"
    clock.advance(minutes=1)
    assert (await hold(me, s)).status == 409  # counted afresh, refused for being held


async def test_rate_limit_per_ip(deps, catalog, resident_with_card, client):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    deps.settings = deps.settings.with_overrides(booking={"hold_rate_per_ip": 2})
    s = await catalog.schedule(day=D)
    people = [await resident_with_card() for _ in range(3)]
    codes = [(await hold(p, s)).status for p in people]
    assert codes == [201, 201, 429]
    other_network = client.from_ip("10.1.2.3")
    _, r = await other_network.post(
        "/api/v1/holds", json={"schedule_id": s["id"], "card_id": people[2].card_id}, headers=people[2].headers
    )
    assert r.status == 201


async def test_only_own_or_linked_cards(catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D)
    a, b = await resident_with_card(), await resident_with_card()
    r = await hold(a, s, b.card_id)
    assert r.status == 404 and r.json["error"]["code"] == "card_not_found"
    r = await hold(a, s, "f" * 64)
    assert r.status == 404
    r = await a.post("/api/v1/holds", {"schedule_id": 999999, "card_id": a.card_id})
    assert r.status == 404 and r.json["error"]["code"] == "schedule_not_found"


async def test_bad_input_and_bad_tokens(catalog, resident_with_card, client):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D)
    me = await resident_with_card()
    for payload in [
        {},
        {"schedule_id": "x", "card_id": me.card_id},
        {"schedule_id": -1, "card_id": me.card_id},
        {"schedule_id": 2**40, "card_id": me.card_id},
        {"schedule_id": s["id"]},
    ]:
        assert (await me.post("/api/v1/holds", payload)).status == 400, payload
    _, r = await client.post("/api/v1/holds", json={"schedule_id": s["id"], "card_id": me.card_id})
    assert r.status == 401
    _, r = await client.post(
        "/api/v1/holds",
        json={"schedule_id": s["id"], "card_id": me.card_id},
        headers={"Authorization": "Bearer " + "A" * 43},
    )
    assert r.status == 401
    await me.post("/api/v1/auth/logout")
    assert (await hold(me, s)).status == 401


async def test_session_started_or_suspended_is_closed(catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, start="08:00", end="09:00")
    me = await resident_with_card()
    clock.freeze(at(D, "08:00"))
    assert (await hold(me, s)).json["error"]["code"] == "schedule_closed"
    s2 = await catalog.schedule(day=D + timedelta(days=1))
    r = await catalog.admin("POST", f"/admin/schedules/{s2['id']}/suspend", {"reason": "医生外出会诊"})
    assert r.status == 200
    assert (await hold(me, s2)).json["error"]["code"] == "schedule_suspended"


async def test_the_hold_path_makes_no_database_query(catalog, resident_with_card, caplog):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s1 = await catalog.schedule(day=D)
    s2 = await catalog.schedule(day=D + timedelta(days=-1))
    me = await resident_with_card()
    assert (await hold(me, s1)).status == 201  # caches warm
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        assert (await hold(me, s2)).status == 201
        assert (await hold(me, s2)).status == 409
    sql = [r for r in caplog.records if r.name.startswith("tortoise.db_client")]
    assert sql == [], [r.getMessage()[:80] for r in sql]


async def test_cold_caches_are_filled_from_the_database(deps, catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D)
    me = await resident_with_card()
    async for key in deps.redis.scan_iter(match=deps.settings.redis.prefix + "*"):
        await deps.redis.delete(key)  # Redis lost everything: tokens, cards, schedules
    r = await hold(me, s)
    assert r.status == 201, r.json


async def test_remaining_is_live(catalog, resident_with_card, client):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=3)
    assert s["remaining"] == 3
    me = await resident_with_card()
    await hold(me, s)
    _, r = await client.get(f"/api/v1/departments/{s['department_id']}/schedules?date={D.isoformat()}")
    assert r.status == 200 and r.json[0]["remaining"] == 2
    assert set(r.json[0]) >= {
        "id",
        "doctor",
        "date",
        "start",
        "end",
        "capacity",
        "remaining",
        "fee_fen",
        "release_at",
        "referral_release_at",
        "status",
    }
    _, r = await client.get(f"/api/v1/departments/{s['department_id']}/schedules?date=not-a-date")
    assert r.status == 400


async def test_every_key_a_hold_writes_has_a_lifetime(catalog, resident_with_card, deps):
    """Nothing a hold writes outlives its session: the session's sets (ordinary and referral),
    the card's per-day sets, the hold's record and the rate counters all expire, also a set a
    sweep emptied (Redis then deletes it) and the next hold wrote again."""
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    s = await catalog.schedule(day=D, capacity=2)
    single = await catalog.schedule(day=D, capacity=1)
    referred_session = await catalog.schedule(day=D + timedelta(days=1), capacity=2, referral_quota=1)
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    a, b = await resident_with_card(), await resident_with_card()
    assert (await hold(a, s)).status == 201
    assert (await hold(a, single)).status == 201
    resp = await catalog.admin(
        "POST",
        "/admin/referrals",
        {
            "card_id": b.card_id,
            "hospital_id": referred_session["hospital"]["id"],
            "department_id": referred_session["department_id"],
            "valid_until": "2026-12-31",
            "issued_by": "社区卫生服务中心 王医生",
        },
    )
    assert resp.status == 201, resp.json
    clock.advance(minutes=11)  # a's holds have expired: b's holds sweep them out of every set they share
    assert (await hold(b, s)).status == 201
    assert (await hold(b, single)).status == 201  # the full session's set, swept empty and written again
    assert (await hold(a, s)).status == 201  # a's own per-day sets, swept empty and written again
    assert (await hold(b, referred_session)).json["kind"] == "referral"
    keys = [k async for k in deps.redis.scan_iter(match=deps.settings.redis.prefix + "*", count=1000)]
    sessions = [f"{{s{x['id']}}}" for x in (s, single, referred_session)]
    written = [k for k in keys if any(tag in k for tag in sessions) or "{c" in k or ":rl:" in k]
    for tag in sessions:
        assert {k.split("}:")[-1].split(":")[0] for k in written if tag in k} >= {"sched", "sh", "shid", "hold"}
    assert any(f"{sessions[2]}:shr" in k for k in written)
    assert (
        sum("}:cd:" in k for k in written) == 3 and sum("}:cdd:" in k for k in written) == 5
    )  # a session, a department
    lifetimes = {k: await deps.redis.pttl(k) for k in written}
    assert all(ms > 0 for ms in lifetimes.values()), {k: ms for k, ms in lifetimes.items() if ms <= 0}


async def test_a_payment_that_writes_the_session_again_gives_it_its_lifetime(catalog, resident_with_card, deps, client):
    """Redis forgot the hold (flushed) before its payment arrived: confirming writes the
    session's set anew, and that set expires with the session like every other."""
    from tests.integration.conftest import Payer

    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=2)
    a = await resident_with_card()
    held = await hold(a, s)
    _, started = await client.post(f"/api/v1/holds/{held.json['hold_id']}/payment", headers=a.headers)
    assert started.status == 200, started.json
    async for key in deps.redis.scan_iter(match=deps.settings.redis.prefix + f"*{{s{s['id']}}}*", count=1000):
        await deps.redis.delete(key)
    payer = Payer(client, deps)
    delivered = await payer.deliver(*payer.standin.complete_payment(started.json["out_trade_no"]))
    assert delivered.status == 204
    _, booked = await client.get("/api/v1/bookings", headers=a.headers)
    assert [b["status"] for b in booked.json] == ["confirmed"]
    sh = store.schedule_key(deps, s["id"], "sh")
    assert [score for _, score in await deps.redis.zrange(sh, 0, -1, withscores=True)] == [
        float("inf")
    ]  # the booked slot
    assert await deps.redis.pttl(sh) > 0
