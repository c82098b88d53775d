"""Pure rules of the release waiting room (放号排队): signed tickets, the room's times, and the
admission arithmetic (the Lua scripts in backend/releases/lua do the same sums inside Redis; these
are for reading, the console and tests).

A room is one hospital's one release moment R (its release time, Asia/Shanghai, on that day). It
opens `open_before_s` before R; tickets taken before R are placed in random order at R (each got a
random key when issued, and their ranks are read in key order, so nothing has to happen at R);
tickets taken from R on queue after them in arrival order. The number admitted so far is
`rate x seconds since R` (re-anchored when an operator changes the rate during the release), so
every worker computes the same number from the clock and nothing has to tick.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from enum import StrEnum

SHANGHAI_OFFSET_MS = 8 * 3600 * 1000  # Asia/Shanghai has kept UTC+8, without summer time, since 1991
DAY_MS = 86_400_000


class TicketStatus(StrEnum):
    """A ticket as its holder sees it (room.lua decides which)."""

    WAITING = "waiting"
    ADMITTED = "admitted"  # may hold now (or the room is off, over, or fell back to open)
    EXPIRED = "expired"  # was admitted, and did not hold within the validity


TICKET = re.compile(r"([1-9][0-9]{0,8})\.([0-9]{10,15})\.([1-9][0-9]{0,17})\.([A-Za-z0-9_-]{22})")


def release_minutes(hhmm: str) -> int:
    hours, _, minutes = hhmm.partition(":")
    return int(hours) * 60 + int(minutes)


def release_on_day_of(now_ms: int, release_min: int) -> int:
    """The release moment (epoch ms) on the Shanghai day of `now_ms`."""
    day = (now_ms + SHANGHAI_OFFSET_MS) // DAY_MS
    return day * DAY_MS - SHANGHAI_OFFSET_MS + release_min * 60_000


@dataclass(frozen=True)
class RoomTimes:
    release_ms: int
    opens_ms: int
    ends_ms: int  # the end of the release window: from then on holds need no ticket

    def state(self, now_ms: int) -> str:
        if now_ms < self.opens_ms:
            return "closed"
        if now_ms < self.release_ms:
            return "pre_queue"
        if now_ms < self.ends_ms:
            return "admitting"
        return "closed"


def room_times(now_ms: int, release_min: int, *, open_before_ms: int, window_ms: int) -> RoomTimes:
    """Today's room, or tomorrow's once today's window has ended (the same choice ticket.lua makes)."""
    release = release_on_day_of(now_ms, release_min)
    if now_ms >= release + window_ms:
        release += DAY_MS
    return RoomTimes(release, release - open_before_ms, release + window_ms)


def admitted_through(*, now_ms: int, release_ms: int, rate: int, anchor_ms: int, anchor_count: int) -> int:
    """Positions admitted so far. An anchor from before this release (an earlier day's rate change)
    does not count."""
    if now_ms < release_ms:
        return 0
    if anchor_ms >= release_ms:
        return anchor_count + rate * (now_ms - anchor_ms) // 1000
    return rate * (now_ms - release_ms) // 1000


def estimated_wait_s(*, position: int | None, admitted: int, rate: int, now_ms: int, release_ms: int) -> int | None:
    """Seconds until `position` is admitted at the present rate; None when the rate is 0."""
    before = max(release_ms - now_ms, 0)
    if position is None:  # before the draw: the wait to the release
        return math.ceil(before / 1000)
    if position <= admitted:
        return 0
    if rate <= 0:
        return None
    return math.ceil(before / 1000 + (position - admitted) / rate)


def _ticket_key(secret: bytes) -> bytes:
    return hmac.new(secret, b"release-room-ticket", hashlib.sha256).digest()


def sign_ticket(secret: bytes, *, hospital_id: int, release_ms: int, account_id: int) -> str:
    """`<hospital>.<release ms>.<account>.<signature>`: names the account it was issued to, so it
    is worth nothing to another account, and cannot be made up or altered."""
    body = f"{hospital_id}.{release_ms}.{account_id}"
    mac = hmac.new(_ticket_key(secret), body.encode(), hashlib.sha256).digest()[:16]
    return f"{body}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def read_ticket(secret: bytes, ticket: str) -> tuple[int, int, int] | None:
    """(hospital_id, release_ms, account_id) of a ticket this service signed, else None."""
    found = TICKET.fullmatch(ticket or "")
    if not found:
        return None
    hospital_id, release_ms, account_id = int(found[1]), int(found[2]), int(found[3])
    expected = sign_ticket(secret, hospital_id=hospital_id, release_ms=release_ms, account_id=account_id)
    if not hmac.compare_digest(expected.encode(), ticket.encode()):
        return None
    return hospital_id, release_ms, account_id
