"""Pure rules of outpatient charges (门诊缴费): a charge's shape and total, which charges may be
paid together, statuses, refund limits. No I/O. Items follow the bill rules of inpatient
(backend.inpatient.rules: categories, quantity, amount = quantity x unit price rounded half up)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from backend.inpatient.rules import Item, check_items, parse_cursor  # the same item rules as bills
from backend.text import Problem
from backend.transitions import Transitions

__all__ = ["check_charge", "parse_cursor", "ChargeStatus", "CHARGE_MOVES"]

CHARGE_NO = r"^[A-Za-z0-9_-]{1,32}$"
PAY_GROUP = r"^[A-Za-z0-9_.:-]{1,32}$"
MAX_ITEMS_PER_CHARGE = 500
MAX_CHARGE_FEN = 100_000_000  # 1,000,000 yuan
MAX_CHARGES_PER_ORDER = 50
# How long a charge order's WeChat order stays payable; after it the order is closed
ORDER_PAY_MINUTES = 15


class ChargeStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"  # the money arrived; on the hospital's feed until acknowledged
    ACKNOWLEDGED = "acknowledged"  # the hospital booked it (receipt number, guidance)
    REJECTED = "rejected"  # the hospital could not settle it: all of it refunded
    REFUNDED = "refunded"  # the hospital refunded all of it (items not dispensed)
    VOIDED = "voided"  # withdrawn by the hospital before it was paid


CHARGE_MOVES = Transitions(
    "charge",
    {
        ChargeStatus.UNPAID: {ChargeStatus.PAID, ChargeStatus.VOIDED},
        ChargeStatus.VOIDED: {ChargeStatus.UNPAID},  # the same order pushed again
        ChargeStatus.PAID: {ChargeStatus.ACKNOWLEDGED, ChargeStatus.REJECTED, ChargeStatus.REFUNDED},
        ChargeStatus.ACKNOWLEDGED: {ChargeStatus.REFUNDED},
        ChargeStatus.REJECTED: set(),
        ChargeStatus.REFUNDED: set(),
    },
)

# what a resident's "paid" list holds: everything once paid
PAID_STATUSES = (ChargeStatus.PAID, ChargeStatus.ACKNOWLEDGED, ChargeStatus.REJECTED, ChargeStatus.REFUNDED)
# a charge the hospital may still give money back for
REFUNDABLE = (ChargeStatus.PAID, ChargeStatus.ACKNOWLEDGED)


class OrderStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    CLOSED = "closed"  # closed unpaid (expired, a charge voided or changed, the link ended)
    REFUSED = "refused"  # paid, but a charge had changed meanwhile: refunded whole


@dataclass(frozen=True, slots=True)
class CheckedCharge:
    items: list[Item]
    total_fen: int


def check_charge(raw_items, total_fen: int) -> tuple[CheckedCharge | None, list[Problem]]:
    """The items by the bill rules, and the total equal to their sum. Every bad item is
    reported (index, field, reason); a wrong total is one more problem (index -1, field
    total_fen). A charge needs at least one item and a positive total."""
    if isinstance(raw_items, list) and len(raw_items) > MAX_ITEMS_PER_CHARGE:
        return None, [Problem(-1, "items", f"at most {MAX_ITEMS_PER_CHARGE} items per charge")]
    items, problems = check_items(raw_items)
    if isinstance(raw_items, list) and not raw_items:
        problems.append(Problem(-1, "items", "a charge needs at least one item"))
    if problems:
        return None, problems
    total = sum(item.amount_fen for item in items)
    if total != total_fen:
        return None, [Problem(-1, "total_fen", f"must equal the sum of the items' amount_fen = {total}")]
    if total <= 0:
        return None, [Problem(-1, "total_fen", "must be positive: nothing to pay otherwise")]
    if total > MAX_CHARGE_FEN:
        return None, [Problem(-1, "total_fen", f"must be at most {MAX_CHARGE_FEN}")]
    return CheckedCharge(items, total), []


def item_json(item: Item) -> dict:
    return {
        "item_code": item.item_code,
        "name": item.name,
        "category": item.category,
        "unit": item.unit,
        "quantity": str(item.quantity),
        "unit_price_fen": item.unit_price_fen,
        "amount_fen": item.amount_fen,
    }


def missing_from_groups(selected: list[tuple[int, str | None]], unpaid: list[tuple[int, str | None]]) -> list[int]:
    """The unpaid charges a selection leaves out of a pay_group it touches (a group is paid all
    or none). `selected` and `unpaid` are (charge id, pay_group) pairs of one card at one hospital."""
    groups = {group for _, group in selected if group}
    chosen = {charge_id for charge_id, _ in selected}
    return sorted(cid for cid, group in unpaid if group in groups and cid not in chosen)


def refundable_fen(*, paid_fen: int, refunded_fen: int) -> int:
    """What may still be given back: never more than was paid in total."""
    return max(0, paid_fen - refunded_fen)


def check_refund_amount(amount_fen, *, refundable: int) -> str | None:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        return "must be a whole number of fen"
    if amount_fen <= 0:
        return "must be positive"
    if amount_fen > refundable:
        return f"must be at most {refundable} fen (what is left of the payment)"
    return None


def valid_charge_no(value: str) -> bool:
    return bool(re.match(CHARGE_NO, value))
