"""Pure payment rules: the statuses of orders and refunds and how they may move, and the
merchant numbers."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from backend.clock import SHANGHAI
from backend.transitions import Transitions


class PaymentStatus(StrEnum):
    CREATED = "created"  # the order exists at WeChat, not paid yet
    PAID = "paid"  # paid, and the purpose took it (a booking made, a deposit credited)
    REFUND_PENDING = "refund_pending"  # paid but refused by its purpose, or given back later
    REFUNDED = "refunded"
    CLOSED = "closed"  # closed unpaid (its subject is gone, or it expired)


PAYMENT_MOVES = Transitions(
    "payment",
    {
        PaymentStatus.CREATED: {PaymentStatus.PAID, PaymentStatus.REFUND_PENDING, PaymentStatus.CLOSED},
        # a payment that arrives after its order was closed is still settled (and so refunded)
        PaymentStatus.CLOSED: {PaymentStatus.PAID, PaymentStatus.REFUND_PENDING},
        PaymentStatus.PAID: {PaymentStatus.REFUND_PENDING},
        PaymentStatus.REFUND_PENDING: {PaymentStatus.REFUNDED},
        PaymentStatus.REFUNDED: set(),
    },
)


class RefundStatus(StrEnum):
    PENDING = "pending"  # not yet accepted by WeChat
    PROCESSING = "processing"
    SUCCESS = "success"
    CLOSED = "closed"
    ABNORMAL = "abnormal"


REFUND_MOVES = Transitions(
    "refund",
    {
        RefundStatus.PENDING: {
            RefundStatus.PROCESSING,
            RefundStatus.SUCCESS,
            RefundStatus.CLOSED,
            RefundStatus.ABNORMAL,
        },
        RefundStatus.PROCESSING: {RefundStatus.SUCCESS, RefundStatus.CLOSED, RefundStatus.ABNORMAL},
        RefundStatus.SUCCESS: set(),
        RefundStatus.CLOSED: set(),
        RefundStatus.ABNORMAL: set(),
    },
)

OPEN_REFUND = (RefundStatus.PENDING, RefundStatus.PROCESSING)
# WeChat's final refund states and ours
WECHAT_FINAL_REFUND = {
    "SUCCESS": RefundStatus.SUCCESS,
    "CLOSED": RefundStatus.CLOSED,
    "ABNORMAL": RefundStatus.ABNORMAL,
}


def new_out_trade_no(now: datetime) -> str:
    """Merchant order number: 6-32 characters of [A-Za-z0-9_-|*]; sortable by time."""
    return f"EH{now.astimezone(SHANGHAI):%Y%m%d%H%M%S}{secrets.token_hex(5)}"


def new_out_refund_no(out_trade_no: str, seq: int) -> str:
    return f"RF{out_trade_no[2:]}{seq:02d}"
