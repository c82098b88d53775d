"""The composition root's wiring: what each domain registers with the others at start-up, so
that the lower domain never imports the higher one (docs/architecture.md)."""

from __future__ import annotations

from backend.booking.availability import BookingStock
from backend.booking.payment_purpose import BookingPurpose
from backend.inpatient.payment_purpose import DepositPurpose


def wire(deps) -> None:
    # payment purposes: one line per purpose
    deps.purposes.register(BookingPurpose())
    deps.purposes.register(DepositPurpose())
    # catalog shows the stock and referral reach that booking keeps
    deps.stock = BookingStock()
