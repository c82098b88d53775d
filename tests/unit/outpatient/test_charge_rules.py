"""Pure rules of outpatient charges: the total, pay groups, refund limits, statuses."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.errors import IllegalTransition
from backend.inpatient.rules import amount_fen
from backend.outpatient import rules
from backend.outpatient.rules import CHARGE_MOVES, ChargeStatus


def _item(quantity="1", price=100, amount=None, **extra):
    q = Decimal(str(quantity))
    return {
        "item_code": "X1",
        "name": "阿莫西林胶囊",
        "category": "drug",
        "unit": "盒",
        "quantity": quantity,
        "unit_price_fen": price,
        "amount_fen": amount_fen(q, price) if amount is None else amount,
        **extra,
    }


def test_the_total_must_equal_the_items_sum():
    checked, problems = rules.check_charge([_item(2, 1250), _item(1, 800)], 3300)
    assert problems == [] and checked.total_fen == 3300 and len(checked.items) == 2
    checked, problems = rules.check_charge([_item(2, 1250)], 2499)
    assert checked is None and [p.as_dict() for p in problems] == [
        {"index": -1, "field": "total_fen", "reason": "must equal the sum of the items' amount_fen = 2500"}
    ]


def test_amounts_round_half_up_and_a_wrong_rounding_is_refused():
    assert rules.check_charge([_item("0.335", 100)], 34)[1] == []  # 33.5 -> 34
    _, problems = rules.check_charge([_item("0.335", 100, amount=33)], 33)
    assert [(p.index, p.field) for p in problems] == [(0, "amount_fen")]


def test_every_bad_item_is_reported_and_nothing_passes():
    raw = [_item(), _item(category="food"), "nope", _item(quantity=0)]
    checked, problems = rules.check_charge(raw, 100)
    assert checked is None
    assert [(p.index, p.field) for p in problems] == [(1, "category"), (2, "item"), (3, "quantity")]


def test_a_charge_needs_items_and_a_positive_total():
    assert rules.check_charge([], 0)[1][0].field == "items"
    assert rules.check_charge("items", 0)[1][0].field == "items"
    _, problems = rules.check_charge([_item(-1, 100)], -100)
    assert problems[0].field == "total_fen" and "positive" in problems[0].reason
    _, problems = rules.check_charge([_item()] * (rules.MAX_ITEMS_PER_CHARGE + 1), 0)
    assert problems[0].field == "items"


@given(st.lists(st.tuples(st.integers(1, 99999), st.integers(0, 10**6)), min_size=1, max_size=20))
def test_the_sum_is_exact_for_any_items(lines):
    raw = [_item(quantity=f"{q / 1000:.3f}", price=p) for q, p in lines]
    total = sum(i["amount_fen"] for i in raw)
    checked, problems = rules.check_charge(raw, total)
    if 0 < total <= rules.MAX_CHARGE_FEN:
        assert problems == [] and checked.total_fen == total
    else:
        assert problems and problems[0].field == "total_fen"


def test_a_pay_group_is_paid_all_or_none():
    unpaid = [(1, "G1"), (2, "G1"), (3, None), (4, "G2")]
    assert rules.missing_from_groups([(1, "G1")], unpaid) == [2]
    assert rules.missing_from_groups([(1, "G1"), (2, "G1")], unpaid) == []
    assert rules.missing_from_groups([(3, None)], unpaid) == []
    assert rules.missing_from_groups([(4, "G2"), (1, "G1")], unpaid) == [2]


def test_never_more_refunded_than_paid():
    assert rules.refundable_fen(paid_fen=3300, refunded_fen=800) == 2500
    assert rules.refundable_fen(paid_fen=3300, refunded_fen=3300) == 0
    assert rules.check_refund_amount(2500, refundable=2500) is None
    assert "at most 2500" in rules.check_refund_amount(2501, refundable=2500)
    assert rules.check_refund_amount(0, refundable=2500) == "must be positive"
    assert rules.check_refund_amount(True, refundable=2500) == "must be a whole number of fen"


@pytest.mark.parametrize(
    "current,wanted",
    [
        (ChargeStatus.UNPAID, ChargeStatus.PAID),
        (ChargeStatus.UNPAID, ChargeStatus.VOIDED),
        (ChargeStatus.VOIDED, ChargeStatus.UNPAID),
        (ChargeStatus.PAID, ChargeStatus.ACKNOWLEDGED),
        (ChargeStatus.PAID, ChargeStatus.REJECTED),
        (ChargeStatus.ACKNOWLEDGED, ChargeStatus.REFUNDED),
    ],
)
def test_allowed_moves(current, wanted):
    CHARGE_MOVES.check(current, wanted)


@pytest.mark.parametrize(
    "current,wanted",
    [
        (ChargeStatus.PAID, ChargeStatus.VOIDED),
        (ChargeStatus.ACKNOWLEDGED, ChargeStatus.REJECTED),
        (ChargeStatus.REJECTED, ChargeStatus.PAID),
        (ChargeStatus.REFUNDED, ChargeStatus.PAID),
        (ChargeStatus.PAID, ChargeStatus.UNPAID),
    ],
)
def test_refused_moves(current, wanted):
    with pytest.raises(IllegalTransition):
        CHARGE_MOVES.check(current, wanted)
