"""The intake check of a bill's items, pinned: every refusal's field and reason, every limit to the
unit, quantities parsed exactly, cursors, sums."""

from decimal import Decimal

import pytest

from backend.inpatient import rules
from backend.inpatient.rules import Item, Problem, check_item, check_items, parse_cursor, parse_quantity

GOOD = {
    "item_code": "A-1",
    "name": "血常规",
    "category": "lab",
    "unit": "次",
    "quantity": "2",
    "unit_price_fen": 1250,
    "amount_fen": 2500,
}
CATEGORIES = "must be one of drug, exam, lab, treatment, nursing, bed, material, other"


def quantity_refusal(value) -> str:
    with pytest.raises(ValueError) as exc:
        parse_quantity(value)
    return str(exc.value)


@pytest.mark.parametrize(
    "value, quantity",
    [
        (2, "2.000"),
        (99999, "99999.000"),
        (-99999, "-99999.000"),
        (0.1, "0.100"),
        (2.5, "2.500"),
        ("-1.25", "-1.250"),
        (" 1.5 ", "1.500"),
        ("１.５", "1.500"),
        ("1e3", "1000.000"),
        ("+3", "3.000"),
        ("99999.999", "99999.999"),
        ("-99999.999", "-99999.999"),
        ("1.2340", "1.234"),
        ("0.001", "0.001"),
        (".5", "0.500"),
        ("5.", "5.000"),
        ("0" * 63 + "1", "1.000"),
        ("1E-3", "0.001"),
    ],
)
def test_quantities_read_exactly(value, quantity):
    result = parse_quantity(value)
    assert result == Decimal(quantity) and str(result) == quantity


@pytest.mark.parametrize(
    "value, reason",
    [
        (True, "must be a number"),
        (None, "must be a number"),
        ([1], "must be a number"),
        (Decimal(1), "must be a number"),
        ("abc", "must be a number"),
        ("NaN", "must be a number"),
        ("", "must be a number"),
        ("1,5", "must be a number"),
        ("0" * 64 + "1", "must be a number"),
        ("\u0661", "digits must be 0-9"),
        (100000, "must be within +-99999.999"),
        (-100000, "must be within +-99999.999"),
        ("100000", "must be within +-99999.999"),
        ("-100000", "must be within +-99999.999"),
        ("99999.9995", "must be within +-99999.999"),
        ("1e5", "must be within +-99999.999"),
        ("1e999999999", "must be within +-99999.999"),
        ("1e999999999999", "must be within +-99999.999"),
        (1e300, "must be within +-99999.999"),
        (float("inf"), "must be a finite number"),
        (float("-inf"), "must be a finite number"),
        (float("nan"), "must be a finite number"),
        ("0.0001", "at most 3 decimals"),
        ("1.0005", "at most 3 decimals"),
        (1e-5, "at most 3 decimals"),
        ("1e-999999999", "at most 3 decimals"),
        ("1e-999999999999", "at most 3 decimals"),
        (0, "must not be zero (use a negative quantity for a return)"),
        ("0", "must not be zero (use a negative quantity for a return)"),
        ("-0.000", "must not be zero (use a negative quantity for a return)"),
        (0.0, "must not be zero (use a negative quantity for a return)"),
    ],
)
def test_quantity_refusals(value, reason):
    assert quantity_refusal(value) == reason


def test_a_good_item_is_read_whole():
    assert check_item(GOOD) == (Item("A-1", "血常规", "lab", "次", Decimal("2.000"), 1250, 2500), None)
    padded = {
        **GOOD,
        "item_code": " A-1 ",
        "name": " 血常规 ",
        "unit": " 次 ",
        "unit_price_fen": 1250.0,
        "amount_fen": 2500.0,
    }
    item, problem = check_item(padded)
    assert problem is None and item == Item("A-1", "血常规", "lab", "次", Decimal("2.000"), 1250, 2500)
    assert type(item.unit_price_fen) is int and type(item.amount_fen) is int


@pytest.mark.parametrize(
    "change, field, reason",
    [
        ({"zeta": 1, "alpha": 2}, "alpha", "unknown field"),
        ({"item_code": None}, "item_code", "required text"),
        ({"item_code": 5}, "item_code", "required text"),
        ({"item_code": "  "}, "item_code", "required text"),
        ({"item_code": "a b"}, "item_code", "letters, digits and _ . : / - only"),
        ({"item_code": "x" * 33}, "item_code", "at most 32 characters"),
        ({"item_code": "a\x1fb"}, "item_code", "may not contain control characters"),
        ({"name": ""}, "name", "required text"),
        ({"name": "x" * 129}, "name", "at most 128 characters"),
        ({"name": "a\x00b"}, "name", "may not contain control characters"),
        ({"name": "a\x7fb"}, "name", "may not contain control characters"),
        ({"name": "a\nb"}, "name", "may not contain control characters"),
        ({"category": "food"}, "category", CATEGORIES),
        ({"category": None}, "category", CATEGORIES),
        ({"unit": ["次"]}, "unit", "required text"),
        ({"unit": "x" * 17}, "unit", "at most 16 characters"),
        ({"quantity": "x"}, "quantity", "must be a number"),
        ({"quantity": 0}, "quantity", "must not be zero (use a negative quantity for a return)"),
        ({"unit_price_fen": -1}, "unit_price_fen", "must be 0 to 100000000"),
        ({"unit_price_fen": 100_000_001}, "unit_price_fen", "must be 0 to 100000000"),
        ({"unit_price_fen": "1250"}, "unit_price_fen", "must be a whole number of fen"),
        ({"unit_price_fen": True}, "unit_price_fen", "must be a whole number of fen"),
        ({"unit_price_fen": 12.5}, "unit_price_fen", "must be a whole number of fen"),
        ({"unit_price_fen": None}, "unit_price_fen", "must be a whole number of fen"),
        ({"amount_fen": 2501}, "amount_fen", "must be quantity x unit_price_fen rounded half up = 2500"),
        ({"amount_fen": 2499}, "amount_fen", "must be quantity x unit_price_fen rounded half up = 2500"),
        ({"amount_fen": "2500"}, "amount_fen", "must be a whole number of fen"),
        ({"amount_fen": False}, "amount_fen", "must be a whole number of fen"),
    ],
)
def test_item_refusals(change, field, reason):
    assert check_item({**GOOD, **change}) == (None, (field, reason))


@pytest.mark.parametrize("missing", rules.FIELDS)
def test_a_missing_field_is_named(missing):
    item, (field, reason) = check_item({k: v for k, v in GOOD.items() if k != missing})
    assert item is None and field == missing
    expected = {
        "category": CATEGORIES,
        "quantity": "required",
        "unit_price_fen": "must be a whole number of fen",
        "amount_fen": "must be a whole number of fen",
    }.get(missing, "required text")
    assert reason == expected


def test_the_first_bad_field_in_order_is_named():
    assert check_item({**GOOD, "name": "", "unit": ""}) == (None, ("name", "required text"))
    assert check_item({**GOOD, "zz": 1, "item_code": ""}) == (None, ("zz", "unknown field"))


@pytest.mark.parametrize("raw", ["x", ["A"], None, 5])
def test_an_item_that_is_not_an_object(raw):
    assert check_item(raw) == (None, ("item", "must be an object"))


@pytest.mark.parametrize(
    "change",
    [
        {"item_code": "x" * 32},
        {"item_code": "a_.:/-Z9"},
        {"name": "x" * 128},
        {"name": "a b~\x80"},
        {"unit": "x" * 16},
        {"unit_price_fen": 0, "amount_fen": 0},
        {"unit_price_fen": 100_000_000, "amount_fen": 200_000_000},
        {"quantity": "-2", "amount_fen": -2500},
        {"quantity": "0.001", "unit_price_fen": 500, "amount_fen": 1},
        {"quantity": "0.001", "unit_price_fen": 499, "amount_fen": 0},
    ],
)
def test_items_at_the_limits_pass(change):
    item, problem = check_item({**GOOD, **change})
    assert problem is None and item is not None


def test_every_bad_item_is_a_problem_with_its_index():
    bad = {**GOOD, "amount_fen": 1}
    items, problems = check_items([GOOD, bad, "x", GOOD])
    assert items == [check_item(GOOD)[0]] * 2
    assert problems == [
        Problem(1, "amount_fen", "must be quantity x unit_price_fen rounded half up = 2500"),
        Problem(2, "item", "must be an object"),
    ]
    assert problems[1].as_dict() == {"index": 2, "field": "item", "reason": "must be an object"}


def test_items_must_be_a_list_of_at_most_ten_thousand():
    assert check_items({"a": GOOD}) == ([], [Problem(-1, "items", "must be a list")])
    assert check_items(None) == ([], [Problem(-1, "items", "must be a list")])
    assert check_items([]) == ([], [])
    assert check_items([5] * 10_001) == ([], [Problem(-1, "items", "at most 10000 items per day")])
    items, problems = check_items([GOOD] * 10_000)
    assert len(items) == 10_000 and problems == []


@pytest.mark.parametrize(
    "after, position",
    [
        (None, 0),
        ("", 0),
        ("0", 0),
        ("17", 17),
        ("１７", 17),
        ("²", 2),
        ("9" * 12, 999_999_999_999),
    ],
)
def test_cursors(after, position):
    assert parse_cursor(after) == position


@pytest.mark.parametrize(
    "after, reason",
    [
        (17, "not a cursor"),
        ("9" * 13, "not a cursor"),
        ("-1", "not a cursor"),
        (" 1", "not a cursor"),
        ("1a", "not a cursor"),
        ("\u0661", "digits must be 0-9"),
    ],
)
def test_bad_cursors(after, reason):
    with pytest.raises(ValueError) as exc:
        parse_cursor(after)
    assert str(exc.value) == reason


def test_sums_and_balance():
    items = [check_item({**GOOD, "quantity": q, "amount_fen": 1250 * int(q)})[0] for q in ("1", "2", "-1")]
    assert rules.subtotal_fen(items) == 2500
    assert rules.subtotal_fen([]) == 0
    assert rules.balance_fen(prepaid_fen=10_000, total_fen=2_500) == 7_500
    assert rules.balance_fen(prepaid_fen=1_000, total_fen=2_500) == -1_500
