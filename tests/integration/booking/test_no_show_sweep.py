"""The no-show sweep looks only at sessions that ended since its last run: history (here 10,000
attended bookings) costs it nothing."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from backend.booking import bans as booking_bans
from backend.booking.models import Booking, SweepMark
from backend.booking.rules import BookingStatus
from backend.catalog.models import Schedule
from backend.clock import clock
from tests.integration.conftest import at

D = date(2026, 12, 20)


async def _history(catalog, resident_with_card, n_sessions: int, per_session: int):
    """n_sessions past sessions full of attended (checked-in or called) bookings."""
    clock.freeze(at(date(2026, 11, 1), "09:00"))
    hospital = await catalog.hospital()
    dept = await catalog.department(hospital)
    template = await Schedule.get(
        id=(await catalog.schedule(hospital=hospital, department=dept, day=date(2026, 11, 2)))["id"]
    )
    me = await resident_with_card()
    from backend.cards.models import Card

    card = await Card.get(card_id=me.card_id)
    days = [date(2026, 11, 2) + timedelta(days=i % 28) for i in range(n_sessions)]
    sessions = await Schedule.bulk_create(
        [
            Schedule(
                hospital_id=template.hospital_id,
                department_id=template.department_id,
                doctor_id=template.doctor_id,
                date=day,
                start=f"{8 + i // 28:02d}:00",
                end=f"{8 + i // 28:02d}:30",
                capacity=per_session,
                fee_fen=0,
                release_at=template.release_at,
                referral_release_at=template.referral_release_at,
                created_at=clock.now(),
            )
            for i, day in enumerate(days)
        ]
    )
    sessions = await Schedule.filter(hospital_id=template.hospital_id).exclude(id=template.id)
    rows = []
    for s in sessions:
        for n in range(1, per_session + 1):
            rows.append(
                Booking(
                    schedule_id=s.id,
                    card_id=card.id,
                    account_id=card.owner_id,
                    hold_id=f"h{s.id:08d}{n:06d}",
                    visit_number=n,
                    status=BookingStatus.CALLED if n % 2 else BookingStatus.CHECKED_IN,
                    amount_fen=0,
                    visit_date=s.date,
                    created_at=clock.now(),
                )
            )
    await Booking.bulk_create(rows, batch_size=2000)
    return hospital, dept


async def test_the_sweep_touches_no_old_attended_booking(catalog, resident_with_card, booked, deps, caplog):
    hospital, dept = await _history(catalog, resident_with_card, n_sessions=100, per_session=100)
    assert await Booking.filter(status__in=(BookingStatus.CHECKED_IN, BookingStatus.CALLED)).count() == 10_000

    clock.freeze(at(date(2026, 12, 13), "13:00"))
    assert await booking_bans.mark_no_shows(deps) == 0  # first sweep: no confirmed booking, starts now
    assert (await SweepMark.get(name="no_show")).until == clock.now()
    fresh = await catalog.schedule(hospital=hospital, department=dept, day=D)
    late = await resident_with_card()
    await booked(late, fresh)

    clock.freeze(at(D, "09:00"))  # the fresh session ended unattended
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        assert await booking_bans.mark_no_shows(deps) == 1
    sql = [r.getMessage() for r in caplog.records if r.name == "tortoise.db_client"]
    booking_reads = [q for q in sql if q.lstrip().upper().startswith("SELECT") and '"bookings"' in q.split("WHERE")[0]]
    # the sweep's own statements: the mark, the ended sessions, their confirmed bookings, the
    # update, and the no-show ban check of the one card (its no-shows, its bans) - a constant
    assert len(sql) <= 10, sql
    # the only booking rows read were the fresh session's (its confirmed one, then the card's no-shows)
    sweep_read = next(q for q in booking_reads if '"schedule_id" IN' in q)
    assert f"[{fresh['id']}" in sweep_read or f"({fresh['id']})" in sweep_read or f"[[{fresh['id']}" in sweep_read, (
        sweep_read
    )
    assert await Booking.filter(status=BookingStatus.NO_SHOW).count() == 1
    assert await Booking.filter(status__in=(BookingStatus.CHECKED_IN, BookingStatus.CALLED)).count() == 10_000

    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        clock.advance(seconds=5)
        assert await booking_bans.mark_no_shows(deps) == 0  # nothing ended since
    sql = [r.getMessage() for r in caplog.records if r.name == "tortoise.db_client"]
    assert not [q for q in sql if '"bookings"' in q], sql  # no session ended: bookings are not even read


async def test_the_first_sweep_catches_up_from_the_oldest_confirmed_booking(catalog, resident_with_card, booked, deps):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    hospital = await catalog.hospital()
    dept = await catalog.department(hospital)
    me = await resident_with_card()
    s = await catalog.schedule(hospital=hospital, department=dept, day=D)
    await booked(me, s)
    clock.freeze(at(D + timedelta(days=30), "09:00"))  # long after, and no sweep ever ran
    assert await booking_bans.mark_no_shows(deps) == 1
    assert await booking_bans.mark_no_shows(deps) == 0


async def test_no_shows_spread_over_twelve_months_bar_booking(catalog, resident_with_card, booked, deps):
    """Three no-shows 300, 100 and 10 days before the sweep that finds the last one: all within 12
    months, so the card is barred (a database look-back shorter than a year would miss some)."""
    from backend.booking.models import Ban

    now = at(D, "09:00")
    clock.freeze(at(D - timedelta(days=307), "13:00"))
    hospital = await catalog.hospital()
    me = await resident_with_card()
    for days_ago in (300, 100, 10):
        day = (now - timedelta(days=days_ago)).date()
        clock.freeze(at(day - timedelta(days=7), "13:00"))  # the day its slots are released
        await me.relogin()
        session = await catalog.schedule(hospital=hospital, department=await catalog.department(hospital), day=day)
        await booked(me, session)
        if days_ago > 10:  # the sweep after the session finds it; the last one is found at `now`
            clock.freeze(at(day, "09:00"))
            assert await booking_bans.mark_no_shows(deps) == 1
            assert not await Ban.exists()
    clock.freeze(now)
    assert await booking_bans.mark_no_shows(deps) == 1
    assert [b.visit_date for b in await Booking.filter(status=BookingStatus.NO_SHOW).order_by("visit_date")] == [
        (now - timedelta(days=n)).date() for n in (300, 100, 10)
    ]
    assert (await Ban.get()).rule == "no_show_ban"
    await me.relogin()
    later = await catalog.schedule(hospital=hospital, day=D + timedelta(days=1))
    r = await me.post("/api/v1/holds", {"schedule_id": later["id"], "card_id": me.card_id})
    assert r.status == 429 and r.json["error"]["rule"] == "no_show_ban"
    assert r.json["error"]["until"] == "2027-01-19T09:00:00+08:00"  # 30 days from the third
