"""What a payment is for. Payments moves money (orders, notifications, refunds, reconciliation)
and knows nothing of bookings or deposits: each purpose registers a handler here at start-up
(backend/wiring.py) and payments calls it at the four moments that matter.

A purpose never imports payments' internals beyond this module and `payments.service`'s public
functions; payments never imports a purpose's domain.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True)
class Order:
    """What the purpose wants charged, decided before paying (`PaymentPurpose.prepare`)."""

    subject: str  # the purpose's own id of what is paid for (a hold id, a deposit id), unique per purpose
    amount_fen: int
    description: str  # shown by WeChat Pay to the payer (max 127 characters)
    expires_at: datetime  # the order is closed, and a late payment refunded, after this
    card_id: int | None = None  # the card the payment is for, if any
    # Columns of the first purpose (booking) kept on the payment row so a paid hold can be
    # honoured even if Redis lost it. A new purpose keeps its data in its own table instead.
    extra: dict[str, Any] = field(default_factory=dict)


class Refusal(Exception):
    """Raised by `on_paid`: the purpose cannot take this payment (sold out, expired, ...); the
    payment is refunded with `reason`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class PaymentPurpose(ABC):
    """Base of a purpose handler: `prepare` is required; the other hooks do nothing unless overridden."""

    name: ClassVar[str]
    # what settle returns for a payment the purpose took (the API's `outcome`)
    fulfilled_outcome: ClassVar[str] = "paid"
    # WeChat refund reason text per refusal/refund reason; `default_refund_text` for the rest
    refund_texts: ClassVar[dict[str, str]] = {}
    default_refund_text: ClassVar[str] = "自动退款"

    @abstractmethod
    async def prepare(self, deps, *, account_id: int, subject: str) -> Order:
        """Validate before paying (the subject is the caller's, still payable) and say what to
        charge. Raise a domain error (backend.errors) to refuse."""

    async def on_paid(self, deps, conn, payment) -> None:
        """The money arrived: take it (make the booking, credit the deposit). Runs inside the
        transaction that holds the payment row's lock (`conn`), exactly once per payment; may
        set fields on `payment` (saved by the caller). Raise Refusal to have it refunded."""

    async def on_refunded(self, deps, payment, refund) -> None:
        """A refund of this payment reached WeChat's success state."""

    async def on_closed(self, deps, payment) -> None:
        """The order was closed unpaid (its subject gone, or it expired unpaid)."""

    def describe(self, payment) -> dict:
        """Purpose fields added to the payment's API view (GET /payments/{out_trade_no})."""
        return {}

    def refund_text(self, reason: str) -> str:
        return self.refund_texts.get(reason, self.default_refund_text)


class UnknownPurpose(LookupError):
    pass


class Purposes:
    """The registry, one per worker (on `deps.purposes`)."""

    def __init__(self):
        self._by_name: dict[str, PaymentPurpose] = {}

    def register(self, purpose: PaymentPurpose) -> None:
        existing = self._by_name.get(purpose.name)
        if existing is not None and existing is not purpose:
            raise ValueError(f"payment purpose {purpose.name!r} registered twice")
        self._by_name[purpose.name] = purpose

    def __getitem__(self, name: str) -> PaymentPurpose:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownPurpose(name) from None

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def names(self) -> list[str]:
        return sorted(self._by_name)
