"""Booking and schedule statuses through the API: check-in and call move a booking one way, a
checked-in booking cannot be cancelled, and a schedule shows what the caller can do with it."""

from __future__ import annotations

from datetime import date, timedelta

from backend.booking.models import Booking
from backend.clock import clock
from backend.payments.models import Refund
from tests.integration.conftest import at, dynamic_code

D = date(2026, 12, 20)


async def test_check_in_then_call_move_the_booking_and_a_checked_in_booking_cannot_be_cancelled(
    catalog, resident_with_card, booked, terminal_for
):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    hospital = await catalog.hospital()
    s = await catalog.schedule(hospital=hospital, day=D)
    me = await resident_with_card()
    booking = await booked(me, s)
    assert booking["status"] == "confirmed"
    t = await terminal_for(hospital)
    clock.freeze(at(D, "07:00"))
    await me.relogin()
    assert (await t.check_in(await dynamic_code(me), booking["id"])).status == 200
    assert (await me.get(f"/api/v1/bookings/{booking['id']}")).json["status"] == "checked_in"

    # the deadline is not the reason: move it far out, the refusal is the check-in itself
    r = await me.delete(f"/api/v1/bookings/{booking['id']}")
    assert r.status == 409 and r.json["error"]["code"] == "booking_checked_in"
    assert r.json["error"]["status_now"] == "checked_in"
    assert not await Refund.exists()

    assert (await t.call_next(s["id"])).json["called_number"] == booking["visit_number"]
    view = (await me.get(f"/api/v1/bookings/{booking['id']}")).json
    assert view["status"] == "called" and view["cancellable_until"] is None
    r = await me.delete(f"/api/v1/bookings/{booking['id']}")
    assert r.status == 409 and r.json["error"]["code"] == "booking_checked_in"
    assert (await me.get(f"/api/v1/bookings/{booking['id']}/queue")).json["status"] == "called"


async def test_checked_in_bookings_keep_their_slot_and_are_never_no_shows(
    catalog, resident_with_card, booked, terminal_for, deps
):
    from backend.booking import bans as booking_bans

    clock.freeze(at(date(2026, 12, 13), "13:00"))
    hospital = await catalog.hospital()
    s = await catalog.schedule(hospital=hospital, day=D, capacity=2)
    came, missed = await resident_with_card(), await resident_with_card()
    came_booking, missed_booking = await booked(came, s), await booked(missed, s)
    t = await terminal_for(hospital)
    clock.freeze(at(D, "07:00"))
    await came.relogin()
    assert (await t.check_in(await dynamic_code(came), came_booking["id"])).status == 200
    third = await resident_with_card()
    r = await third.post("/api/v1/holds", {"schedule_id": s["id"], "card_id": third.card_id})
    assert r.status == 409  # both slots stand: the session started (closed) or sold out
    clock.freeze(at(D, "09:00"))
    assert await booking_bans.mark_no_shows(deps) == 1
    statuses = dict(await Booking.all().values_list("id", "status"))
    assert statuses == {came_booking["id"]: "checked_in", missed_booking["id"]: "no_show"}


async def test_schedule_status_as_each_caller_sees_it(catalog, resident_with_card, client, deps):
    clock.freeze(at(date(2026, 12, 9), "09:00"))  # 11 days before D: nothing released yet
    hospital = await catalog.hospital()
    dept = await catalog.department(hospital)
    s = await catalog.schedule(hospital=hospital, department=dept, day=D, capacity=1, referral_quota=1)
    holder, plain = await resident_with_card(), await resident_with_card()
    r = await catalog.admin(
        "POST",
        "/admin/referrals",
        {
            "card_id": holder.card_id,
            "hospital_id": hospital["id"],
            "valid_until": (D + timedelta(days=5)).isoformat(),
            "issued_by": "社区卫生服务中心",
        },
    )
    assert r.status == 201, r.json

    async def seen(resident=None):
        path = f"/api/v1/departments/{dept['id']}/schedules?date={D.isoformat()}"
        if resident is None:
            _, r = await client.get(path)
        else:
            r = await resident.get(path)
        assert r.status == 200, r.json
        return r.json[0]

    anonymous = await seen()
    assert anonymous["status"] == "not_released" and anonymous["release_at"] == "2026-12-13T13:00:00+08:00"
    clock.freeze(at(date(2026, 12, 10), "13:00"))  # the referral release
    assert (await seen())["status"] == "not_released"
    assert (await seen(plain))["status"] == "not_released"
    await holder.relogin()
    assert (await seen(holder))["status"] == "open"  # a referral holder sees it open earlier
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    assert (await seen())["status"] == "open"
    await plain.relogin()
    r = await plain.post("/api/v1/holds", {"schedule_id": s["id"], "card_id": plain.card_id})
    assert r.status == 201, r.json
    assert (await seen())["status"] == "full"
    clock.freeze(at(D, "08:00"))
    assert (await seen())["status"] == "ended"
    clock.freeze(at(date(2026, 12, 14), "09:00"))
    r = await catalog.admin("POST", f"/admin/schedules/{s['id']}/suspend", {"reason": "医生外出"})
    assert r.status == 200, r.json
    assert (await seen())["status"] == "suspended"
