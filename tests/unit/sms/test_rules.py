from backend.sms.rules import (
    DEAD,
    EXPIRED,
    MISSING,
    OK,
    WRONG,
    CodeState,
    Limits,
    SendState,
    check_code,
    decide_send,
    new_code,
)

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


def test_prefixes_spaces_and_dashes_are_taken_off_a_number():
    import pytest

    from backend.sms.rules import InvalidPhone, normalize_phone

    for raw in ("13812345678", "+86 138-1234-5678", "0086 13812345678", "8613812345678", " 138 1234 5678 "):
        assert normalize_phone(raw) == "13812345678", raw
    for bad in (
        "",
        None,
        "86138123456",
        "008613812345678x",
        "12812345678",
        "1381234567",
        "0861381234567",
        "0013812345678",
    ):
        with pytest.raises(InvalidPhone) as refused:
            normalize_phone(bad)
        assert str(refused.value) == "must be a mainland mobile number (11 digits starting 13-19)", bad


def test_a_code_expires_five_minutes_after_it_was_sent_on_real_clock_times():
    from backend.sms.rules import EXPIRED, OK, CodeState, Limits, check_code

    sent = 1_800_000_000_000  # milliseconds since the epoch, as the service passes them
    state = CodeState(code_hash="h", issued_ms=sent, attempts=0)
    assert check_code(state, "h", now_ms=sent + 299_999, limits=Limits()) == OK
    assert check_code(state, "h", now_ms=sent + 300_000, limits=Limits()) == EXPIRED


def test_refusals_to_send_are_refusals():
    from backend.sms.rules import Limits, SendState, decide_send

    soon = decide_send(SendState(last_sent_ms=1_000, sent_today=1), now_ms=31_000, limits=Limits(), ms_to_next_day=5)
    assert soon.allowed is False and soon.reason == "resend_interval" and soon.retry_after_ms == 30_000
    full = decide_send(SendState(last_sent_ms=None, sent_today=10), now_ms=0, limits=Limits(), ms_to_next_day=5)
    assert full.allowed is False and full.reason == "daily_limit" and full.retry_after_ms == 5


def test_the_largest_code_is_999999(monkeypatch):
    import secrets

    from backend.sms.rules import new_code

    monkeypatch.setattr(secrets, "randbelow", lambda n: n - 1)
    assert new_code() == "999999"
    monkeypatch.setattr(secrets, "randbelow", lambda n: 0)
    assert new_code() == "000000"
