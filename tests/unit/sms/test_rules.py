from backend.sms.rules import DEAD, EXPIRED, MISSING, OK, WRONG, CodeState, Limits, SendState, check_code, decide_send, new_code

L = Limits()


def test_codes_are_six_digits():
    codes = {new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150


def test_one_send_per_60_seconds():
    state = SendState(last_sent_ms=1_000_000, sent_today=1)
    refused = decide_send(state, now_ms=1_059_999, limits=L, ms_to_next_day=10**7)
    assert not refused.allowed and refused.reason == "resend_interval" and refused.retry_after_ms == 1
    assert decide_send(state, now_ms=1_060_000, limits=L, ms_to_next_day=10**7).allowed


def test_ten_sends_per_day():
    assert decide_send(SendState(None, 9), now_ms=0, limits=L, ms_to_next_day=5).allowed
    refused = decide_send(SendState(None, 10), now_ms=0, limits=L, ms_to_next_day=5)
    assert not refused.allowed and refused.reason == "daily_limit" and refused.retry_after_ms == 5


def test_code_valid_for_five_minutes():
    state = CodeState("h", issued_ms=0, attempts=0)
    assert check_code(state, "h", now_ms=299_999, limits=L) == OK
    assert check_code(state, "h", now_ms=300_000, limits=L) == EXPIRED


def test_five_tries_then_dead_even_when_right():
    for attempts in range(5):
        assert check_code(CodeState("h", 0, attempts), "x", now_ms=1, limits=L) == WRONG
    assert check_code(CodeState("h", 0, 5), "h", now_ms=1, limits=L) == DEAD


def test_missing():
    assert check_code(None, "h", now_ms=1, limits=L) == MISSING
