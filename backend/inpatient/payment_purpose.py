"""Inpatient deposit top-ups (预缴金) as a payment purpose: a Deposit row is paid for, and the
paid deposit counts in prepaid_fen and goes on the hospital's feed.

A top-up paid for an admission the hospital discharged in the meantime is still counted (not
refunded): the money is the patient's credit at the hospital, which settles it at discharge
(refunding what is left over) and learns of it from the feed like any other top-up. Refunding
it here behind the hospital's back could pay the patient twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from backend.clock import iso
from backend.errors import Conflict, NotFound
from backend.inpatient import service
from backend.inpatient.models import Admission, Deposit
from backend.inpatient.rules import DEPOSIT_PAY_MINUTES, DepositStatus
from backend.notifications import service as notifications
from backend.payments.purposes import Order, PaymentPurpose

log = logging.getLogger("ehealth.inpatient")


class DepositPurpose(PaymentPurpose):
    name = "deposit"
    fulfilled_outcome = "credited"
    refund_texts = {
        "hospital_request": "医院申请退还住院预缴金",
        "amount_mismatch": "金额不符，自动退款",
    }
    default_refund_text = "住院预缴金退款"

    async def prepare(self, deps, *, account_id: int, subject: str) -> Order:
        deposit = None
        if subject.isdigit() and len(subject) <= 10:
            deposit = await Deposit.get_or_none(id=int(subject), account_id=account_id).select_related(
                "admission__hospital"
            )
        if deposit is None:
            raise NotFound("no such deposit", code="deposit_not_found")
        if deposit.status != DepositStatus.CREATED:
            raise Conflict(f"this top-up is {deposit.status}", code="deposit_not_payable", status_now=deposit.status)
        admission = deposit.admission
        service.check_ongoing(admission)
        return Order(
            subject=str(deposit.id),
            amount_fen=deposit.amount_fen,
            description=f"住院预缴金 {admission.hospital.name} 住院号{admission.admission_no}",
            expires_at=deposit.created_at + timedelta(minutes=DEPOSIT_PAY_MINUTES),
            card_id=deposit.card_id,
        )

    async def on_paid(self, deps, conn, payment) -> None:
        deposit = await Deposit.get(id=int(payment.subject)).using_db(conn)
        credited, counted = await service.record_paid_deposit(
            admission_id=deposit.admission_id,
            amount_fen=payment.paid_fen,
            transaction_id=payment.transaction_id,
            out_trade_no=payment.out_trade_no,
            paid_at=payment.paid_at,
            deposit_id=deposit.id,
            conn=conn,
        )
        if counted and payment.account_id is not None:
            admission = await Admission.get(id=deposit.admission_id).using_db(conn).select_related("hospital")
            await notifications.enqueue(
                conn,
                account_id=payment.account_id,
                kind="deposit_credited",
                payload={
                    "deposit_id": credited.id,
                    "hospital": admission.hospital.name,
                    "admission_no": admission.admission_no,
                    "amount_fen": credited.amount_fen,
                    "paid_at": iso(credited.paid_at),
                },
                dedup_key=f"deposit_credited:{credited.id}",
            )

    async def on_refunded(self, deps, payment, refund) -> None:
        await service.deposit_refunded(deposit_id=int(payment.subject), refunded_at=refund.finished_at)

    async def on_closed(self, deps, payment) -> None:
        await service.deposit_closed(deposit_id=int(payment.subject))

    def describe(self, payment) -> dict:
        return {"deposit_id": int(payment.subject)}
