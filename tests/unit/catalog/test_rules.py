from datetime import date, datetime

import pytest

from backend.catalog.rules import InvalidSchedule, release_times, validate_period, validate_release_time, validate_stock
from backend.clock import SHANGHAI


def test_release_seven_days_before_at_release_time_and_referral_three_days_earlier():
    r = release_times(date(2026, 12, 20), "13:00")
    assert r.ordinary == datetime(2026, 12, 13, 13, 0, tzinfo=SHANGHAI)
    assert r.referral == datetime(2026, 12, 10, 13, 0, tzinfo=SHANGHAI)


def test_release_across_a_month_and_year_boundary():
    r = release_times(date(2027, 1, 3), "08:00")
    assert r.ordinary == datetime(2026, 12, 27, 8, 0, tzinfo=SHANGHAI)
    assert r.referral == datetime(2026, 12, 24, 8, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("value", ["06:00", "13:00", "21:59", "22:00"])
def test_daytime_release_times(value):
    assert validate_release_time(value) == value


@pytest.mark.parametrize("value", ["22:01", "23:30", "00:00", "03:00", "05:59", "24:00", "7:00", "13:60", "noon"])
def test_no_release_at_night_or_nonsense(value):
    with pytest.raises(InvalidSchedule):
        validate_release_time(value)


def test_half_hour_periods():
    validate_period("08:00", "08:30")
    validate_period("13:30", "17:00")
    for start, end in [
        ("08:15", "08:45"),
        ("08:00", "08:10"),
        ("09:00", "08:30"),
        ("09:00", "09:00"),
        ("25:00", "26:00"),
    ]:
        with pytest.raises(InvalidSchedule):
            validate_period(start, end)


def test_stock_bounds():
    validate_stock(capacity=1, referral_quota=0, fee_fen=0)
    validate_stock(capacity=100, referral_quota=100, fee_fen=1500)
    for kwargs in [
        dict(capacity=0, referral_quota=0, fee_fen=0),
        dict(capacity=10, referral_quota=11, fee_fen=0),
        dict(capacity=10, referral_quota=-1, fee_fen=0),
        dict(capacity=10, referral_quota=0, fee_fen=-1),
    ]:
        with pytest.raises(InvalidSchedule):
            validate_stock(**kwargs)
