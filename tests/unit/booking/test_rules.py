from datetime import date, datetime, timedelta, timezone

from backend.booking.rules import (
    cancel_ban_until,
    cancel_deadline,
    hold_schedule_id,
    new_hold_id,
    no_show_ban_until,
    pick_visit_number,
)
from backend.clock import SHANGHAI
from backend.payments.rules import new_out_refund_no, new_out_trade_no


def sh(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


def test_cancel_until_the_end_of_the_day_before_the_visit():
    visit = date(2026, 12, 20)
    assert cancel_deadline(visit, days_before=1) == sh(2026, 12, 20)
    assert sh(2026, 12, 19, 23, 59, 59) < cancel_deadline(visit, days_before=1)
    assert cancel_deadline(visit, days_before=2) == sh(2026, 12, 19)  # configurable
    assert cancel_deadline(visit, days_before=0) == sh(2026, 12, 21)


def test_visit_numbers_fill_the_smallest_gap():
    assert pick_visit_number(set()) == 1
    assert pick_visit_number({1, 2, 3}) == 4
    assert pick_visit_number({1, 3}) == 2


def test_three_no_shows_in_twelve_months_bar_for_thirty_days():
    now = sh(2026, 12, 1, 9)
    two = [now - timedelta(days=10), now - timedelta(days=100)]
    assert no_show_ban_until(two, now=now, limit=3, ban_days=30) is None
    three = two + [now - timedelta(days=364)]
    assert no_show_ban_until(three, now=now, limit=3, ban_days=30) == now + timedelta(days=30)
    old = two + [now - timedelta(days=366)]
    assert no_show_ban_until(old, now=now, limit=3, ban_days=30) is None


def test_three_cancellations_in_a_calendar_month_bar_for_thirty_days():
    now = sh(2026, 12, 31, 23)
    assert cancel_ban_until([sh(2026, 12, 1), sh(2026, 12, 15), now], now=now, limit=3, ban_days=30) == now + timedelta(
        days=30
    )
    # Nov 30 is another month, even if fewer than 30 days ago
    assert cancel_ban_until([sh(2026, 11, 30, 23), sh(2026, 12, 15), now], now=now, limit=3, ban_days=30) is None
    # months are Shanghai months: 2026-12-31 20:00 UTC is already January in Shanghai
    jan = datetime(2026, 12, 31, 20, tzinfo=timezone.utc)
    assert cancel_ban_until([sh(2026, 12, 1), sh(2026, 12, 2), jan], now=jan, limit=3, ban_days=30) is None


def test_identifiers():
    assert len({new_hold_id(42) for _ in range(1000)}) == 1000
    otn = new_out_trade_no(sh(2026, 12, 13, 13))
    assert otn.startswith("EH20261213130000") and 6 <= len(otn) <= 32 and otn.isalnum()
    assert new_out_refund_no(otn, 1).startswith("RF") and len(new_out_refund_no(otn, 1)) <= 64


def test_a_hold_id_names_its_schedule_and_fits_the_columns():
    # the hold's record is kept with its schedule's keys (one hash tag): the id must say which
    for sid in (1, 42, 999_999_999, 99_999_999_999):
        hold_id = new_hold_id(sid)
        assert hold_schedule_id(hold_id) == sid and len(hold_id) <= 32 and hold_id.isalnum()
    for not_a_hold in (
        "",
        "h" + "a" * 20,
        "0h" + "a" * 20,
        "42h" + "a" * 19,
        "42h" + "A" * 20,
        "42h" + "a" * 21,
        "a" * 24,
        "42h" + "a" * 20 + "\n",
        "１２h" + "a" * 20,
        "-1h" + "a" * 20,
    ):
        assert hold_schedule_id(not_a_hold) is None, not_a_hold


def test_no_shows_count_from_just_after_a_year_ago_up_to_now():
    from backend.booking.rules import no_show_ban_until

    now = sh(2026, 12, 1, 9)
    two = [now - timedelta(days=10), now - timedelta(days=100)]
    ban = now + timedelta(days=30)
    assert no_show_ban_until(two + [now], now=now, limit=3, ban_days=30) == ban  # one this very moment counts
    assert no_show_ban_until(two + [now - timedelta(days=365)], now=now, limit=3, ban_days=30) is None  # exactly a year
    assert no_show_ban_until(two + [now - timedelta(days=365, seconds=-1)], now=now, limit=3, ban_days=30) == ban
    assert no_show_ban_until(two + [now - timedelta(days=365, hours=12)], now=now, limit=3, ban_days=30) is None
    assert no_show_ban_until(two + [now + timedelta(seconds=1)], now=now, limit=3, ban_days=30) is None  # not yet


def test_the_cancellation_month_is_shanghais_whatever_the_times_zone(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "UTC")  # a machine whose local time is not Shanghai's
    time.tzset()
    # 2026-11-30 17:00 UTC is 2026-12-01 01:00 in Shanghai: December there, still November in UTC
    now = datetime(2026, 11, 30, 17, tzinfo=timezone.utc)
    first = now - timedelta(minutes=30)
    try:
        assert cancel_ban_until([first, now, now], now=now, limit=3, ban_days=30) == now + timedelta(days=30)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_cancelling_and_checking_in_refuse_with_their_own_codes_and_messages():
    import pytest

    from backend.booking.rules import check_cancel, check_check_in
    from backend.errors import IllegalTransition

    check_cancel("confirmed")
    check_check_in("confirmed")
    expected = {
        ("cancel", "checked_in"): ("booking_checked_in", "this booking is checked in; it can no longer be cancelled"),
        ("cancel", "called"): ("booking_checked_in", "this booking was already called; it can no longer be cancelled"),
        ("cancel", "no_show"): ("not_cancellable", "this booking is no_show"),
        ("check_in", "checked_in"): ("already_checked_in", "this booking is checked_in"),
        ("check_in", "called"): ("already_checked_in", "this booking is called"),
        ("check_in", "cancelled"): ("not_checkinable", "this booking is cancelled"),
    }
    for (action, status), (code, message) in expected.items():
        with pytest.raises(IllegalTransition) as refused:
            (check_cancel if action == "cancel" else check_check_in)(status)
        assert (refused.value.code, refused.value.message) == (code, message), (action, status)


def test_merchant_numbers_have_their_exact_shape():
    otn = new_out_trade_no(sh(2026, 12, 13, 13))
    assert len(otn) == 26 and all(c in "0123456789abcdef" for c in otn[16:])  # EH, 14 digits of time, 10 hex
    assert new_out_refund_no(otn, 3) == "RF" + otn[2:] + "03"
