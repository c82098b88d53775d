"""Every domain's status table: each allowed move passes, every other move is refused (409 at
the edge), and terminal states have no way out."""

from __future__ import annotations

from datetime import datetime

import pytest

from backend.booking.rules import (
    BOOKING_MOVES,
    HOLD_MOVES,
    STANDING,
    BookingStatus,
    HoldState,
    check_cancel,
    check_check_in,
)
from backend.cards.rules import CARD_MOVES, CardStatus
from backend.catalog.rules import SCHEDULE_MOVES, ScheduleStatus, SeenStatus, seen_status
from backend.clock import SHANGHAI
from backend.edge import status_of
from backend.errors import IllegalTransition
from backend.inpatient.rules import DEPOSIT_MOVES, DepositStatus
from backend.outpatient.rules import CHARGE_MOVES, ChargeStatus
from backend.payments.rules import PAYMENT_MOVES, REFUND_MOVES, PaymentStatus, RefundStatus
from backend.staff.rules import TERMINAL_MOVES, TerminalStatus

B, P, R = BookingStatus, PaymentStatus, RefundStatus

EXPECTED = {
    "booking": (
        BOOKING_MOVES,
        BookingStatus,
        {
            (B.CONFIRMED, B.CHECKED_IN),
            (B.CONFIRMED, B.CANCELLED),
            (B.CONFIRMED, B.SUSPENDED),
            (B.CONFIRMED, B.NO_SHOW),
            (B.CHECKED_IN, B.CALLED),
            (B.CHECKED_IN, B.SUSPENDED),
        },
    ),
    "hold": (
        HOLD_MOVES,
        HoldState,
        {
            (HoldState.HELD, HoldState.CONFIRMED),
            (HoldState.HELD, HoldState.RELEASED),
            (HoldState.HELD, HoldState.EXPIRED),
            (HoldState.HELD, HoldState.SUSPENDED),
            (HoldState.CONFIRMED, HoldState.CANCELLED),
        },
    ),
    "payment": (
        PAYMENT_MOVES,
        PaymentStatus,
        {
            (P.CREATED, P.PAID),
            (P.CREATED, P.REFUND_PENDING),
            (P.CREATED, P.CLOSED),
            (P.CLOSED, P.PAID),
            (P.CLOSED, P.REFUND_PENDING),
            (P.PAID, P.REFUND_PENDING),
            (P.REFUND_PENDING, P.REFUNDED),
        },
    ),
    "refund": (
        REFUND_MOVES,
        RefundStatus,
        {
            (R.PENDING, R.PROCESSING),
            (R.PENDING, R.SUCCESS),
            (R.PENDING, R.CLOSED),
            (R.PENDING, R.ABNORMAL),
            (R.PROCESSING, R.SUCCESS),
            (R.PROCESSING, R.CLOSED),
            (R.PROCESSING, R.ABNORMAL),
        },
    ),
    "deposit": (
        DEPOSIT_MOVES,
        DepositStatus,
        {
            (DepositStatus.CREATED, DepositStatus.PAID),
            (DepositStatus.CREATED, DepositStatus.CLOSED),
            (DepositStatus.CLOSED, DepositStatus.PAID),
            (DepositStatus.PAID, DepositStatus.REFUNDING),
            (DepositStatus.REFUNDING, DepositStatus.REFUNDED),
        },
    ),
    "charge": (
        CHARGE_MOVES,
        ChargeStatus,
        {
            (ChargeStatus.UNPAID, ChargeStatus.PAID),
            (ChargeStatus.UNPAID, ChargeStatus.VOIDED),
            (ChargeStatus.VOIDED, ChargeStatus.UNPAID),
            (ChargeStatus.PAID, ChargeStatus.ACKNOWLEDGED),
            (ChargeStatus.PAID, ChargeStatus.REJECTED),
            (ChargeStatus.PAID, ChargeStatus.REFUNDED),
            (ChargeStatus.ACKNOWLEDGED, ChargeStatus.REFUNDED),
        },
    ),
    "schedule": (
        SCHEDULE_MOVES,
        ScheduleStatus,
        {(ScheduleStatus.OPEN, ScheduleStatus.SUSPENDED), (ScheduleStatus.OPEN, ScheduleStatus.RETIRED)},
    ),
    "card": (CARD_MOVES, CardStatus, {(CardStatus.ACTIVE, CardStatus.CANCELLED)}),
    "terminal": (
        TERMINAL_MOVES,
        TerminalStatus,
        {
            (TerminalStatus.ACTIVE, TerminalStatus.DISABLED),
            (TerminalStatus.DISABLED, TerminalStatus.ACTIVE),
        },
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_move_is_allowed_or_refused_as_listed(name):
    moves, enum, allowed = EXPECTED[name]
    assert set(moves.moves) == set(enum), "every status has a row"
    for current in enum:
        for wanted in enum:
            if (current, wanted) in allowed:
                moves.check(current, wanted)
            else:
                with pytest.raises(IllegalTransition) as refused:
                    moves.check(current, wanted)
                assert status_of(refused.value) == 409
                assert refused.value.details["status_now"] == current


def test_one_way_booking_states_and_what_stands():
    assert BOOKING_MOVES.terminal() == {B.CALLED, B.NO_SHOW, B.CANCELLED, B.SUSPENDED}
    assert set(STANDING) == {B.CONFIRMED, B.CHECKED_IN, B.CALLED}
    assert BOOKING_MOVES.sources(B.NO_SHOW) == (B.CONFIRMED,)  # a checked-in patient is never a no-show


def test_a_checked_in_booking_cannot_be_cancelled_with_its_own_code():
    check_cancel(B.CONFIRMED)
    for status in (B.CHECKED_IN, B.CALLED):
        with pytest.raises(IllegalTransition) as refused:
            check_cancel(status)
        assert refused.value.code == "booking_checked_in"
    with pytest.raises(IllegalTransition) as refused:
        check_cancel(B.CANCELLED)
    assert refused.value.code == "not_cancellable"
    with pytest.raises(IllegalTransition) as refused:
        check_check_in(B.CHECKED_IN)
    assert refused.value.code == "already_checked_in"
    with pytest.raises(IllegalTransition) as refused:
        check_check_in(B.CANCELLED)
    assert refused.value.code == "not_checkinable"


def sh(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 12, day, hh, mm, tzinfo=SHANGHAI)


SESSION = dict(release_at=sh(13, 13), referral_release_at=sh(10, 13), closes_at=sh(20, 8))


@pytest.mark.parametrize(
    "now, stored, remaining, referral_remaining, has_referral, seen",
    [
        (sh(13, 12, 59), "open", 5, 2, False, SeenStatus.NOT_RELEASED),
        (sh(13, 13), "open", 5, 2, False, SeenStatus.OPEN),
        (sh(13, 13), "open", 0, 0, False, SeenStatus.FULL),
        (sh(13, 13), "retired", 5, 2, False, SeenStatus.RETIRED),
        (sh(11, 9), "open", 5, 2, True, SeenStatus.OPEN),  # a referral holder, in the referral window
        (sh(11, 9), "open", 5, 0, True, SeenStatus.FULL),  # referral quota used up
        (sh(10, 12, 59), "open", 5, 2, True, SeenStatus.NOT_RELEASED),  # before the referral release
        (sh(20, 8), "open", 5, 2, False, SeenStatus.ENDED),  # the session started: no more booking
        (sh(14, 9), "suspended", 5, 2, False, SeenStatus.SUSPENDED),
        (sh(21, 9), "suspended", 0, 0, False, SeenStatus.SUSPENDED),
    ],
)
def test_schedule_status_as_the_caller_sees_it(now, stored, remaining, referral_remaining, has_referral, seen):
    assert (
        seen_status(
            stored=stored,
            now=now,
            remaining=remaining,
            referral_remaining=referral_remaining,
            has_referral=has_referral,
            **SESSION,
        )
        == seen
    )
