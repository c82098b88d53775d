"""Pure catalog rules: release times and the shape of a schedule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from backend.clock import local_datetime
from backend.transitions import Transitions

ORDINARY_RELEASE_DAYS = 7
REFERRAL_EXTRA_DAYS = 3
EARLIEST_RELEASE = "06:00"
LATEST_RELEASE = "22:00"
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_CAPACITY = 500
MAX_FEE_FEN = 1_000_000


class InvalidSchedule(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def parse_hhmm(value: str, *, field: str) -> tuple[int, int]:
    m = _HHMM.match(value or "")
    if not m:
        raise InvalidSchedule(field, "must be a time HH:MM")
    return int(m.group(1)), int(m.group(2))


def validate_release_time(value: str) -> str:
    """Slots are never released at night: 22:00-06:00 is refused (both ends allowed)."""
    parse_hhmm(value, field="release_time")
    if not EARLIEST_RELEASE <= value <= LATEST_RELEASE:
        raise InvalidSchedule("release_time", f"must be between {EARLIEST_RELEASE} and {LATEST_RELEASE}; no releases at night")
    return value


@dataclass(frozen=True)
class ReleaseTimes:
    ordinary: datetime
    referral: datetime


def release_times(visit_date: date, release_time: str) -> ReleaseTimes:
    """Ordinary slots of date D open at the release time 7 days before D; referral slots 3 days
    earlier (10 days before D), both Asia/Shanghai."""
    ordinary = local_datetime(visit_date - timedelta(days=ORDINARY_RELEASE_DAYS), validate_release_time(release_time))
    return ReleaseTimes(ordinary=ordinary, referral=ordinary - timedelta(days=REFERRAL_EXTRA_DAYS))


def validate_period(start: str, end: str) -> None:
    """Half-hour precision: 08:00-08:30, 08:00-11:30; start before end."""
    for field, value in (("start", start), ("end", end)):
        _, minute = parse_hhmm(value, field=field)
        if minute not in (0, 30):
            raise InvalidSchedule(field, "must be on the hour or half hour (HH:00 or HH:30)")
    if start >= end:
        raise InvalidSchedule("end", "must be after start")


def validate_stock(*, capacity: int, referral_quota: int, fee_fen: int) -> None:
    if not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidSchedule("capacity", f"must be 1 to {MAX_CAPACITY}")
    if not 0 <= referral_quota <= capacity:
        raise InvalidSchedule("referral_quota", "must be between 0 and the capacity")
    if not 0 <= fee_fen <= MAX_FEE_FEN:
        raise InvalidSchedule("fee_fen", "must be a whole number of fen between 0 and 1,000,000")


def session_bounds(visit_date: date, start: str, end: str) -> tuple[datetime, datetime]:
    return local_datetime(visit_date, start), local_datetime(visit_date, end)


class ScheduleStatus(StrEnum):
    """What is stored: a session is open until an operator suspends it (停诊), for good."""

    OPEN = "open"
    SUSPENDED = "suspended"


SCHEDULE_MOVES = Transitions(
    "schedule",
    {ScheduleStatus.OPEN: {ScheduleStatus.SUSPENDED}, ScheduleStatus.SUSPENDED: set()},
    refusal_code="already_suspended",
)


class SeenStatus(StrEnum):
    """What a caller sees of a session at a moment (GET .../schedules `status`)."""

    NOT_RELEASED = "not_released"
    OPEN = "open"
    FULL = "full"
    ENDED = "ended"
    SUSPENDED = "suspended"


def seen_status(
    *, stored: str, now: datetime, release_at: datetime, referral_release_at: datetime, closes_at: datetime,
    remaining: int, referral_remaining: int = 0, has_referral: bool = False,
) -> SeenStatus:
    """Suspended and ended win (ended: the session has started, so it can no longer be booked -
    the hold store closes it at its start); before its release a session is not_released, except to a
    referral holder once referral slots are out (and while some are left); then full or open.
    `remaining`: slots left to this caller (ordinary callers cannot take referral slots
    before the ordinary release)."""
    if stored == ScheduleStatus.SUSPENDED:
        return SeenStatus.SUSPENDED
    if now >= closes_at:
        return SeenStatus.ENDED
    if now < release_at:
        if not (has_referral and now >= referral_release_at):
            return SeenStatus.NOT_RELEASED
        return SeenStatus.OPEN if referral_remaining > 0 else SeenStatus.FULL
    return SeenStatus.OPEN if remaining > 0 else SeenStatus.FULL
