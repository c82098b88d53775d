"""Anti-scalper bans: a card with too many no-shows in twelve months or too many cancellations
in a calendar month cannot book for a while; the sweep that turns unchecked bookings into no-shows."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError

from backend.booking import rules, store
from backend.booking.models import Ban, Booking, SweepMark
from backend.booking.rules import BOOKING_MOVES, BookingStatus
from backend.catalog.models import Schedule
from backend.clock import SHANGHAI, clock, iso, local_datetime, to_ms

log = logging.getLogger("ehealth.booking")


async def impose_ban(deps, *, card_pk: int, rule: str, until: datetime, now: datetime) -> None:
    if await Ban.filter(card_id=card_pk, rule=rule, until__gt=now).exists():
        return
    await Ban.create(card_id=card_pk, rule=rule, until=until, created_at=now)
    await store.set_ban(deps, card_pk=card_pk, rule=rule, until_ms=to_ms(until), now_ms=to_ms(now))
    log.info("card %s barred from booking by %s until %s", card_pk, rule, iso(until))


async def check_cancel_ban(deps, *, card_pk: int, now: datetime) -> None:
    s = deps.settings
    month_start = now.astimezone(SHANGHAI).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    times = await Booking.filter(card_id=card_pk, cancel_reason="resident", cancelled_at__gte=month_start).values_list(
        "cancelled_at", flat=True
    )
    until = rules.cancel_ban_until(list(times), now=now, limit=s.booking.cancel_limit, ban_days=s.booking.ban_days)
    if until is not None:
        await impose_ban(deps, card_pk=card_pk, rule="cancel_ban", until=until, now=now)


async def check_no_show_ban(deps, *, card_pk: int, now: datetime) -> None:
    s = deps.settings
    session_ends = []
    for b in await Booking.filter(
        card_id=card_pk, status=BookingStatus.NO_SHOW, visit_date__gte=(now - timedelta(days=366)).date()
    ).select_related("schedule"):
        session_ends.append(local_datetime(b.visit_date, b.schedule.end))
    until = rules.no_show_ban_until(session_ends, now=now, limit=s.booking.no_show_limit, ban_days=s.booking.ban_days)
    if until is not None:
        await impose_ban(deps, card_pk=card_pk, rule="no_show_ban", until=until, now=now)


NO_SHOW_SWEEP = "no_show"


async def mark_no_shows(deps) -> int:
    """Bookings still confirmed when their session ends become no-shows (counted for bans).

    Only sessions that ended since the last sweep are looked at (schedules by date, then their
    confirmed bookings, both through indexes), so the cost follows the sessions of the day, not
    the history. The first sweep starts at the oldest confirmed booking.
    """
    now = clock.now()
    mark = await SweepMark.get_or_none(name=NO_SHOW_SWEEP)
    if mark is not None:
        since = mark.until
    else:
        oldest = (
            await Booking.filter(status=BookingStatus.CONFIRMED)
            .order_by("visit_date")
            .first()
            .values_list("visit_date", flat=True)
        )
        since = local_datetime(oldest, "00:00") - timedelta(seconds=1) if oldest else now
    ended = [
        sid
        for sid, day, end in await Schedule.filter(
            date__gte=since.astimezone(SHANGHAI).date(), date__lte=now.astimezone(SHANGHAI).date()
        ).values_list("id", "date", "end")
        if since < local_datetime(day, end) <= now
    ]
    marked = 0
    if ended:
        candidates = await Booking.filter(schedule_id__in=ended, status=BookingStatus.CONFIRMED).values_list(
            "id", "card_id"
        )
        sources = BOOKING_MOVES.sources(BookingStatus.NO_SHOW)
        for booking_id, card_pk in candidates:
            if await Booking.filter(id=booking_id, status__in=sources).update(
                status=BookingStatus.NO_SHOW, active_card_id=None, active_visit_number=None
            ):
                marked += 1
                await check_no_show_ban(deps, card_pk=card_pk, now=now)
    if mark is None:
        try:
            await SweepMark.create(name=NO_SHOW_SWEEP, until=now)
        except IntegrityError:  # another worker's first sweep
            pass
    else:
        await SweepMark.filter(name=NO_SHOW_SWEEP, until__lt=now).update(until=now)
    return marked
