"""Pure rules of the release waiting room: the room's times, the admission arithmetic and the
signed tickets."""

from datetime import datetime

from backend.clock import SHANGHAI, to_ms
from backend.releases import rules

SECRET = b"k" * 32
R = to_ms(datetime(2026, 12, 13, 13, 0, tzinfo=SHANGHAI))


def test_the_room_of_the_day_and_the_next_once_the_window_is_over():
    minute = rules.release_minutes("13:00")
    assert rules.release_on_day_of(R - 12 * 3600_000, minute) == R  # 01:00 Shanghai, same day
    times = rules.room_times(R - 301_000, minute, open_before_ms=300_000, window_ms=600_000)
    assert times.release_ms == R and times.state(R - 301_000) == "closed"
    assert times.state(R - 300_000) == "pre_queue" and times.state(R) == "admitting"
    late = rules.room_times(R + 600_000, minute, open_before_ms=300_000, window_ms=600_000)
    assert late.release_ms == R + rules.DAY_MS


def test_admitted_through_grows_with_the_rate_and_keeps_an_anchor_of_this_release():
    assert rules.admitted_through(now_ms=R - 1, release_ms=R, rate=5, anchor_ms=0, anchor_count=0) == 0
    assert rules.admitted_through(now_ms=R + 2500, release_ms=R, rate=4, anchor_ms=0, anchor_count=0) == 10
    # rate changed to 1 at R + 10 s with 40 admitted
    assert rules.admitted_through(now_ms=R + 13_000, release_ms=R, rate=1, anchor_ms=R + 10_000, anchor_count=40) == 43
    # an anchor of an earlier release does not count
    assert rules.admitted_through(now_ms=R + 3000, release_ms=R, rate=2, anchor_ms=R - 86_400_000, anchor_count=9) == 6


def test_estimated_wait():
    assert rules.estimated_wait_s(position=None, admitted=0, rate=5, now_ms=R - 61_500, release_ms=R) == 62
    assert rules.estimated_wait_s(position=3, admitted=5, rate=5, now_ms=R + 1000, release_ms=R) == 0
    assert rules.estimated_wait_s(position=26, admitted=5, rate=5, now_ms=R + 1000, release_ms=R) == 5
    assert rules.estimated_wait_s(position=26, admitted=5, rate=0, now_ms=R + 1000, release_ms=R) is None
    assert rules.estimated_wait_s(position=10, admitted=0, rate=10, now_ms=R - 2000, release_ms=R) == 3


def test_tickets_are_signed_and_name_their_account():
    t = rules.sign_ticket(SECRET, hospital_id=7, release_ms=R, account_id=42)
    assert rules.read_ticket(SECRET, t) == (7, R, 42)
    assert rules.read_ticket(b"x" * 32, t) is None
    assert rules.read_ticket(SECRET, t.replace(".42.", ".43.")) is None
    assert rules.read_ticket(SECRET, "") is None and rules.read_ticket(SECRET, t + "A") is None
