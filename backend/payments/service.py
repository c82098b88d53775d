"""Paying for holds with WeChat Pay API v3, and refunds.

A notification is trusted only after the gateway verified its signature and decrypted it; it is
then settled under a row lock on its Payment, so replays, concurrent and late copies settle
exactly once. A paid hold that can no longer be booked (expired, released, suspended, sold out)
is refunded. Refunds are polled until WeChat reports a final state: callbacks alone are not
trusted.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend import metrics
from backend.booking import rules as booking_rules
from backend.booking import service as booking
from backend.booking import store
from backend.catalog.models import Schedule
from backend.clock import clock, from_ms, iso
from backend.errors import AppError, Conflict, NotFound, Unauthorized
from backend.identity.models import Account
from backend.payments.models import Payment, Refund

log = logging.getLogger("ehealth.payments")

REFUND_RETRY = timedelta(seconds=30)
REFUND_POLL = timedelta(seconds=10)
UNPAID_GRACE = timedelta(seconds=60)


def payment_view(payment: Payment) -> dict:
    return {
        "out_trade_no": payment.out_trade_no,
        "hold_id": payment.hold_id,
        "status": payment.status,
        "amount_fen": payment.amount_fen,
        "booking_id": payment.booking_id,
        "paid_at": iso(payment.paid_at),
        "note": payment.note,
    }


# --- paying ------------------------------------------------------------------------------------

async def start_payment(*, deps, account_id: int, hold_id: str) -> dict:
    """Create (or re-issue) the WeChat Pay order of a live hold; returns wx.requestPayment params."""
    from backend.wechat.pay import PayError

    record = await booking.live_hold(deps=deps, account_id=account_id, hold_id=hold_id)
    if deps.pay is None and int(record["fee"]) > 0:
        raise AppError("payments are not enabled on this deployment", code="payment_unavailable", status=503)
    now = clock.now()
    payment = await Payment.get_or_none(hold_id=hold_id)
    if payment is None:
        try:
            payment = await Payment.create(
                out_trade_no=booking_rules.new_out_trade_no(now), hold_id=hold_id, account_id=account_id,
                card_id=int(record["pk"]), schedule_id=int(record["sid"]), kind=record["kind"],
                amount_fen=int(record["fee"]), hold_expires_at=from_ms(int(record["exp"])), created_at=now,
            )
        except IntegrityError:  # the same hold paid from two taps at once
            payment = await Payment.get(hold_id=hold_id)
    if payment.status != "created":
        raise Conflict(f"this hold's payment is {payment.status}", code="already_paid", payment=payment_view(payment))
    result = {"out_trade_no": payment.out_trade_no, "amount_fen": payment.amount_fen, "expires_at": iso(payment.hold_expires_at)}
    if payment.amount_fen == 0:
        # A free session: nothing to pay, the hold is booked at once.
        outcome = await settle_paid(deps, out_trade_no=payment.out_trade_no, transaction_id=None, paid_fen=0, paid_at=now)
        payment = await Payment.get(id=payment.id)
        return {**result, "pay_params": None, "status": payment.status, "booking_id": payment.booking_id, "outcome": outcome}

    account = await Account.get(id=account_id)
    schedule = await Schedule.get(id=payment.schedule_id).select_related("hospital", "department")
    description = f"挂号费 {schedule.hospital.name} {schedule.department.name} {schedule.date:%m-%d} {schedule.start}"
    try:
        params = await deps.pay.create_order(
            out_trade_no=payment.out_trade_no, description=description[:127], amount_fen=payment.amount_fen,
            openid=account.openid, time_expire=payment.hold_expires_at, attach=hold_id,
        )
    except PayError as exc:
        log.warning("create_order failed for %s: %s", payment.out_trade_no, exc)
        raise AppError("WeChat Pay is unavailable, try again shortly", code="payment_unavailable", status=502) from None
    return {**result, "pay_params": params.as_dict(), "status": payment.status}


async def handle_notification(*, deps, headers, body: bytes) -> str:
    """POST /payments/wechat/notify: verify, decrypt, settle. Returns the outcome."""
    from backend.wechat.pay import InvalidNotification

    try:
        note = deps.pay.parse_notification(headers, body)
    except InvalidNotification as exc:
        log.warning("payment notification refused: %s", exc)
        raise Unauthorized("the notification signature or content is invalid", code="invalid_notification") from None
    if note.event_type != "TRANSACTION.SUCCESS" or note.trade_state != "SUCCESS":
        return "ignored"
    return await settle_paid(
        deps, out_trade_no=note.out_trade_no, transaction_id=note.transaction_id, paid_fen=note.amount_fen,
        paid_at=note.success_time or clock.now(),
    )


async def settle_paid(deps, *, out_trade_no: str, transaction_id: str | None, paid_fen: int, paid_at: datetime) -> str:
    """Exactly once per order: book the held slot, or refund what was paid.

    Returns "booked", "duplicate" (already settled), or the reason of a refund.
    """
    refund_id = None
    async with in_transaction() as conn:
        payment = await Payment.select_for_update().using_db(conn).get_or_none(out_trade_no=out_trade_no)
        if payment is None:
            raise NotFound("unknown order", code="unknown_order")
        if payment.status not in ("created", "closed"):
            return "duplicate"
        payment.transaction_id = transaction_id
        payment.paid_fen = paid_fen
        payment.paid_at = paid_at
        if paid_fen != payment.amount_fen:
            outcome = "amount_mismatch"
        else:
            outcome = await _book(deps, conn, payment)
        if outcome == "booked":
            payment.status = "booked"
        else:
            payment.status = "refund_pending" if paid_fen > 0 else "closed"
            payment.note = outcome
            if paid_fen > 0:
                refund_id = (await _new_refund(conn, payment, amount_fen=paid_fen, reason=outcome)).id
        await payment.save(using_db=conn)
    metrics.PAYMENTS.labels(outcome).inc()
    if outcome == "booked":
        log.info("order %s booked (booking %s)", out_trade_no, payment.booking_id)
    else:
        log.info("order %s refused (%s); refunding", out_trade_no, outcome)
    if refund_id is not None:
        await advance_refund(deps, refund_id=refund_id)
    return outcome


async def _book(deps, conn, payment: Payment) -> str:
    try:
        await booking.confirm_hold(
            deps, hold_id=payment.hold_id, schedule_id=payment.schedule_id, card_pk=payment.card_id,
            expires_at=payment.hold_expires_at, kind=payment.kind,
        )
    except booking.BookingRefused as exc:
        return exc.reason
    try:
        created = await booking.create_booking(
            conn, hold_id=payment.hold_id, schedule_id=payment.schedule_id, card_pk=payment.card_id,
            account_id=payment.account_id, kind=payment.kind, amount_fen=payment.amount_fen,
        )
    except booking.BookingRefused as exc:
        # Redis granted the slot but the database (the last line) refused it: give it back,
        # unless the card stands booked in this schedule by another booking.
        from backend.booking.models import Booking

        if not await Booking.filter(schedule_id=payment.schedule_id, card_id=payment.card_id, status="confirmed").using_db(conn).exists():
            schedule = await Schedule.get(id=payment.schedule_id).using_db(conn)
            await store.release(
                deps, mode="booking", schedule_id=schedule.id, card_pk=payment.card_id,
                date=store.day_key(schedule.date), department_id=schedule.department_id, hold_id=payment.hold_id,
            )
        log.error("database refused a slot Redis granted: order=%s reason=%s", payment.out_trade_no, exc.reason)
        return exc.reason
    payment.booking_id = created.id
    return "booked"


async def payment_status(*, deps, account_id: int, out_trade_no: str) -> dict:
    payment = None
    if out_trade_no.isalnum() and len(out_trade_no) <= 32:
        payment = await Payment.get_or_none(out_trade_no=out_trade_no, account_id=account_id)
    if payment is None:
        raise NotFound("no such payment")
    return payment_view(payment)


async def close_payments_for_holds(deps, *, hold_ids: list[str]) -> int:
    """Close the unpaid WeChat orders of holds that can no longer be booked."""
    open_orders = await Payment.filter(hold_id__in=hold_ids, status="created") if hold_ids else []
    if not open_orders:
        return 0
    from backend.wechat.pay import PayError

    closed = 0
    for payment in open_orders:
        try:
            await deps.pay.close_order(out_trade_no=payment.out_trade_no)
        except PayError as exc:  # the reconciler retries; a payment that slips through is refunded
            log.warning("close_order failed for %s: %s", payment.out_trade_no, exc)
            continue
        if await Payment.filter(id=payment.id, status="created").update(status="closed", note="hold_gone"):
            closed += 1
    return closed


async def reconcile_payments(deps) -> dict:
    """Orders whose hold has expired and whose notification never came: ask WeChat. Paid ones
    are settled (and so refunded); unpaid ones are closed."""
    from backend.wechat.pay import PayError

    cutoff = clock.now() - UNPAID_GRACE
    settled = closed = 0
    for payment in await Payment.filter(status="created", hold_expires_at__lt=cutoff).limit(200):
        try:
            state = await deps.pay.query_order(out_trade_no=payment.out_trade_no)
            if state.trade_state == "SUCCESS":
                await settle_paid(
                    deps, out_trade_no=payment.out_trade_no, transaction_id=state.transaction_id,
                    paid_fen=state.amount_fen or 0, paid_at=state.success_time or clock.now(),
                )
                settled += 1
                continue
            if state.trade_state in ("NOTPAY", "USERPAYING"):
                await deps.pay.close_order(out_trade_no=payment.out_trade_no)
        except PayError as exc:
            if not exc.not_found:  # an order WeChat never saw is simply closed; others retry
                log.warning("reconcile of %s failed: %s", payment.out_trade_no, exc)
                continue
        if await Payment.filter(id=payment.id, status="created").update(status="closed", note="unpaid"):
            closed += 1
    return {"settled": settled, "closed": closed}


# --- refunds -----------------------------------------------------------------------------------

async def _new_refund(conn, payment: Payment, *, amount_fen: int, reason: str) -> Refund:
    seq = await Refund.filter(payment_id=payment.id).using_db(conn).count() + 1
    now = clock.now()
    return await Refund.create(
        out_refund_no=booking_rules.new_out_refund_no(payment.out_trade_no, seq), payment_id=payment.id,
        amount_fen=amount_fen, reason=reason, next_poll_at=now, created_at=now, using_db=conn,
    )


async def refund_for_booking(conn, *, booking_id: int, reason: str) -> Refund | None:
    """Refund a cancelled booking to its original payment (inside the caller's transaction)."""
    payment = await Payment.select_for_update().using_db(conn).get_or_none(booking_id=booking_id)
    if payment is None or not payment.paid_fen:
        return None
    if await Refund.filter(payment_id=payment.id).using_db(conn).exists():
        return None
    await Payment.filter(id=payment.id).using_db(conn).update(status="refund_pending", note=reason)
    return await _new_refund(conn, payment, amount_fen=payment.paid_fen, reason=reason)


_FINAL = {"SUCCESS": "success", "CLOSED": "closed", "ABNORMAL": "abnormal"}


async def advance_refund(deps, *, refund_id: int) -> str:
    """One step of a refund: ask WeChat to refund (pending) or how it went (processing).
    Safe to call from several workers: a refund is claimed before the call."""
    from backend.wechat.pay import PayError

    refund = await Refund.get_or_none(id=refund_id).select_related("payment")
    if refund is None or refund.status not in ("pending", "processing"):
        return refund.status if refund else "missing"
    now = clock.now()
    claimed = await Refund.filter(id=refund.id, status=refund.status, next_poll_at=refund.next_poll_at).update(
        next_poll_at=now + REFUND_RETRY, attempts=refund.attempts + 1
    )
    if not claimed:
        return refund.status
    payment = refund.payment
    try:
        if refund.status == "pending":
            state = await deps.pay.refund(
                out_trade_no=payment.out_trade_no, out_refund_no=refund.out_refund_no, amount_fen=refund.amount_fen,
                total_fen=payment.paid_fen or payment.amount_fen, reason=_reason_text(refund.reason),
            )
        else:
            state = await deps.pay.query_refund(out_refund_no=refund.out_refund_no)
    except PayError as exc:
        await Refund.filter(id=refund.id).update(last_error=str(exc)[:128])
        log.warning("refund %s: %s", refund.out_refund_no, exc)
        return refund.status
    status = _FINAL.get(state.status, "processing")
    metrics.REFUNDS.labels(status).inc()
    updates = {"status": status, "refund_id": state.refund_id or refund.refund_id, "last_error": None}
    if status == "processing":
        updates["next_poll_at"] = now + REFUND_POLL
    else:
        updates["finished_at"] = state.success_time or now
    await Refund.filter(id=refund.id).update(**updates)
    if status == "success":
        await Payment.filter(id=payment.id).update(status="refunded")
    elif status in ("closed", "abnormal"):
        log.error("refund %s ended %s: needs an operator", refund.out_refund_no, status)
    return status


async def poll_refunds(deps, *, limit: int = 100) -> int:
    due = await Refund.filter(status__in=("pending", "processing"), next_poll_at__lte=clock.now()).order_by("next_poll_at").limit(limit)
    for refund in due:
        await advance_refund(deps, refund_id=refund.id)
    return len(due)


def _reason_text(reason: str) -> str:
    return {
        "cancelled": "退号退款",
        "suspended": "停诊退款",
        "expired": "锁号已过期，自动退款",
        "released": "锁号已取消，自动退款",
        "sold_out": "号源已满，自动退款",
        "amount_mismatch": "金额不符，自动退款",
    }.get(reason, "自动退款")
