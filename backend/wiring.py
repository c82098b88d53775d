"""The composition root's wiring: what each domain registers with the others at start-up, so
that the lower domain never imports the higher one (docs/architecture.md)."""

from __future__ import annotations

from backend.booking.availability import BookingStock
from backend.booking.payment_purpose import BookingPurpose
from backend.booking.service import release_account_holds_on_card
from backend.inpatient.payment_purpose import DepositPurpose
from backend.payments.service import close_account_orders_for_card
from backend.releases.service import gate_hold


def wire(deps) -> None:
    # payment purposes: one line per purpose
    deps.purposes.register(BookingPurpose())
    deps.purposes.register(DepositPurpose())
    # catalog shows the stock and referral reach that booking keeps
    deps.stock = BookingStock()
    # a family link that ends takes the linking account's unpaid holds on the card with it
    # and closes the orders it had opened for the card (deposit top-ups, say)
    deps.link_ended.append(release_account_holds_on_card)
    deps.link_ended.append(close_account_orders_for_card)
    # during a release window, a hold in the newly released sessions needs an admitted ticket
    # of the release waiting room
    deps.hold_gate = gate_hold
