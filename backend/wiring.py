"""The composition root's wiring: what each domain registers with the others at start-up, so
that the lower domain never imports the higher one (docs/architecture.md)."""

from __future__ import annotations

from backend.booking.availability import BookingStock
from backend.booking.payment_purpose import BookingPurpose
from backend.booking.service import release_account_holds_on_card
from backend.clock import iso
from backend.inpatient.payment_purpose import DepositPurpose
from backend.notifications import service as notifications
from backend.outpatient.payment_purpose import ChargesPurpose
from backend.payments.service import close_account_orders_for_card
from backend.releases.service import gate_hold


async def tell_payer_of_refund(deps, conn, *, payment, refund) -> None:
    """A refund that reached the payer, whatever it paid for: one message per refund."""
    await notifications.enqueue(
        conn,
        account_id=payment.account_id,
        kind="refund_done",
        payload={
            "purpose": payment.purpose,
            "subject": payment.subject,
            "booking_id": payment.booking_id,
            "amount_fen": refund.amount_fen,
            "reason": refund.reason,
            "out_trade_no": payment.out_trade_no,
            "refunded_at": iso(refund.finished_at),
        },
        dedup_key=f"refund_done:{refund.id}",
    )


def wire(deps) -> None:
    # a field mapping naming a value its kind does not offer stops the start, not the first send
    notifications.templates(deps.settings)
    # payment purposes: one line per purpose
    deps.purposes.register(BookingPurpose())
    deps.purposes.register(DepositPurpose())
    deps.purposes.register(ChargesPurpose())
    # catalog shows the stock and referral reach that booking keeps
    deps.stock = BookingStock()
    # a family link that ends takes the linking account's unpaid holds on the card with it
    # and closes the orders it had opened for the card (deposit top-ups, say)
    deps.link_ended.append(release_account_holds_on_card)
    deps.link_ended.append(close_account_orders_for_card)
    # every refund that succeeds is told to the payer (messages: refund_done)
    deps.refund_succeeded.append(tell_payer_of_refund)
    # during a release window, a hold in the newly released sessions needs an admitted ticket
    # of the release waiting room
    deps.hold_gate = gate_hold
