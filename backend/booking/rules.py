"""Pure booking rules: refusals, deadlines, anti-scalper bans, visit numbers, identifiers."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from backend.clock import SHANGHAI


_random_pool = bytearray()


def new_hold_id() -> str:
    """24 random hex digits. Random bytes are drawn from the OS a few kilobytes at a time: one
    system call per hold would show at a release."""
    global _random_pool
    if len(_random_pool) < 12:
        _random_pool = bytearray(secrets.token_bytes(12 * 512))
    chunk = bytes(_random_pool[-12:])
    del _random_pool[-12:]
    return chunk.hex()


def new_out_trade_no(now: datetime) -> str:
    """Merchant order number: 6-32 characters of [A-Za-z0-9_-|*]; sortable by time."""
    return f"EH{now.astimezone(SHANGHAI):%Y%m%d%H%M%S}{secrets.token_hex(5)}"


def new_out_refund_no(out_trade_no: str, seq: int) -> str:
    return f"RF{out_trade_no[2:]}{seq:02d}"


def cancel_deadline(visit_date: date, *, days_before: int) -> datetime:
    """Cancelling (退号) is allowed until the end of the day `days_before` days before the visit
    (1: until 24:00 of the day before)."""
    return datetime.combine(visit_date - timedelta(days=days_before - 1), time(0), tzinfo=SHANGHAI)


def can_cancel(visit_date: date, *, now: datetime, days_before: int) -> bool:
    return now < cancel_deadline(visit_date, days_before=days_before)


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


# How each refusal of the hold script reads to a resident: (HTTP status, message).
REFUSALS = {
    "unauthorized": (401, "the token is invalid, expired or logged out"),
    "card_not_found": (404, "no such card"),
    "card_inactive": (409, "this card is not active"),
    "schedule_not_found": (404, "no such schedule"),
    "schedule_suspended": (409, "this session has been suspended (停诊)"),
    "schedule_closed": (409, "this session has already started"),
    "not_released": (403, "these slots are not released yet"),
    "already_held": (409, "this card already holds a slot in this session"),
    "already_booked": (409, "this card is already booked in this session"),
    "sold_out": (409, "no slots left in this session"),
    "limit_exceeded": (429, "refused by an anti-scalper rule"),
}

LIMIT_MESSAGES = {
    "rate_account": "too many booking requests from this account; slow down",
    "rate_ip": "too many booking requests from this network; slow down",
    "daily_limit": "this card already has the most bookings or holds allowed for that day",
    "department_daily_limit": "this card already has a booking or hold in that department on that day",
    "no_show_ban": "this card missed 3 appointments in 12 months and cannot book for 30 days",
    "cancel_ban": "this card cancelled 3 appointments this month and cannot book for 30 days",
}
