"""Pure bill rules: amounts rounded half up from exact decimals, item checks, sums."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.inpatient import rules

quantities = st.integers(min_value=-99_999_999, max_value=99_999_999).filter(bool).map(lambda n: Decimal(n).scaleb(-3))
prices = st.integers(min_value=0, max_value=rules.MAX_UNIT_PRICE_FEN)


def oracle(quantity: Decimal, price: int) -> int:
    """Half up (away from zero at .5) with fractions: independent of Decimal's rounding."""
    exact = Fraction(quantity) * price
    magnitude = abs(exact)
    whole = int(magnitude)
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return whole if exact >= 0 else -whole


@given(quantities, prices)
@settings(max_examples=500)  # the halves and signs are pinned by the example test below
def test_amount_is_quantity_times_price_rounded_half_up(quantity, price):
    assert rules.amount_fen(quantity, price) == oracle(quantity, price)


def test_halves_round_away_from_zero_so_a_return_mirrors_its_charge():
    assert rules.amount_fen(Decimal("0.5"), 1) == 1
    assert rules.amount_fen(Decimal("-0.5"), 1) == -1
    assert rules.amount_fen(Decimal("0.333"), 101) == 34  # 33.633
    assert rules.amount_fen(Decimal("1.5"), 3) == 5  # 4.5


@given(st.lists(st.tuples(quantities, prices), min_size=1, max_size=3000))
@settings(max_examples=30)
def test_checked_items_sum_exactly(pairs):
    raw = [
        {
            "item_code": f"C{i}",
            "name": "x",
            "category": "drug",
            "unit": "u",
            "quantity": str(q),
            "unit_price_fen": p,
            "amount_fen": oracle(q, p),
        }
        for i, (q, p) in enumerate(pairs)
    ]
    items, problems = rules.check_items(raw)
    assert problems == [] and rules.subtotal_fen(items) == sum(oracle(q, p) for q, p in pairs)


def test_quantities():
    assert rules.parse_quantity(2) == Decimal("2.000")
    assert rules.parse_quantity(0.1) == Decimal("0.100")
    assert rules.parse_quantity("-1.25") == Decimal("-1.250")
    for bad in (True, None, "abc", "NaN", "Infinity", 0, "0.0001", 1e-5, "1e10", 100000, [1]):
        try:
            rules.parse_quantity(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} accepted")


def test_every_bad_item_is_reported_with_its_index_and_first_bad_field():
    good = {
        "item_code": "A",
        "name": "n",
        "category": "lab",
        "unit": "次",
        "quantity": 1,
        "unit_price_fen": 10,
        "amount_fen": 10,
    }
    items, problems = rules.check_items(
        [good, {**good, "amount_fen": 11}, "x", {**good, "category": "x", "unit": ""}, good]
    )
    assert len(items) == 2
    assert [(p.index, p.field) for p in problems] == [(1, "amount_fen"), (2, "item"), (3, "category")]
    assert rules.check_items({"a": 1})[1][0].field == "items"
