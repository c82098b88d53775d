from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.qr.rules import (
    DYNAMIC,
    EXPIRED,
    OK,
    STATIC,
    TAMPERED,
    Malformed,
    accepted_keys,
    dynamic_payload,
    expires_at_s,
    mac,
    parse,
    refresh_in_s,
    static_payload,
    step_at,
    verify,
)

KEY = b"k" * 32
OLD = b"o" * 32
CARD = "ab" * 32
OTHER = "cd" * 32
T0 = 1_800_000_000 - 1_800_000_000 % 60  # the start of a 60-second step


def test_layouts():
    assert static_payload(CARD) == f"{CARD}:1"
    payload = dynamic_payload(CARD, KEY, step_at(T0))
    card_id, zero, token = payload.split(":")
    assert (card_id, zero, len(token)) == (CARD, "0", 32)
    assert all(c in "0123456789abcdef" for c in token)
    assert parse(payload).kind == DYNAMIC and parse(payload).mac == token
    assert parse(static_payload(CARD)).kind == STATIC


def test_the_mac_is_keyed_by_key_card_and_step():
    step = step_at(T0)
    assert mac(KEY, CARD, step) != mac(OLD, CARD, step)
    assert mac(KEY, CARD, step) != mac(KEY, OTHER, step)
    assert mac(KEY, CARD, step) != mac(KEY, CARD, step + 1)
    assert mac(KEY, CARD, step) == mac(KEY, CARD, step)


@pytest.mark.parametrize(
    "age, verdict",
    [(0, OK), (59, OK), (61, OK), (119, OK), (120, EXPIRED), (121, EXPIRED), (3000, EXPIRED), (4000, TAMPERED)],
)
def test_a_code_issued_at_a_step_start_lives_120_seconds(age, verdict):
    code = parse(dynamic_payload(CARD, KEY, step_at(T0)))
    assert verify(CARD, code.mac, unix_s=T0 + age, keys=[KEY]).result == verdict


def test_refresh_and_expiry_times():
    step = step_at(T0 + 30)
    assert expires_at_s(step) == T0 + 120
    assert refresh_in_s(step, T0 + 30) == 30


@pytest.mark.parametrize("offset, seconds", [(0, 60), (0.001, 60), (30.2, 30), (59.5, 1), (59.999, 1)])
def test_refresh_in_rounds_up_and_is_never_zero_within_a_step(offset, seconds):
    assert refresh_in_s(step_at(T0 + offset), T0 + offset) == seconds


def test_a_code_from_the_future_is_not_accepted():
    code = parse(dynamic_payload(CARD, KEY, step_at(T0) + 1))
    assert verify(CARD, code.mac, unix_s=T0, keys=[KEY]).result == TAMPERED


def test_rotation_accepts_a_retired_key_during_its_grace_only():
    retired = datetime.fromtimestamp(T0, tz=timezone.utc)
    ring = {2: KEY, 1: OLD}
    during = accepted_keys(
        ring, active=2, retired_at={1: retired}, now=retired + timedelta(hours=23), grace=timedelta(hours=24)
    )
    after = accepted_keys(
        ring, active=2, retired_at={1: retired}, now=retired + timedelta(hours=24), grace=timedelta(hours=24)
    )
    assert during == [KEY, OLD] and after == [KEY]
    code = parse(dynamic_payload(CARD, OLD, step_at(T0)))
    assert verify(CARD, code.mac, unix_s=T0 + 10, keys=during).result == OK
    assert verify(CARD, code.mac, unix_s=T0 + 10, keys=after).result == TAMPERED
    unmarked = accepted_keys(ring, active=2, retired_at={}, now=retired, grace=timedelta(hours=24))
    assert unmarked == [KEY, OLD]  # still in the ring, no retirement time: still accepted


GOOD_LATER = dynamic_payload(CARD, KEY, step_at(T0))


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "x",
        CARD,
        f"{CARD}:2",
        f"{CARD}:0",
        f"{CARD}:0:" + "g" * 32,
        f"{CARD.upper()}:1",
        f"{CARD}:1:",
        " " + CARD + ":1",
        f"{CARD}:1\n",
        GOOD_LATER + "\n",
    ],
)
def test_malformed(bad):
    with pytest.raises(Malformed):
        parse(bad)


GOOD = dynamic_payload(CARD, KEY, step_at(T0))


def _accepted(payload: str) -> bool:
    """What the service accepts as a live dynamic code."""
    try:
        code = parse(payload)
    except Malformed:
        return False
    return code.kind == DYNAMIC and verify(code.card_id, code.mac, unix_s=T0 + 5, keys=[KEY]).result == OK


def test_the_genuine_code_is_accepted():
    assert _accepted(GOOD)


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=len(GOOD) - 1), st.characters(min_codepoint=32, max_codepoint=0x2FF))
def test_no_single_changed_character_is_accepted(i, ch):
    mutated = GOOD[:i] + ch + GOOD[i + 1 :]
    if mutated != GOOD:
        assert not _accepted(mutated)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(GOOD) - 1), st.text(min_size=1, max_size=8))
def test_truncated_or_extended_is_never_accepted(cut, extra):
    assert not _accepted(GOOD[:cut])
    assert not _accepted(GOOD + extra)
    assert not _accepted(extra + GOOD)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[0-9a-f]{64}", fullmatch=True))
def test_another_cards_token_never_verifies_for_this_card(other_card):
    if other_card != CARD:
        assert not _accepted(f"{CARD}:0:{mac(KEY, other_card, step_at(T0))}")
        assert not _accepted(f"{other_card}:0:{parse(GOOD).mac}")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-10_000, max_value=10_000).filter(lambda shift: shift not in (0, -1)))
def test_a_token_of_any_other_step_is_not_live(shift):
    assert not _accepted(f"{CARD}:0:{mac(KEY, CARD, step_at(T0) + shift)}")


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[0-9a-f]{32}", fullmatch=True))
def test_random_tokens_are_refused(token):
    if token != parse(GOOD).mac:
        assert not _accepted(f"{CARD}:0:{token}")


def test_retired_keys_are_tried_newest_first():
    now = datetime.fromtimestamp(T0, tz=timezone.utc)
    ring = {1: b"1" * 32, 2: b"2" * 32, 3: b"3" * 32, 4: KEY}
    assert accepted_keys(ring, active=4, retired_at={}, now=now, grace=timedelta(hours=1)) == [
        KEY,
        b"3" * 32,
        b"2" * 32,
        b"1" * 32,
    ]
    assert accepted_keys(ring, active=2, retired_at={}, now=now, grace=timedelta(hours=1)) == [
        b"2" * 32,
        KEY,
        b"3" * 32,
        b"1" * 32,
    ]


def test_parsing_names_the_card_and_a_refusal_says_why():
    static = parse(static_payload(CARD))
    assert (static.kind, static.card_id, static.mac) == (STATIC, CARD, None)
    dynamic = parse(dynamic_payload(CARD, KEY, step_at(T0)))
    assert (dynamic.kind, dynamic.card_id) == (DYNAMIC, CARD)
    with pytest.raises(Malformed) as refused:
        parse("nonsense")
    assert str(refused.value) == "not an e-health card code"


def test_a_verdict_names_the_step_that_made_the_code():
    step = step_at(T0)
    code = parse(dynamic_payload(CARD, KEY, step))
    assert verify(CARD, code.mac, unix_s=T0 + 70, keys=[KEY]).step == step
    assert verify(CARD, code.mac, unix_s=T0 + 600, keys=[KEY]).step == step  # expired, and which step it was
