"""The console's audit log (filtered, paged), figures, referrals and intake secrets."""

from datetime import date

from backend.clock import clock
from tests.integration.conftest import at

D = date(2026, 12, 20)


async def test_the_audit_log_is_filtered_and_paged(catalog, terminal_for, resident_with_card):
    clock.freeze(at(D, "08:00"))
    h = await catalog.hospital()
    t = await terminal_for(h)
    me, other = await resident_with_card(), await resident_with_card()
    for _ in range(5):
        assert (await t.scan(f"{me.card_id}:1")).status == 200
    assert (await t.scan(f"{other.card_id}:1")).status == 200
    assert (await t.scan(f"{'0' * 64}:1")).status in (400, 404)
    r = await catalog.admin("GET", f"/admin/audit?hospital_id={h['id']}&limit=3")
    assert r.status == 200 and len(r.json["entries"]) == 3 and r.json["next_cursor"]
    seen = [e["id"] for e in r.json["entries"]]
    cursor = r.json["next_cursor"]
    while cursor:
        r = await catalog.admin("GET", f"/admin/audit?hospital_id={h['id']}&limit=3&before={cursor}")
        seen += [e["id"] for e in r.json["entries"]]
        cursor = r.json["next_cursor"]
    assert len(seen) == 7 and seen == sorted(seen, reverse=True)
    r = await catalog.admin("GET", f"/admin/audit?card_id={me.card_id}")
    assert len(r.json["entries"]) == 5 and {e["card_id"] for e in r.json["entries"]} == {me.card_id}
    r = await catalog.admin("GET", f"/admin/audit?hospital_id={h['id']}&result=ok")
    assert len(r.json["entries"]) == 6
    r = await catalog.admin("GET", "/admin/audit?from=2026-12-20T08:00:00")
    assert r.status == 400  # a time without an offset


async def test_figures_count_bookings_payments_no_shows_and_cards(catalog, resident_with_card, booked, operator_login):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=5, fee_fen=1500)
    people = [await resident_with_card() for _ in range(3)]
    bookings = [await booked(p, s) for p in people]
    cancelled = await people[2].delete(f"/api/v1/bookings/{bookings[2]['id']}")
    assert cancelled.status == 200
    r = await catalog.admin("GET", f"/admin/figures?hospital_id={s['hospital']['id']}&from=2026-12-01&to=2026-12-31")
    assert r.status == 200, r.json
    f = r.json
    assert f["bookings_per_day"] == [{"date": "2026-12-20", "bookings": 3}]
    assert f["bookings_by_status"] == {"confirmed": 2, "cancelled": 1}
    assert (
        f["payments"] == {"count": 3, "paid_fen": 4500}
        and f["refunds"]["count"] == 1
        and f["refunds"]["amount_fen"] == 1500
    )
    assert f["no_show_rate"] is None and f["cards_with_bookings"] == 3
    region = (await catalog.admin("GET", "/admin/figures?from=2026-12-01&to=2026-12-31")).json
    assert region["cards_issued"] >= 3 and region["hospital_id"] is None
    r = await catalog.admin("GET", "/admin/figures?from=2026-12-31&to=2026-12-01")
    assert r.status == 400
    r = await catalog.admin("GET", "/admin/figures?from=2024-01-01&to=2026-12-01")
    assert r.status == 400 and r.json["error"]["code"] == "invalid_range"


async def test_referrals_are_listed_and_revoked(catalog, resident_with_card):
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    s = await catalog.schedule(day=D, capacity=5, referral_quota=2)
    me = await resident_with_card()
    r = await catalog.admin(
        "POST",
        "/admin/referrals",
        {"card_id": me.card_id, "hospital_id": s["hospital"]["id"], "valid_until": "2026-12-31", "issued_by": "王医生"},
    )
    assert r.status == 201
    referral = r.json
    listed = (await catalog.admin("GET", f"/admin/referrals?hospital_id={s['hospital']['id']}")).json
    assert [x["id"] for x in listed] == [referral["id"]] and listed[0]["revoked_at"] is None
    # 10 days ahead the referral opens the referral slots; revoked, it no longer does
    clock.freeze(at(date(2026, 12, 10), "13:00"))
    await me.relogin()
    r = await me.post("/api/v1/holds", {"schedule_id": s["id"], "card_id": me.card_id})
    assert r.status == 201, r.json  # referred: open 10 days ahead
    assert (await me.delete(f"/api/v1/holds/{r.json['hold_id']}")).status == 204
    revoked = await catalog.admin("POST", f"/admin/referrals/{referral['id']}/revoke")
    assert revoked.status == 200 and revoked.json["revoked_at"]
    r = await me.post("/api/v1/holds", {"schedule_id": s["id"], "card_id": me.card_id})
    assert r.status == 403 and r.json["error"]["code"] == "not_released"


async def test_control_characters_and_malformed_filters_get_a_400_not_a_500(catalog, client):
    h = await catalog.hospital()
    dept = await catalog.department(h)
    for method, path, body in (
        ("POST", f"/admin/hospitals/{h['id']}/departments", {"code": "NUL", "name": "内\x00科"}),
        ("PATCH", f"/admin/departments/{dept['id']}", {"name": "内\x00科"}),
        ("PATCH", f"/admin/hospitals/{h['id']}", {"name": "医\x00院"}),
        ("GET", "/admin/audit?card_id=%00", None),
        ("GET", "/admin/audit?action=%00", None),
    ):
        r = await catalog.admin(method, path, body)
        assert r.status == 400, (path, r.status, r.json)
    _, r = await client.post("/api/v1/admin/login", json={"username": "a\x00b", "password": "x"})
    assert r.status == 400
