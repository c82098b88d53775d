"""The one clock for all business time.

Everything that asks "what time is it" asks `clock`: services, rules (given `now`), Lua scripts
(given `now_ms` as an argument, never Redis TIME). Tests and the dev-only endpoint move it.
"""

from __future__ import annotations

import functools
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._set_offset(timedelta(0))

    def _set_offset(self, offset: timedelta) -> None:
        self._offset = offset
        self._offset_ns = offset // timedelta(microseconds=1) * 1000  # for now_ms, kept in step

    def now(self) -> datetime:
        """Aware UTC datetime."""
        if self._frozen is not None:
            return self._frozen
        return datetime.now(timezone.utc) + self._offset

    def now_ms(self) -> int:
        # On the hold path: integer arithmetic instead of building a datetime per request.
        if self._frozen is not None:
            return to_ms(self._frozen)
        return (time.time_ns() + self._offset_ns) // 1_000_000

    def local_now(self) -> datetime:
        return self.now().astimezone(SHANGHAI)

    def today(self) -> date:
        """Business date (Asia/Shanghai)."""
        return self.local_now().date()

    def set(self, when: datetime, *, frozen: bool = False) -> None:
        if when.tzinfo is None:
            raise ValueError("clock needs an aware datetime")
        when = when.astimezone(timezone.utc)
        if frozen:
            self._frozen = when
        else:
            self._frozen = None
            self._set_offset(when - datetime.now(timezone.utc))

    def freeze(self, when: datetime | None = None) -> None:
        """Stop the clock at `when`, or at the current whole second: with no fraction left, a
        time "301 s ago" in unix seconds is 301 s ago, not 301.x (window edges stay exact)."""
        self.set(when or self.now().replace(microsecond=0), frozen=True)

    def advance(self, delta: timedelta | None = None, **kwargs) -> None:
        step = delta if delta is not None else timedelta(**kwargs)
        if self._frozen is not None:
            self._frozen += step
        else:
            self._set_offset(self._offset + step)

    def reset(self) -> None:
        self._frozen = None
        self._set_offset(timedelta(0))

    @property
    def is_real(self) -> bool:
        return self._frozen is None and self._offset == timedelta(0)


def to_ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def iso(when: datetime | None) -> str | None:
    """ISO-8601 with the Asia/Shanghai offset, as every response shows time."""
    if when is None:
        return None
    return when.astimezone(SHANGHAI).isoformat(timespec="seconds")


def iso_ms(ms: int) -> str:
    """iso(from_ms(ms)), formatted once per second: the holds of a burst all expire within a few
    seconds of each other, and each would otherwise build and format a datetime."""
    return _iso_of_second(ms // 1000)


@functools.lru_cache(maxsize=256)
def _iso_of_second(seconds: int) -> str:
    return iso(datetime.fromtimestamp(seconds, tz=timezone.utc))


def local_datetime(day: date, hh_mm: str) -> datetime:
    hour, minute = (int(x) for x in hh_mm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


clock = Clock()
