"""Pure booking rules: statuses and their moves, refusals, deadlines, anti-scalper bans, visit
numbers, identifiers."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from backend.clock import SHANGHAI
from backend.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized
from backend.transitions import Transitions


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"  # paid, with a visit number
    CHECKED_IN = "checked_in"  # the patient's code was scanned at the hospital on the day
    CALLED = "called"  # staff called the number
    NO_SHOW = "no_show"  # the session ended without a check-in
    CANCELLED = "cancelled"  # 退号 by the resident (refunded)
    SUSPENDED = "suspended"  # cancelled by a session suspension (停诊, refunded)


BOOKING_MOVES = Transitions(
    "booking",
    {
        BookingStatus.CONFIRMED: {
            BookingStatus.CHECKED_IN,
            BookingStatus.CANCELLED,
            BookingStatus.SUSPENDED,
            BookingStatus.NO_SHOW,
        },
        BookingStatus.CHECKED_IN: {BookingStatus.CALLED, BookingStatus.SUSPENDED},
        BookingStatus.CALLED: set(),
        BookingStatus.NO_SHOW: set(),
        BookingStatus.CANCELLED: set(),
        BookingStatus.SUSPENDED: set(),
    },
)

# Bookings that hold their slot and visit number (capacity counts them).
STANDING = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.CALLED)

# Why each refused move reads as it does to a resident or a terminal.
CANCEL_REFUSALS = {
    BookingStatus.CHECKED_IN: ("booking_checked_in", "this booking is checked in; it can no longer be cancelled"),
    BookingStatus.CALLED: ("booking_checked_in", "this booking was already called; it can no longer be cancelled"),
}


def check_cancel(current: str) -> None:
    """退号 is only for a confirmed booking; a checked-in patient was already seen (or is being)."""
    code, message = CANCEL_REFUSALS.get(current, ("not_cancellable", f"this booking is {current}"))
    BOOKING_MOVES.check(current, BookingStatus.CANCELLED, code=code, message=message)


def check_check_in(current: str) -> None:
    code = "already_checked_in" if current in (BookingStatus.CHECKED_IN, BookingStatus.CALLED) else "not_checkinable"
    BOOKING_MOVES.check(current, BookingStatus.CHECKED_IN, code=code, message=f"this booking is {current}")


class HoldState(StrEnum):
    """The state of a hold in the hold store (backend/booking/lua); `expired` is also derived
    from the time for a `held` record."""

    HELD = "held"
    CONFIRMED = "confirmed"  # paid and booked
    RELEASED = "released"  # given up by the resident
    EXPIRED = "expired"
    SUSPENDED = "suspended"  # its session was suspended
    CANCELLED = "cancelled"  # its booking was cancelled


HOLD_MOVES = Transitions(
    "hold",
    {
        HoldState.HELD: {HoldState.CONFIRMED, HoldState.RELEASED, HoldState.EXPIRED, HoldState.SUSPENDED},
        HoldState.CONFIRMED: {HoldState.CANCELLED},
        HoldState.RELEASED: set(),
        HoldState.EXPIRED: set(),
        HoldState.SUSPENDED: set(),
        HoldState.CANCELLED: set(),
    },
)


_random_pool = bytearray()

HOLD_ID = re.compile(r"([1-9][0-9]{0,10})h([0-9a-f]{20})")


def new_hold_id(schedule_id: int) -> str:
    """`<schedule id>h<20 random hex digits>` (at most 32 characters): the hold's record lives
    with its schedule's keys in Redis (one hash tag, one shard of a cluster), so the id has to
    name the schedule for GET /holds/{id} to find it. Random bytes are drawn from the OS a few
    kilobytes at a time: one system call per hold would show at a release."""
    global _random_pool
    if len(_random_pool) < 10:
        _random_pool = bytearray(secrets.token_bytes(10 * 512))
    chunk = bytes(_random_pool[-10:])
    del _random_pool[-10:]
    return f"{schedule_id}h{chunk.hex()}"


def hold_schedule_id(hold_id: str) -> int | None:
    """The schedule a hold id names, or None if it is not a hold id."""
    found = HOLD_ID.fullmatch(hold_id)
    return int(found.group(1)) if found else None


def cancel_deadline(visit_date: date, *, days_before: int) -> datetime:
    """Cancelling (退号) is allowed until the end of the day `days_before` days before the visit
    (1: until 24:00 of the day before)."""
    return datetime.combine(visit_date - timedelta(days=days_before - 1), time(0), tzinfo=SHANGHAI)


def pick_visit_number(taken: set[int]) -> int:
    """The smallest number not held by a standing booking: numbers follow the order of
    confirmation, and a number freed by a cancellation goes to the next confirmation."""
    n = 1
    while n in taken:
        n += 1
    return n


def no_show_ban_until(no_shows: list[datetime], *, now: datetime, limit: int, ban_days: int) -> datetime | None:
    """`limit` no-shows within the last 12 months bar the card for `ban_days` from now."""
    year_ago = now - timedelta(days=365)
    recent = [t for t in no_shows if year_ago < t <= now]
    return now + timedelta(days=ban_days) if len(recent) >= limit else None


def cancel_ban_until(cancellations: list[datetime], *, now: datetime, limit: int, ban_days: int) -> datetime | None:
    """`limit` cancellations in one calendar month (Asia/Shanghai) bar the card for `ban_days`."""
    month = now.astimezone(SHANGHAI).strftime("%Y-%m")
    in_month = [t for t in cancellations if t.astimezone(SHANGHAI).strftime("%Y-%m") == month and t <= now]
    return now + timedelta(days=ban_days) if len(in_month) >= limit else None


# How each refusal of the hold script reads to a resident: (kind of refusal, message).
REFUSALS = {
    "unauthorized": (Unauthorized, "the token is invalid, expired or logged out"),
    "card_not_found": (NotFound, "no such card"),
    "card_inactive": (Conflict, "this card is not active"),
    "schedule_not_found": (NotFound, "no such schedule"),
    "schedule_suspended": (Conflict, "this session has been suspended (停诊)"),
    "schedule_closed": (Conflict, "this session has already started"),
    "not_released": (Forbidden, "these slots are not released yet"),
    "already_held": (Conflict, "this card already holds a slot in this session"),
    "already_booked": (Conflict, "this card is already booked in this session"),
    "sold_out": (Conflict, "no slots left in this session"),
    "limit_exceeded": (TooManyRequests, "refused by an anti-scalper rule"),
}

LIMIT_MESSAGES = {
    "rate_account": "too many booking requests from this account; slow down",
    "rate_ip": "too many booking requests from this network; slow down",
    "daily_limit": "this card already has the most bookings or holds allowed for that day",
    "department_daily_limit": "this card already has a booking or hold in that department on that day",
    "no_show_ban": "this card missed 3 appointments in 12 months and cannot book for 30 days",
    "cancel_ban": "this card cancelled 3 appointments this month and cannot book for 30 days",
}
