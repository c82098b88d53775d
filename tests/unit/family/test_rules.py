from datetime import datetime, timedelta

from backend.clock import SHANGHAI
from backend.family.rules import can_remove, has_room, removable_at

LINKED = datetime(2026, 1, 1, 10, 30, tzinfo=SHANGHAI)


def test_removable_from_the_start_of_day_45():
    assert removable_at(LINKED, lock_days=45) == datetime(2026, 2, 15, 0, 0, tzinfo=SHANGHAI)


def test_day_44_refused_day_45_allowed():
    day44 = LINKED + timedelta(days=44)
    assert not can_remove(LINKED, now=day44, lock_days=45)
    assert not can_remove(LINKED, now=datetime(2026, 2, 14, 23, 59, 59, tzinfo=SHANGHAI), lock_days=45)
    assert can_remove(LINKED, now=datetime(2026, 2, 15, 0, 0, tzinfo=SHANGHAI), lock_days=45)


def test_business_day_is_shanghai_not_utc():
    # 2026-01-01 23:30 in Shanghai is still 2026-01-01 15:30 UTC: day 0 is Jan 1 either way,
    # but 00:30 on Jan 2 Shanghai (Jan 1 UTC) counts from Jan 2.
    late = datetime(2026, 1, 2, 0, 30, tzinfo=SHANGHAI)
    assert removable_at(late, lock_days=45) == datetime(2026, 2, 16, tzinfo=SHANGHAI)


def test_ten_members_at_most():
    assert has_room(9, limit=10)
    assert not has_room(10, limit=10)
