"""Terminals: signed requests, scanning, refusals, the access log."""

import asyncio
from datetime import date, timedelta

import pytest
from tortoise import Tortoise

from backend.audit import stream as audit_stream
from backend.audit.models import AccessLog
from backend.clock import clock
from backend.staff.models import Terminal
from tests.integration.conftest import ADMIN, at, dynamic_code
from tests.support import masked_id_number, masked_phone

pytestmark = pytest.mark.redis_cluster  # also on a local Redis Cluster: nonces, terminal generation, audit stream

D = date(2026, 12, 20)


async def test_registration_shows_the_secret_once_and_stores_only_a_hash(catalog, terminal_for, client):
    h = await catalog.hospital()
    t = await terminal_for(h)
    row = await Terminal.get(id=t.id)
    assert row.secret_hash != t.secret and t.secret not in repr(await Terminal.all().values())
    _, listed = await client.get(f"/api/v1/admin/terminals?hospital_id={h['id']}", headers=ADMIN)
    assert [x["terminal_code"] for x in listed.json] == [t.code] and "secret" not in listed.json[0]
    _, r = await client.post("/api/v1/admin/terminals", json={"hospital_id": h["id"], "name": "x"})
    assert r.status == 401  # operators only


async def test_requests_must_be_signed_fresh_and_never_replayed(catalog, terminal_for, resident_with_card, client):
    clock.freeze()
    t = await terminal_for(await catalog.hospital())
    me = await resident_with_card()
    payload = f"{me.card_id}:1"
    assert (await t.scan(payload)).status == 200
    _, r = await client.post("/api/v1/staff/scan", json={"payload": payload})
    assert r.status == 401 and r.json["error"]["code"] == "terminal_unauthenticated"
    r = await t.post("/api/v1/staff/scan", {"payload": payload}, **{"X-Signature": "0" * 64})
    assert r.status == 401 and r.json["error"]["code"] == "bad_signature"
    stale = int(clock.now().timestamp()) - 301
    import json

    from backend.staff.signing import sign

    body = json.dumps({"payload": payload}).encode()
    _, r = await client.post(
        "/api/v1/staff/scan",
        content=body,
        headers={
            **sign(t.code, t.secret, "POST", "/api/v1/staff/scan", body, timestamp=stale),
            "Content-Type": "application/json",
        },
    )
    assert r.status == 401 and r.json["error"]["code"] == "stale_timestamp"
    headers = t.headers("POST", "/api/v1/staff/scan", body)
    _, first = await client.post("/api/v1/staff/scan", content=body, headers=headers)
    _, again = await client.post("/api/v1/staff/scan", content=body, headers=headers)
    assert first.status == 200 and again.status == 401 and again.json["error"]["code"] == "replayed_nonce"
    # a body changed under the signature does not verify
    _, r = await client.post(
        "/api/v1/staff/scan", content=body.replace(b":1", b":0"), headers=t.headers("POST", "/api/v1/staff/scan", body)
    )
    assert r.status == 401


async def test_timestamps_300_s_either_way_are_accepted_301_s_refused_to_the_second(
    catalog, terminal_for, resident_with_card, client
):
    import json

    from backend.staff.signing import sign

    clock.freeze()  # at a whole second: "301 s ago" is 301 s, not 301.x
    assert clock.now().timestamp() == int(clock.now().timestamp())
    t = await terminal_for(await catalog.hospital())
    me = await resident_with_card()
    body = json.dumps({"payload": f"{me.card_id}:1"}).encode()
    now = int(clock.now().timestamp())
    for skew, accepted in ((-301, False), (-300, True), (300, True), (301, False)):
        headers = sign(t.code, t.secret, "POST", "/api/v1/staff/scan", body, timestamp=now + skew)
        _, r = await client.post(
            "/api/v1/staff/scan", content=body, headers={**headers, "Content-Type": "application/json"}
        )
        if accepted:
            assert r.status == 200, (skew, r.json)
        else:
            assert r.status == 401 and r.json["error"]["code"] == "stale_timestamp", (skew, r.json)


async def test_nonces_and_spent_codes_are_remembered_at_least_as_long_as_they_could_be_replayed(
    catalog, terminal_for, resident_with_card, deps
):
    """Redis keys expire on real time while tests move the service clock, so a replay "9 minutes
    later" passes whatever a key's lifetime: the lifetimes themselves are asserted. A timestamp is
    accepted 300 s either side of the service clock (a nonce must be kept 600 s at least), a
    dynamic code for up to 120 s (its "used" mark must be kept that long at least)."""
    from backend.cards.models import Card
    from backend.qr import rules as qr_rules
    from backend.qr import service as qr_service
    from backend.staff import guards, terminal_cache

    clock.freeze(at(date(2026, 12, 13), "09:00"))
    skew = deps.settings.terminals.clock_skew_s
    assert skew == 300
    t = await terminal_for(await catalog.hospital())
    me = await resident_with_card()
    code = await dynamic_code(me)
    body = ('{"payload": "%s"}' % code).encode()
    headers = t.headers("POST", "/api/v1/staff/scan", body)
    _, r = await t.client.post("/api/v1/staff/scan", content=body, headers=headers)
    assert r.status == 200, r.json
    ttl = await deps.redis.ttl(terminal_cache.nonce_key(deps, t.id, headers["X-Nonce"]))
    assert 2 * skew <= ttl <= skew * guards.NONCE_TTL_FACTOR, ttl

    assert (await t.scan(code, purpose="payment")).status == 200  # spends the code
    parsed = qr_rules.parse(code)
    step = qr_rules.verify(parsed.card_id, parsed.mac, unix_s=clock.now().timestamp(), keys=qr_service._keys(deps)).step
    card = await Card.get(card_id=me.card_id)
    ttl = await deps.redis.ttl(deps.keys("qr", "used", card.id, step, parsed.mac))
    accepted_for = qr_rules.STEP_S * qr_rules.ACCEPTED_STEPS
    assert accepted_for == 120
    assert accepted_for <= ttl <= qr_service.USED_TTL_S, ttl


async def test_disabled_terminal_is_403_at_once_and_rotation_replaces_the_secret(
    catalog, terminal_for, resident_with_card, client
):
    clock.freeze()
    t = await terminal_for(await catalog.hospital())
    me = await resident_with_card()
    _, r = await client.post(f"/api/v1/admin/terminals/{t.id}/disable", headers=ADMIN)
    assert r.json["status"] == "disabled"
    r = await t.scan(f"{me.card_id}:1")
    assert r.status == 403 and r.json["error"]["code"] == "terminal_disabled"
    await client.post(f"/api/v1/admin/terminals/{t.id}/enable", headers=ADMIN)
    assert (await t.scan(f"{me.card_id}:1")).status == 200
    _, rotated = await client.post(f"/api/v1/admin/terminals/{t.id}/rotate", headers=ADMIN)
    assert rotated.json["secret"] != t.secret
    assert (await t.scan(f"{me.card_id}:1")).status == 401
    t.secret = rotated.json["secret"]
    assert (await t.scan(f"{me.card_id}:1")).status == 200


async def test_scan_shows_the_masked_identity_and_only_this_hospitals_bookings_today(
    catalog, terminal_for, resident_with_card, booked
):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    x, y = await catalog.hospital(), await catalog.hospital()
    in_x = await catalog.schedule(hospital=x, day=D)
    in_y = await catalog.schedule(hospital=y, day=D)
    in_x_later = await catalog.schedule(hospital=x, department=await catalog.department(x), day=D + timedelta(days=-1))
    me = await resident_with_card(name="欧阳娜娜")
    bx = await booked(me, in_x)
    await booked(me, in_y)
    await booked(me, in_x_later)
    clock.freeze(at(D, "07:30"))
    await me.post("/api/v1/auth/logout")  # the resident is not involved in a scan
    tx, ty = await terminal_for(x), await terminal_for(y)
    r = await tx.scan(f"{me.card_id}:1")
    assert r.status == 200, r.json
    card = r.json["card"]
    assert card["name_masked"] == "欧**娜"
    assert card["id_masked"] == masked_id_number(me.id_number) and card["phone_masked"] == masked_phone(me.phone)
    assert card["sex"] in ("M", "F") and 0 < card["age"] < 120
    assert r.json["status"] == "active" and r.json["code_kind"] == "static"
    assert [b["booking_id"] for b in r.json["bookings_today"]] == [bx["id"]]
    assert r.json["bookings_today"][0]["visit_number"] == 1
    ry = await ty.scan(f"{me.card_id}:1")
    assert [b["schedule_id"] for b in ry.json["bookings_today"]] == [in_y["id"]]


async def test_scans_at_the_same_moment_share_one_query_and_each_gets_its_own_card(
    catalog, terminal_for, resident_with_card, booked, monkeypatch
):
    from backend.staff import service as staff

    clock.freeze(at(date(2026, 12, 13), "13:00"))
    x, y = await catalog.hospital(), await catalog.hospital()
    in_x, in_y = await catalog.schedule(hospital=x, day=D), await catalog.schedule(hospital=y, day=D)
    residents = [await resident_with_card() for _ in range(6)]
    booking_in_x = {r.card_id: (await booked(r, in_x))["id"] for r in residents[:3]}
    booking_in_y = {r.card_id: (await booked(r, in_y))["id"] for r in residents[2:4]}
    clock.freeze(at(D, "07:30"))
    tx, ty = await terminal_for(x), await terminal_for(y)
    # every resident at both hospitals' desks at once, and a code of a card that does not exist
    scans = [(t, r.card_id) for r in residents for t in (tx, ty)] + [(tx, "0" * len(residents[0].card_id))]
    # "The same moment", made exact: every scan's look-up waits until all of them have asked, then
    # all ask in one event-loop turn (as the handlers woken by one pipelined Redis reply do under
    # load). Left to timing, the requests' waves could come apart (SQLite's driver thread, a
    # cluster's node-by-node replies, a busy machine) and the count of queries with them.
    arrived, all_in = 0, asyncio.Event()
    real_get = staff._scanned_cards.get

    async def once_all_have_asked(group, key):
        nonlocal arrived
        arrived += 1
        if arrived == len(scans):
            all_in.set()
        await asyncio.wait_for(all_in.wait(), timeout=30)
        return await real_get(group, key)

    monkeypatch.setattr(staff._scanned_cards, "get", once_all_have_asked)
    before = staff._scanned_cards.batches
    answers = await asyncio.gather(*[t.scan(f"{card_id}:1") for t, card_id in scans])
    for (t, card_id), r in zip(scans, answers):
        if card_id.startswith("0000"):
            assert r.status == 404 and r.json["error"]["code"] == "qr_unknown"
            continue
        assert r.status == 200 and r.json["card"]["card_id"] == card_id, r.json
        mine = (booking_in_x if t is tx else booking_in_y).get(card_id)
        assert [b["booking_id"] for b in r.json["bookings_today"]] == ([mine] if mine else [])
    assert arrived == len(scans)
    # one query per hospital (the look-ups are grouped by hospital and day), not one per scan
    assert staff._scanned_cards.batches - before == 2


async def test_each_refusal_has_its_own_code(catalog, terminal_for, resident_with_card):
    clock.freeze(at(date(2026, 12, 13), "09:00"))
    t = await terminal_for(await catalog.hospital())
    me = await resident_with_card()
    code = await dynamic_code(me)
    assert (await t.scan(code)).status == 200
    assert (await t.scan("hello")).json["error"]["code"] == "qr_malformed"
    assert (await t.scan("f" * 64 + ":1")).json["error"]["code"] == "qr_unknown"
    tampered = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert (await t.scan(tampered)).json["error"]["code"] == "qr_tampered"
    clock.advance(seconds=121)
    assert (await t.scan(code)).json["error"]["code"] == "qr_expired"
    fresh = await dynamic_code(me)
    assert (await t.scan(fresh, purpose="payment")).status == 200
    assert (await t.scan(fresh, purpose="payment")).json["error"]["code"] == "qr_reused"
    assert (await t.scan(fresh)).json["error"]["code"] == "qr_reused"  # spent codes are dead
    assert (await t.scan(f"{me.card_id}:1", purpose="payment")).json["error"]["code"] == "qr_static_not_allowed"
    old = me.card_id
    me.card_id = (await me.post(f"/api/v1/cards/{old}/reissue")).json["card_id"]
    assert (await t.scan(f"{old}:1")).json["error"]["code"] == "qr_revoked"
    assert (await t.scan(f"{me.card_id}:1")).status == 200


async def test_codes_at_the_edges_of_their_life(catalog, terminal_for, resident_with_card):
    from datetime import datetime

    from backend.clock import SHANGHAI

    start = datetime(2026, 12, 13, 9, 0, 0, tzinfo=SHANGHAI)  # a step start
    clock.freeze(start)
    t = await terminal_for(await catalog.hospital())
    me = await resident_with_card()
    code = await dynamic_code(me)
    for age, ok in ((59, True), (61, True), (119, True), (121, False)):
        clock.freeze(start + timedelta(seconds=age))
        assert ((await t.scan(code)).status == 200) is ok, age


@pytest.mark.postgres_only
async def test_fifty_concurrent_payment_scans_of_one_code_succeed_once(catalog, terminal_for, resident_with_card):
    clock.freeze()
    t = await terminal_for(await catalog.hospital())
    me = await resident_with_card()
    code = await dynamic_code(me)
    results = await asyncio.gather(*[t.scan(code, purpose="payment") for _ in range(50)])
    statuses = sorted(r.status for r in results)
    assert statuses.count(200) == 1 and statuses.count(409) == 49
    assert {r.json["error"]["code"] for r in results if r.status == 409} == {"qr_reused"}


async def test_every_scan_is_logged_without_identity_data(catalog, terminal_for, resident_with_card, client):
    clock.freeze()
    h = await catalog.hospital()
    t = await terminal_for(h, name="挂号窗口3")
    me = await resident_with_card()
    await t.scan(f"{me.card_id}:1")
    await t.scan("f" * 64 + ":1")
    await t.scan((await dynamic_code(me))[:-1] + "x")
    await audit_stream.drain(client.app.ctx.deps)  # scans reach the table through the audit stream
    rows = await AccessLog.all().order_by("id")
    assert [(r.action, r.result) for r in rows] == [("scan", "ok"), ("scan", "qr_unknown"), ("scan", "qr_malformed")]
    assert rows[0].card_id is not None and rows[0].terminal_id == t.id and rows[0].hospital_id == h["id"]
    conn = Tortoise.get_connection("default")
    dumped = repr(await conn.execute_query_dict('SELECT * FROM "access_logs"'))
    assert me.id_number not in dumped and me.phone not in dumped
    mine = (await me.get(f"/api/v1/cards/{me.card_id}/access-log")).json
    assert (
        len(mine) == 1
        and mine[0]["terminal"]["name"] == "挂号窗口3"
        and mine[0]["hospital"]["id"] == h["id"]
        and mine[0]["result"] == "ok"
    )
    _, by_terminal = await client.get(f"/api/v1/admin/access-log?terminal_id={t.id}", headers=ADMIN)
    assert len(by_terminal.json) == 3
    _, by_card = await client.get(f"/api/v1/admin/access-log?card_id={me.card_id}", headers=ADMIN)
    assert len(by_card.json) == 1 and by_card.json[0]["card_id"] == me.card_id
    since = clock.now() + timedelta(seconds=1)
    _, none = await client.get("/api/v1/admin/access-log", params={"from": since.isoformat()}, headers=ADMIN)
    assert none.json == []
    _, bad = await client.get("/api/v1/admin/access-log?from=yesterday", headers=ADMIN)
    assert bad.status == 400
