"""Check-in with the dynamic code, calling the next patient, and the resident's queue view."""

import asyncio
from datetime import date, timedelta

import pytest

from backend.booking import bans as booking_bans
from backend.booking.models import Booking
from backend.clock import clock
from backend.queueing import service
from backend.queueing.models import QueueEntry
from tests.integration.conftest import at, dynamic_code

D = date(2026, 12, 20)


async def _session_with_patients(catalog, resident_with_card, booked, n):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    hospital = await catalog.hospital()
    s = await catalog.schedule(hospital=hospital, day=D, capacity=10)
    patients = []
    for _ in range(n):
        p = await resident_with_card()
        p.booking = await booked(p, s)
        patients.append(p)
    clock.freeze(at(D, "07:00"))
    for p in patients:  # sessions last 7 days: log in again on the day
        await p.relogin()
    return hospital, s, patients


async def test_checkin_call_next_and_the_resident_view(catalog, resident_with_card, booked, terminal_for):
    hospital, s, (p1, p2, p3) = await _session_with_patients(catalog, resident_with_card, booked, 3)
    assert [p.booking["visit_number"] for p in (p1, p2, p3)] == [1, 2, 3]
    t = await terminal_for(hospital)
    view = (await p2.get(f"/api/v1/bookings/{p2.booking['id']}/queue")).json
    assert view == {"called_number": None, "your_number": 2, "ahead": 0, "status": "not_checked_in"}
    r = await t.check_in(await dynamic_code(p2), p2.booking["id"])
    assert r.status == 200 and r.json["visit_number"] == 2 and r.json["position"] == 1
    r = await t.check_in(await dynamic_code(p1), p1.booking["id"])
    assert r.json["position"] == 1  # number 1 goes before number 2
    r = await t.check_in(await dynamic_code(p3), p3.booking["id"])
    assert r.json["position"] == 3
    assert (await p3.get(f"/api/v1/bookings/{p3.booking['id']}/queue")).json["ahead"] == 2
    called = await t.call_next(s["id"])
    assert called.json["called_number"] == 1
    view = (await p3.get(f"/api/v1/bookings/{p3.booking['id']}/queue")).json
    assert view == {"called_number": 1, "your_number": 3, "ahead": 1, "status": "waiting"}
    assert (await p1.get(f"/api/v1/bookings/{p1.booking['id']}/queue")).json["status"] == "called"
    assert (await t.call_next(s["id"])).json["called_number"] == 2
    assert (await p1.get(f"/api/v1/bookings/{p1.booking['id']}/queue")).json["status"] == "done"
    assert (await t.call_next(s["id"])).json["called_number"] == 3
    empty = await t.call_next(s["id"])
    assert empty.status == 409 and empty.json["error"]["code"] == "queue_empty"


async def test_a_late_patient_goes_right_after_the_number_being_called(
    catalog, resident_with_card, booked, terminal_for
):
    hospital, s, patients = await _session_with_patients(catalog, resident_with_card, booked, 5)
    t = await terminal_for(hospital)
    for p in (patients[0], patients[2], patients[3], patients[4]):  # number 2 is not there yet
        assert (await t.check_in(await dynamic_code(p), p.booking["id"])).status == 200
    assert (await t.call_next(s["id"])).json["called_number"] == 1
    assert (await t.call_next(s["id"])).json["called_number"] == 3  # 2 has not checked in: skipped
    late = await t.check_in(await dynamic_code(patients[1]), patients[1].booking["id"])
    assert late.json["position"] == 1  # after 3 (being called), before 4
    assert (await t.call_next(s["id"])).json["called_number"] == 2
    assert (await t.call_next(s["id"])).json["called_number"] == 4
    assert (await t.call_next(s["id"])).json["called_number"] == 5


async def test_checkin_refusals(catalog, resident_with_card, booked, terminal_for):
    hospital, s, (p1, p2) = await _session_with_patients(catalog, resident_with_card, booked, 2)
    t = await terminal_for(hospital)
    other = await terminal_for(await catalog.hospital())
    code = await dynamic_code(p1)
    assert (await other.check_in(code, p1.booking["id"])).json["error"]["code"] == "booking_not_found"
    assert (await t.check_in(code, p2.booking["id"])).json["error"]["code"] == "card_mismatch"
    assert (await t.check_in(f"{p1.card_id}:1", p1.booking["id"])).json["error"]["code"] == "qr_static_not_allowed"
    assert (await t.check_in(code, p1.booking["id"])).status == 200  # the mismatch did not spend it
    assert (await t.check_in(code, p1.booking["id"])).json["error"]["code"] == "qr_reused"
    clock.advance(seconds=60)  # the next minute's code
    r = await t.check_in(await dynamic_code(p1), p1.booking["id"])
    assert r.status == 409 and r.json["error"]["code"] == "already_checked_in"
    assert (await other.call_next(s["id"])).status == 404
    clock.freeze(at(D + timedelta(days=-1), "09:00"))
    clock.advance(days=1, hours=-1)
    tomorrow = await catalog.schedule(
        hospital=hospital, department=await catalog.department(hospital), day=D + timedelta(days=1)
    )
    b = await booked(p2, tomorrow)
    assert (await t.check_in(await dynamic_code(p2), b["id"])).json["error"]["code"] == "not_today"


@pytest.mark.postgres_only
async def test_fifty_concurrent_checkins_with_one_code_succeed_once(catalog, resident_with_card, booked, terminal_for):
    hospital, s, (p,) = await _session_with_patients(catalog, resident_with_card, booked, 1)
    t = await terminal_for(hospital)
    code = await dynamic_code(p)
    results = await asyncio.gather(*[t.check_in(code, p.booking["id"]) for _ in range(50)])
    assert sorted(r.status for r in results).count(200) == 1


@pytest.mark.postgres_only
async def test_concurrent_call_next_never_calls_one_patient_twice(catalog, resident_with_card, booked, terminal_for):
    hospital, s, patients = await _session_with_patients(catalog, resident_with_card, booked, 6)
    t = await terminal_for(hospital)
    for p in patients:
        await t.check_in(await dynamic_code(p), p.booking["id"])
    results = await asyncio.gather(*[t.call_next(s["id"]) for _ in range(10)])
    called = [r.json["called_number"] for r in results if r.status == 200]
    assert sorted(called) == [1, 2, 3, 4, 5, 6]


async def test_no_shows_are_marked_and_three_in_a_year_bar_booking(catalog, resident_with_card, booked, deps):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    hospital = await catalog.hospital()
    me = await resident_with_card()
    sessions = [
        await catalog.schedule(
            hospital=hospital, department=await catalog.department(hospital), day=D + timedelta(days=-i)
        )
        for i in range(3)
    ]
    for s in sessions:
        await booked(me, s)
    clock.freeze(at(D, "09:00"))  # every session has ended, nobody came
    assert await booking_bans.mark_no_shows(deps) == 3
    assert {b.status for b in await Booking.filter(card__card_id=me.card_id)} == {"no_show"}
    await me.relogin()
    later = await catalog.schedule(hospital=hospital, day=D + timedelta(days=1))
    clock.freeze(at(D + timedelta(days=1), "06:00"))
    r = await me.post("/api/v1/holds", {"schedule_id": later["id"], "card_id": me.card_id})
    assert r.status == 429 and r.json["error"]["rule"] == "no_show_ban"
    assert r.json["error"]["until"] == "2027-01-19T09:00:00+08:00"


async def test_the_display_never_shows_half_of_a_call(catalog, resident_with_card, booked, terminal_for):
    hospital, s, (p1,) = await _session_with_patients(catalog, resident_with_card, booked, 1)
    t = await terminal_for(hospital)
    assert (await t.check_in(await dynamic_code(p1), p1.booking["id"])).status == 200
    looks = []

    async def count_then_a_call_lands():
        waiting = await QueueEntry.filter(schedule_id=s["id"], status="waiting").count()
        looks.append(waiting)
        if len(looks) == 1:  # the number is read before the count, this call after it
            await service.call_next(schedule_id=s["id"])
        return waiting

    queue, waiting = await service.beside_the_call(s["id"], count_then_a_call_lands)
    assert (queue.called_number, waiting) == (1, 0) and looks == [1, 0]
    _, board = await catalog.client.get(f"/api/v1/schedules/{s['id']}/queue")
    assert (board.json["called_number"], board.json["waiting"]) == (1, 0)
