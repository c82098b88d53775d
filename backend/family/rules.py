"""Pure family rules: at most N linked members, removal only from day 45 after linking."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from backend.clock import SHANGHAI


def removable_at(linked_at: datetime, *, lock_days: int) -> datetime:
    """Start of the business day `lock_days` after the day of linking (Asia/Shanghai)."""
    linked_day = linked_at.astimezone(SHANGHAI).date()
    return datetime.combine(linked_day + timedelta(days=lock_days), time(0), tzinfo=SHANGHAI)


def can_remove(linked_at: datetime, *, now: datetime, lock_days: int) -> bool:
    return now >= removable_at(linked_at, lock_days=lock_days)


def has_room(active_members: int, *, limit: int) -> bool:
    return active_members < limit
