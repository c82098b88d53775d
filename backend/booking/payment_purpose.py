"""Booking as a payment purpose: a hold is paid for, and the paid hold becomes a booking."""

from __future__ import annotations

import logging

from backend.booking import service as booking
from backend.booking import store
from backend.booking.models import Booking
from backend.booking.rules import STANDING
from backend.catalog.models import Schedule
from backend.clock import from_ms
from backend.payments.purposes import Order, PaymentPurpose, Refusal
from backend.payments.rules import PaymentStatus

log = logging.getLogger("ehealth.booking")


class BookingPurpose(PaymentPurpose):
    name = "booking"
    fulfilled_outcome = "booked"
    refund_texts = {
        "cancelled": "退号退款",
        "suspended": "停诊退款",
        "expired": "锁号已过期，自动退款",
        "released": "锁号已取消，自动退款",
        "sold_out": "号源已满，自动退款",
        "amount_mismatch": "金额不符，自动退款",
    }

    async def prepare(self, deps, *, account_id: int, subject: str) -> Order:
        record = await booking.live_hold(deps=deps, account_id=account_id, hold_id=subject)
        schedule = await Schedule.get(id=int(record["sid"])).select_related("hospital", "department")
        return Order(
            subject=subject,
            amount_fen=int(record["fee"]),
            description=f"挂号费 {schedule.hospital.name} {schedule.department.name} {schedule.date:%m-%d} "
            f"{schedule.start}",
            expires_at=from_ms(int(record["exp"])),
            card_id=int(record["pk"]),
            extra={"hold_id": subject, "schedule_id": schedule.id, "kind": record["kind"]},
        )

    async def on_paid(self, deps, conn, payment) -> None:
        try:
            await booking.confirm_hold(
                deps,
                hold_id=payment.hold_id,
                schedule_id=payment.schedule_id,
                card_pk=payment.card_id,
                expires_at=payment.hold_expires_at,
                kind=payment.kind,
            )
        except booking.BookingRefused as exc:
            raise Refusal(exc.reason) from None
        try:
            created = await booking.create_booking(
                conn,
                hold_id=payment.hold_id,
                schedule_id=payment.schedule_id,
                card_pk=payment.card_id,
                account_id=payment.account_id,
                kind=payment.kind,
                amount_fen=payment.amount_fen,
            )
        except booking.BookingRefused as exc:
            # Redis granted the slot but the database (the last line) refused it: give it back,
            # unless the card stands booked in this schedule by another booking.
            if (
                not await Booking.filter(schedule_id=payment.schedule_id, card_id=payment.card_id, status__in=STANDING)
                .using_db(conn)
                .exists()
            ):
                schedule = await Schedule.get(id=payment.schedule_id).using_db(conn)
                await store.release(
                    deps,
                    mode="booking",
                    schedule_id=schedule.id,
                    card_pk=payment.card_id,
                    date=store.day_key(schedule.date),
                    department_id=schedule.department_id,
                    hold_id=payment.hold_id,
                )
            log.error("database refused a slot Redis granted: order=%s reason=%s", payment.out_trade_no, exc.reason)
            raise Refusal(exc.reason) from None
        payment.booking_id = created.id

    def describe(self, payment) -> dict:
        # the API has always called a paid booking payment "booked"
        status = "booked" if payment.status == PaymentStatus.PAID else payment.status
        return {"hold_id": payment.hold_id, "booking_id": payment.booking_id, "status": status}
