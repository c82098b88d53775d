"""Pure rules of inpatient bills: the shape of an item, its amount, sums. No I/O.

amount_fen = quantity x unit_price_fen rounded half up, with exact decimals (never floats).
"Half up" rounds halves away from zero, so a return (negative quantity) is exactly the negative
of the same charge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from backend.text import NotAsciiDigits, Problem, check_lines, fold_digits
from backend.transitions import Transitions

CATEGORIES = ("drug", "exam", "lab", "treatment", "nursing", "bed", "material", "other")
FIELDS = ("item_code", "name", "category", "unit", "quantity", "unit_price_fen", "amount_fen")
MAX_ITEMS_PER_DAY = 10_000
MAX_QUANTITY = Decimal("99999.999")
MAX_UNIT_PRICE_FEN = 100_000_000  # 1,000,000 yuan
QUANTITY_PLACES = 3
_CODE = re.compile(r"^[A-Za-z0-9_.:/-]{1,32}$")
ADMISSION_NO = r"^[A-Za-z0-9_-]{1,32}$"


@dataclass(frozen=True, slots=True)
class Item:
    item_code: str
    name: str
    category: str
    unit: str
    quantity: Decimal
    unit_price_fen: int
    amount_fen: int


def amount_fen(quantity: Decimal, unit_price_fen: int) -> int:
    return int((quantity * unit_price_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# A decimal written out: ASCII digits (after the service's digit rule), an optional exponent
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,12})?")
MAX_QUANTITY_TEXT = 64


def parse_quantity(value) -> Decimal:
    """A JSON number or a decimal string, at most 3 decimals, non-zero, within +-MAX_QUANTITY.
    Strings follow the service's digit rule (full-width digits read as ASCII, other scripts
    refused); the size is checked on the exponent before any arithmetic, so "1e999999999" is
    refused rather than overflowing the decimal context."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("must be a number")
    if isinstance(value, int) and abs(value) > MAX_QUANTITY:
        raise ValueError(f"must be within +-{MAX_QUANTITY}")  # before str(): ints of 5,000 digits
    if isinstance(value, str):
        try:
            text = fold_digits(value.strip())
        except NotAsciiDigits as exc:
            raise ValueError(str(exc)) from None
        if len(text) > MAX_QUANTITY_TEXT or not _DECIMAL_TEXT.fullmatch(text):
            raise ValueError("must be a number")
    else:
        # str() of a float is its shortest round-tripping form: 0.1 stays "0.1", never 0.1000000000000000055
        text = str(value)
    try:
        quantity = Decimal(text)
    except InvalidOperation:
        raise ValueError("must be a finite number") from None  # a float's "inf" or "nan"
    if not quantity.is_finite():
        raise ValueError("must be a finite number")
    if quantity and quantity.adjusted() > MAX_QUANTITY.adjusted() or abs(quantity) > MAX_QUANTITY:
        raise ValueError(f"must be within +-{MAX_QUANTITY}")
    if quantity.as_tuple().exponent < -QUANTITY_PLACES and quantity != quantity.quantize(Decimal("0.001")):
        raise ValueError("at most 3 decimals")
    if quantity == 0:
        raise ValueError("must not be zero (use a negative quantity for a return)")
    return quantity.quantize(Decimal("0.001"))


def _text(raw: dict, field: str, max_len: int) -> str:
    value = raw.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("required text")
    value = value.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("may not contain control characters")
    if len(value) > max_len:
        raise ValueError(f"at most {max_len} characters")
    return value


def _int(raw: dict, field: str) -> int:
    value = raw.get(field)
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ValueError("must be a whole number of fen")
    return value


def check_item(raw) -> tuple[Item | None, tuple[str, str] | None]:
    """(item, None) or (None, (field, reason)) for the first thing wrong with it."""
    if not isinstance(raw, dict):
        return None, ("item", "must be an object")
    field = "item"
    try:
        extra = sorted(set(raw) - set(FIELDS))
        if extra:
            field = extra[0]
            raise ValueError("unknown field")
        field = "item_code"
        code = _text(raw, field, 32)
        if not _CODE.match(code):
            raise ValueError("letters, digits and _ . : / - only")
        field = "name"
        name = _text(raw, field, 128)
        field = "category"
        category = raw.get(field)
        if category not in CATEGORIES:
            raise ValueError("must be one of " + ", ".join(CATEGORIES))
        field = "unit"
        unit = _text(raw, field, 16)
        field = "quantity"
        if field not in raw:
            raise ValueError("required")
        quantity = parse_quantity(raw[field])
        field = "unit_price_fen"
        price = _int(raw, field)
        if not 0 <= price <= MAX_UNIT_PRICE_FEN:
            raise ValueError(f"must be 0 to {MAX_UNIT_PRICE_FEN}")
        field = "amount_fen"
        given = _int(raw, field)
        expected = amount_fen(quantity, price)
        if given != expected:
            raise ValueError(f"must be quantity x unit_price_fen rounded half up = {expected}")
    except ValueError as exc:
        return None, (field, str(exc))
    return Item(code, name, category, unit, quantity, price, given), None


def check_items(raw_items) -> tuple[list[Item], list[Problem]]:
    """Every item checked; one problem per bad item (its first bad field). The refusal reports
    only the first few of them (backend.text.capped) with the count of all."""
    return check_lines(
        raw_items,
        check_item,
        field="items",
        most=MAX_ITEMS_PER_DAY,
        too_many=f"at most {MAX_ITEMS_PER_DAY} items per day",
    )


_CURSOR = re.compile(r"[0-9]{1,12}")


def parse_cursor(after: str | None) -> int:
    """A feed's cursor (the last id seen): none or empty is the start. The service's digit rule:
    NFKC, then 1-12 ASCII digits (`str.isdigit()` also holds for "²" and "①", which `int()`
    cannot read). Raises ValueError otherwise."""
    if after in (None, ""):
        return 0
    if not isinstance(after, str):
        raise ValueError("not a cursor")
    try:
        folded = fold_digits(after)
    except NotAsciiDigits as exc:
        raise ValueError(str(exc)) from None
    if not _CURSOR.fullmatch(folded):
        raise ValueError("not a cursor")
    return int(folded)


def subtotal_fen(items) -> int:
    return sum(item.amount_fen for item in items)


def balance_fen(*, prepaid_fen: int, total_fen: int) -> int:
    """What is left of the deposits (negative: what the patient still owes)."""
    return prepaid_fen - total_fen


# --- online deposit top-ups (预缴金) ------------------------------------------------------------


class DepositStatus(StrEnum):
    CREATED = "created"  # the top-up exists, its WeChat order is not paid yet
    PAID = "paid"  # counts in prepaid_fen; on the hospital's feed until acknowledged
    CLOSED = "closed"  # its order expired or was closed unpaid
    REFUNDING = "refunding"  # given back (the hospital asked): no longer counted, money on its way
    REFUNDED = "refunded"


DEPOSIT_MOVES = Transitions(
    "deposit",
    {
        DepositStatus.CREATED: {DepositStatus.PAID, DepositStatus.CLOSED},
        # WeChat may report a payment after the order was closed: the money arrived, so it counts
        DepositStatus.CLOSED: {DepositStatus.PAID},
        DepositStatus.PAID: {DepositStatus.REFUNDING},
        DepositStatus.REFUNDING: {DepositStatus.REFUNDED},
        DepositStatus.REFUNDED: set(),
    },
)

# How long a top-up's WeChat order stays payable; after it the order is closed (jobs.py reconciles).
DEPOSIT_PAY_MINUTES = 30


def check_deposit_amount(amount_fen: int, *, max_fen: int) -> str | None:
    """Why a top-up amount is refused, or None. Integer fen, positive, at most the configured
    maximum (DEPOSIT_MAX_FEN)."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        return "must be a whole number of fen"
    if amount_fen <= 0:
        return "must be positive"
    if amount_fen > max_fen:
        return f"must be at most {max_fen} fen"
    return None
