"""Every catalog refusal pinned: its field, its message, the limits to the unit, and seen_status."""

from datetime import datetime, timedelta

import pytest

from backend.catalog.rules import (
    InvalidSchedule,
    SeenStatus,
    parse_hhmm,
    seen_status,
    validate_period,
    validate_release_time,
    validate_stock,
)
from backend.clock import SHANGHAI


def refusal(fn, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(InvalidSchedule) as exc:
        fn(*args, **kwargs)
    assert exc.value.line is None
    return exc.value.field, str(exc.value)


def test_parse_hhmm_reads_hours_and_minutes_and_names_the_field():
    assert parse_hhmm("09:30", field="start") == (9, 30)
    assert parse_hhmm("23:59", field="start") == (23, 59)
    assert refusal(parse_hhmm, "9:30", field="start") == ("start", "must be a time HH:MM")
    assert refusal(parse_hhmm, None, field="end") == ("end", "must be a time HH:MM")


NIGHT = "must be between 06:00 and 22:00; no releases at night"


@pytest.mark.parametrize(
    "value, reason",
    [
        ("22:01", NIGHT),
        ("05:59", NIGHT),
        ("00:00", NIGHT),
        ("7:00", "must be a time HH:MM"),
        ("", "must be a time HH:MM"),
        (None, "must be a time HH:MM"),
        ("\u0661\u0663:00", "digits must be 0-9"),  # Arabic-Indic 13
    ],
)
def test_release_time_refusals(value, reason):
    assert refusal(validate_release_time, value) == ("release_time", reason)


def test_a_full_width_release_time_is_stored_in_ascii():
    assert validate_release_time("\uff11\uff13\uff1a\uff10\uff10") == "13:00"
    assert validate_release_time("０６:００") == "06:00"


@pytest.mark.parametrize(
    "start, end, field, reason",
    [
        ("08:15", "09:00", "start", "must be on the hour or half hour (HH:00 or HH:30)"),
        ("08:01", "09:00", "start", "must be on the hour or half hour (HH:00 or HH:30)"),
        ("08:00", "08:31", "end", "must be on the hour or half hour (HH:00 or HH:30)"),
        ("08:00", "08:59", "end", "must be on the hour or half hour (HH:00 or HH:30)"),
        ("8:00", "09:00", "start", "must be a time HH:MM"),
        ("08:00", "9:00", "end", "must be a time HH:MM"),
        ("09:00", "09:00", "end", "must be after start"),
        ("09:30", "09:00", "end", "must be after start"),
    ],
)
def test_period_refusals(start, end, field, reason):
    assert refusal(validate_period, start, end) == (field, reason)


@pytest.mark.parametrize("start, end", [("08:00", "08:30"), ("08:30", "09:00"), ("00:00", "23:30"), ("09:00", "09:30")])
def test_half_hour_periods_pass(start, end):
    assert validate_period(start, end) is None


@pytest.mark.parametrize(
    "capacity, quota, fee, field, reason",
    [
        (0, 0, 0, "capacity", "must be 1 to 500"),
        (501, 0, 0, "capacity", "must be 1 to 500"),
        (-1, 0, 0, "capacity", "must be 1 to 500"),
        (10, 11, 0, "referral_quota", "must be between 0 and the capacity"),
        (10, -1, 0, "referral_quota", "must be between 0 and the capacity"),
        (10, 0, -1, "fee_fen", "must be a whole number of fen between 0 and 1,000,000"),
        (10, 0, 1_000_001, "fee_fen", "must be a whole number of fen between 0 and 1,000,000"),
    ],
)
def test_stock_refusals(capacity, quota, fee, field, reason):
    assert refusal(validate_stock, capacity=capacity, referral_quota=quota, fee_fen=fee) == (field, reason)


@pytest.mark.parametrize("capacity, quota, fee", [(1, 0, 0), (1, 1, 0), (500, 500, 1_000_000), (500, 0, 1)])
def test_stock_at_its_limits_passes(capacity, quota, fee):
    assert validate_stock(capacity=capacity, referral_quota=quota, fee_fen=fee) is None


REFERRAL = datetime(2026, 12, 10, 13, 0, tzinfo=SHANGHAI)
RELEASE = datetime(2026, 12, 13, 13, 0, tzinfo=SHANGHAI)
CLOSES = datetime(2026, 12, 20, 8, 0, tzinfo=SHANGHAI)
SECOND = timedelta(seconds=1)


def seen(now, stored="open", **kwargs):
    return seen_status(
        stored=stored,
        now=now,
        release_at=RELEASE,
        referral_release_at=REFERRAL,
        closes_at=CLOSES,
        **{"remaining": 5, **kwargs},
    )


def test_suspended_and_retired_win_whenever_it_is():
    for now in (REFERRAL - SECOND, RELEASE, CLOSES + SECOND):
        assert seen(now, stored="suspended") is SeenStatus.SUSPENDED
        assert seen(now, stored="retired") is SeenStatus.RETIRED


def test_a_session_ends_at_its_start_to_the_second():
    assert seen(CLOSES - SECOND) is SeenStatus.OPEN
    assert seen(CLOSES) is SeenStatus.ENDED
    assert seen(CLOSES, has_referral=True, referral_remaining=3) is SeenStatus.ENDED


def test_ordinary_release_to_the_second():
    assert seen(RELEASE - SECOND) is SeenStatus.NOT_RELEASED
    assert seen(RELEASE) is SeenStatus.OPEN
    assert seen(RELEASE, remaining=1) is SeenStatus.OPEN
    assert seen(RELEASE, remaining=0) is SeenStatus.FULL


def test_referral_holders_see_referral_slots_three_days_early():
    assert seen(REFERRAL - SECOND, has_referral=True, referral_remaining=3) is SeenStatus.NOT_RELEASED
    assert seen(REFERRAL, has_referral=True, referral_remaining=1) is SeenStatus.OPEN
    assert seen(REFERRAL, has_referral=True, referral_remaining=0) is SeenStatus.FULL
    assert seen(REFERRAL, has_referral=True) is SeenStatus.FULL  # no referral slots unless given
    assert seen(RELEASE - SECOND, has_referral=True, referral_remaining=1, remaining=0) is SeenStatus.OPEN
    # without a referral, nothing before the ordinary release (the default is no referral)
    assert seen(REFERRAL, referral_remaining=3) is SeenStatus.NOT_RELEASED
    assert seen(REFERRAL, has_referral=False, referral_remaining=3) is SeenStatus.NOT_RELEASED
    # after the ordinary release a referral holder sees what is left to them
    assert seen(RELEASE, has_referral=True, referral_remaining=0, remaining=2) is SeenStatus.OPEN
    assert seen(RELEASE, has_referral=True, referral_remaining=3, remaining=0) is SeenStatus.FULL
