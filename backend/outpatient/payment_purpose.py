"""Outpatient charges (门诊缴费) as a payment purpose: a ChargeOrder (a selection of unpaid
charges of one card at one hospital) is paid for in one WeChat Pay order.

The order fixes the version of each charge it was made for. A charge the hospital changed or
voided before the money arrived refuses the whole payment, which payments then refunds: the
resident never pays for something other than what they saw. Partial refunds (the hospital gives
back items not dispensed) go through `payments.service.refund_part`.
"""

from __future__ import annotations

from backend.errors import Conflict, NotFound
from backend.outpatient import service
from backend.outpatient.rules import OrderStatus
from backend.payments.purposes import Order, PaymentPurpose, Refusal


class ChargesPurpose(PaymentPurpose):
    name = service.PURPOSE
    fulfilled_outcome = "charges_paid"
    refund_texts = {
        "hospital_reject": "医院未能完成结算，门诊缴费原路退回",
        "hospital_refund": "医院退费（未发药或未检查的项目）",
        "charge_voided": "医院已撤销收费单，自动退款",
        "charge_changed": "收费单已变更，自动退款",
        "charge_paid": "收费单已缴费，重复支付自动退款",
        "charge_in_payment": "收费单正在另一笔支付中，自动退款",
        "amount_mismatch": "金额不符，自动退款",
    }
    default_refund_text = "门诊缴费退款"

    async def prepare(self, deps, *, account_id: int, subject: str) -> Order:
        order = None
        if subject.isdigit() and len(subject) <= 10:
            order = await service.order_for_payment(account_id=account_id, order_id=int(subject))
        if order is None:
            raise NotFound("no such charge order", code="charge_order_not_found")
        if order.status != OrderStatus.OPEN:
            raise Conflict(f"this order is {order.status}", code="charge_order_not_payable", status_now=order.status)
        return Order(
            subject=str(order.id),
            amount_fen=order.amount_fen,
            description=f"门诊缴费 {order.hospital.name}",
            expires_at=order.expires_at,
            card_id=order.card_id,
        )

    async def on_paid(self, deps, conn, payment) -> None:
        refusal = await service.take_payment(
            conn, order_id=int(payment.subject), transaction_id=payment.transaction_id, paid_at=payment.paid_at
        )
        if refusal is not None:
            raise Refusal(refusal)

    async def on_refunded(self, deps, payment, refund) -> None:
        await service.refund_done(payment_refund_id=refund.id, finished_at=refund.finished_at)

    async def on_closed(self, deps, payment) -> None:
        await service.order_closed(order_id=int(payment.subject))

    def describe(self, payment) -> dict:
        return {"charge_payment_id": int(payment.subject)}
