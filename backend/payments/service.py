"""Paying with WeChat Pay API v3, and refunds, for any purpose (backend.payments.purposes).

A notification is trusted only after the gateway verified its signature and decrypted it; it is
then settled under a row lock on its Payment, so replays, concurrent and late copies settle
exactly once. A payment its purpose cannot take (a hold expired, released, suspended, sold out)
is refunded. Refunds are polled until WeChat reports a final state: callbacks alone are not
trusted.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend import metrics
from backend.clock import clock, iso
from backend.errors import Conflict, NotFound, Unauthorized, Unavailable, UpstreamFailed
from backend.identity.models import Account
from backend.payments import rules
from backend.payments.models import Payment, Refund
from backend.payments.purposes import Order, Refusal
from backend.payments.rules import OPEN_REFUND, PAYMENT_MOVES, PaymentStatus, RefundStatus
from backend.wechat.pay import InvalidNotification, PayError

log = logging.getLogger("ehealth.payments")

REFUND_RETRY = timedelta(seconds=30)
REFUND_POLL = timedelta(seconds=10)
UNPAID_GRACE = timedelta(seconds=60)


def payment_view(deps, payment: Payment) -> dict:
    view = {
        "out_trade_no": payment.out_trade_no,
        "purpose": payment.purpose,
        "status": payment.status,
        "amount_fen": payment.amount_fen,
        "paid_at": iso(payment.paid_at),
        "note": payment.note,
    }
    if payment.purpose in deps.purposes:
        view.update(deps.purposes[payment.purpose].describe(payment))
    return view


# --- paying ------------------------------------------------------------------------------------


async def start_payment(*, deps, purpose: str, account_id: int, subject: str) -> dict:
    """Create (or re-issue) the WeChat Pay order of `subject`; returns wx.requestPayment params.
    The purpose validates the subject and says what to charge."""
    handler = deps.purposes[purpose]
    order: Order = await handler.prepare(deps, account_id=account_id, subject=subject)
    if deps.pay is None and order.amount_fen > 0:
        raise Unavailable("payments are not enabled on this deployment", code="payment_unavailable")
    now = clock.now()
    payment = await Payment.get_or_none(purpose=purpose, subject=order.subject)
    if payment is None:
        try:
            payment = await Payment.create(
                out_trade_no=rules.new_out_trade_no(now),
                purpose=purpose,
                subject=order.subject,
                account_id=account_id,
                card_id=order.card_id,
                amount_fen=order.amount_fen,
                hold_expires_at=order.expires_at,
                created_at=now,
                **order.extra,
            )
        except IntegrityError:  # the same subject paid from two taps at once
            payment = await Payment.get(purpose=purpose, subject=order.subject)
    if payment.status != PaymentStatus.CREATED:
        raise Conflict(f"this payment is {payment.status}", code="already_paid", payment=payment_view(deps, payment))
    result = {
        "out_trade_no": payment.out_trade_no,
        "amount_fen": payment.amount_fen,
        "expires_at": iso(payment.hold_expires_at),
    }
    if payment.amount_fen == 0:
        # Nothing to pay (a free session): the purpose takes it at once.
        outcome = await settle_paid(
            deps, out_trade_no=payment.out_trade_no, transaction_id=None, paid_fen=0, paid_at=now
        )
        payment = await Payment.get(id=payment.id)
        return {**result, "pay_params": None, "outcome": outcome, **payment_view(deps, payment)}

    account = await Account.get(id=account_id)
    try:
        params = await deps.pay.create_order(
            out_trade_no=payment.out_trade_no,
            description=order.description[:127],
            amount_fen=payment.amount_fen,
            openid=account.openid,
            time_expire=payment.hold_expires_at,
            attach=order.subject,
        )
    except PayError as exc:
        log.warning("create_order failed for %s: %s", payment.out_trade_no, exc)
        raise UpstreamFailed("WeChat Pay is unavailable, try again shortly", code="payment_unavailable") from None
    # prooffaults: the notification may have settled it while the create call was on its way
    payment = await Payment.get(id=payment.id)
    return {**result, "pay_params": params.as_dict(), "status": payment_view(deps, payment)["status"]}


async def handle_notification(*, deps, headers, body: bytes) -> str:
    """POST /payments/wechat/notify: verify, decrypt, settle. Returns the outcome."""
    try:
        note = deps.pay.parse_notification(headers, body)
    except InvalidNotification as exc:
        log.warning("payment notification refused: %s", exc)
        raise Unauthorized("the notification signature or content is invalid", code="invalid_notification") from None
    if note.event_type != "TRANSACTION.SUCCESS" or note.trade_state != "SUCCESS":
        return "ignored"
    return await settle_paid(
        deps,
        out_trade_no=note.out_trade_no,
        transaction_id=note.transaction_id,
        paid_fen=note.amount_fen,
        paid_at=note.success_time or clock.now(),
    )


async def settle_paid(deps, *, out_trade_no: str, transaction_id: str | None, paid_fen: int, paid_at: datetime) -> str:
    """Exactly once per order: its purpose takes the payment, or what was paid is refunded.

    Returns the purpose's fulfilled outcome ("booked"), "duplicate" (already settled), or the
    reason of a refund.
    """
    refund_id = None
    async with in_transaction() as conn:
        payment = await Payment.select_for_update().using_db(conn).get_or_none(out_trade_no=out_trade_no)
        if payment is None:
            raise NotFound("unknown order", code="unknown_order")
        if not PAYMENT_MOVES.allowed(payment.status, PaymentStatus.PAID):
            return "duplicate"
        handler = deps.purposes[payment.purpose]
        payment.transaction_id = transaction_id
        payment.paid_fen = paid_fen
        payment.paid_at = paid_at
        outcome = handler.fulfilled_outcome
        if paid_fen != payment.amount_fen:
            outcome = "amount_mismatch"
        else:
            try:
                await handler.on_paid(deps, conn, payment)
            except Refusal as refused:
                outcome = refused.reason
        if outcome == handler.fulfilled_outcome:
            payment.status = PaymentStatus.PAID
        else:
            payment.status = PaymentStatus.REFUND_PENDING if paid_fen > 0 else PaymentStatus.CLOSED
            payment.note = outcome
            if paid_fen > 0:
                # what was paid, but never more than the order's total at WeChat (a notification
                # claiming more cannot be refunded beyond it: WeChat refuses such a refund)
                refunded_fen = min(paid_fen, payment.amount_fen)
                refund_id = (await _new_refund(conn, payment, amount_fen=refunded_fen, reason=outcome)).id
        await payment.save(using_db=conn)
    metrics.PAYMENTS.labels(outcome).inc()
    if refund_id is None:
        log.info("order %s %s", out_trade_no, outcome)
    else:
        log.info("order %s refused (%s); refunding", out_trade_no, outcome)
        await advance_refund(deps, refund_id=refund_id)
    return outcome


async def payment_status(*, deps, account_id: int, out_trade_no: str) -> dict:
    payment = None
    if out_trade_no.isalnum() and len(out_trade_no) <= 32:
        payment = await Payment.get_or_none(out_trade_no=out_trade_no, account_id=account_id)
    if payment is None:
        raise NotFound("no such payment")
    return payment_view(deps, payment)


async def close_open_orders(deps, *, purpose: str, subjects: list[str]) -> int:
    """Close the unpaid WeChat orders of subjects that can no longer be paid for."""
    open_orders = (
        await Payment.filter(purpose=purpose, subject__in=subjects, status=PaymentStatus.CREATED) if subjects else []
    )
    closed = 0
    for payment in open_orders:
        try:
            await deps.pay.close_order(out_trade_no=payment.out_trade_no)
        except PayError as exc:  # the reconciler retries; a payment that slips through is refunded
            log.warning("close_order failed for %s: %s", payment.out_trade_no, exc)
            continue
        if await _close(deps, payment, note="subject_gone"):
            closed += 1
    return closed


async def close_account_orders_for_card(deps, *, account_id: int, card_pk: int) -> int:
    """Close every unpaid order the account made for the card, whatever its purpose (the
    account may no longer use the card). A payment that lands anyway is settled as for any
    closed order: its purpose decides, and refuses what it can no longer fulfil."""
    open_orders = await Payment.filter(account_id=account_id, card_id=card_pk, status=PaymentStatus.CREATED)
    closed = 0
    for payment in open_orders:
        try:
            if deps.pay is not None:
                await deps.pay.close_order(out_trade_no=payment.out_trade_no)
        except PayError as exc:
            log.warning("close_order failed for %s: %s", payment.out_trade_no, exc)
            continue
        if await _close(deps, payment, note="card_unlinked"):
            closed += 1
    return closed


async def _close(deps, payment: Payment, *, note: str) -> bool:
    if not await Payment.filter(id=payment.id, status=PaymentStatus.CREATED).update(
        status=PaymentStatus.CLOSED, note=note
    ):
        return False
    await deps.purposes[payment.purpose].on_closed(deps, payment)
    return True


async def reconcile_payments(deps) -> dict:
    """Orders past their expiry whose notification never came: ask WeChat. Paid ones are settled
    (and so refunded if their purpose refuses); unpaid ones are closed."""
    cutoff = clock.now() - UNPAID_GRACE
    settled = closed = 0
    for payment in await Payment.filter(status=PaymentStatus.CREATED, hold_expires_at__lt=cutoff).limit(200):
        try:
            state = await deps.pay.query_order(out_trade_no=payment.out_trade_no)
            if state.trade_state == "SUCCESS":
                await settle_paid(
                    deps,
                    out_trade_no=payment.out_trade_no,
                    transaction_id=state.transaction_id,
                    paid_fen=state.amount_fen or 0,
                    paid_at=state.success_time or clock.now(),
                )
                settled += 1
                continue
            if state.trade_state in ("NOTPAY", "USERPAYING"):
                await deps.pay.close_order(out_trade_no=payment.out_trade_no)
        except PayError as exc:
            if not exc.not_found:  # an order WeChat never saw is simply closed; others retry
                log.warning("reconcile of %s failed: %s", payment.out_trade_no, exc)
                continue
        if await _close(deps, payment, note="unpaid"):
            closed += 1
    return {"settled": settled, "closed": closed}


# --- refunds -----------------------------------------------------------------------------------


async def _new_refund(conn, payment: Payment, *, amount_fen: int, reason: str) -> Refund:
    seq = await Refund.filter(payment_id=payment.id).using_db(conn).count() + 1
    now = clock.now()
    return await Refund.create(
        out_refund_no=rules.new_out_refund_no(payment.out_trade_no, seq),
        payment_id=payment.id,
        amount_fen=amount_fen,
        reason=reason,
        next_poll_at=now,
        created_at=now,
        using_db=conn,
    )


async def refund_paid(conn, *, purpose: str, subject: str, reason: str) -> Refund | None:
    """Give back a paid payment whole (its purpose undid what it paid for: a cancelled booking),
    inside the caller's transaction. None when nothing was paid or a refund exists already;
    call `advance_refund` with the id after the transaction commits."""
    payment = await Payment.select_for_update().using_db(conn).get_or_none(purpose=purpose, subject=subject)
    if payment is None or not payment.paid_fen:
        return None
    if await Refund.filter(payment_id=payment.id).using_db(conn).exists():
        return None
    PAYMENT_MOVES.check(payment.status, PaymentStatus.REFUND_PENDING)
    await Payment.filter(id=payment.id).using_db(conn).update(status=PaymentStatus.REFUND_PENDING, note=reason)
    return await _new_refund(conn, payment, amount_fen=payment.paid_fen, reason=reason)


async def refund_part(conn, *, purpose: str, subject: str, amount_fen: int, reason: str) -> Refund:
    """Give back `amount_fen` of a paid payment (its purpose asks: a part of what it paid for was
    not delivered), inside the caller's transaction; several such refunds may follow one
    another. Never more than was paid in all: refused with Conflict (refund_exceeds_paid). Once
    everything is given back the payment is refund_pending, then refunded. Call
    `advance_refund` with the id after the transaction commits."""
    payment = await Payment.select_for_update().using_db(conn).get_or_none(purpose=purpose, subject=subject)
    if payment is None or not payment.paid_fen or payment.status not in (PaymentStatus.PAID,):
        raise Conflict("this payment cannot be refunded", code="payment_not_refundable")
    # a refund WeChat closed gave nothing back; every other one counts, done or on its way
    asked = [
        r.amount_fen
        for r in await Refund.filter(payment_id=payment.id).using_db(conn)
        if r.status != RefundStatus.CLOSED
    ]
    left = payment.paid_fen - sum(asked)
    if not 0 < amount_fen <= left:
        raise Conflict(
            f"at most {left} fen of this payment can still be refunded", code="refund_exceeds_paid", refundable_fen=left
        )
    if amount_fen == left:
        PAYMENT_MOVES.check(payment.status, PaymentStatus.REFUND_PENDING)
        await Payment.filter(id=payment.id).using_db(conn).update(status=PaymentStatus.REFUND_PENDING, note=reason)
    return await _new_refund(conn, payment, amount_fen=amount_fen, reason=reason)


async def advance_refund(deps, *, refund_id: int) -> str:
    """One step of a refund: ask WeChat to refund (pending) or how it went (processing).
    Safe to call from several workers: a refund is claimed before the call."""
    refund = await Refund.get_or_none(id=refund_id).select_related("payment")
    if refund is None or refund.status not in OPEN_REFUND:
        return refund.status if refund else "missing"
    now = clock.now()
    claimed = await Refund.filter(id=refund.id, status=refund.status, next_poll_at=refund.next_poll_at).update(
        next_poll_at=now + REFUND_RETRY, attempts=refund.attempts + 1
    )
    if not claimed:
        return refund.status
    payment = refund.payment
    handler = deps.purposes[payment.purpose]
    try:
        if refund.status == RefundStatus.PENDING:
            state = await deps.pay.refund(
                out_trade_no=payment.out_trade_no,
                out_refund_no=refund.out_refund_no,
                amount_fen=refund.amount_fen,
                total_fen=payment.amount_fen,
                reason=handler.refund_text(refund.reason),  # the order's total
            )
        else:
            state = await deps.pay.query_refund(out_refund_no=refund.out_refund_no)
    except PayError as exc:
        await Refund.filter(id=refund.id).update(last_error=str(exc)[:128])
        log.warning("refund %s: %s", refund.out_refund_no, exc)
        return refund.status
    status = rules.WECHAT_FINAL_REFUND.get(state.status, RefundStatus.PROCESSING)
    metrics.REFUNDS.labels(status).inc()
    updates = {"status": status, "refund_id": state.refund_id or refund.refund_id, "last_error": None}
    if status == RefundStatus.PROCESSING:
        updates["next_poll_at"] = now + REFUND_POLL
    else:
        updates["finished_at"] = state.success_time or now
    if status != refund.status:
        rules.REFUND_MOVES.check(refund.status, status)
    if status == RefundStatus.SUCCESS:
        # the refund's success and what it sets off (a message to the payer) commit together
        async with in_transaction() as conn:
            moved = await Refund.filter(id=refund.id, status=refund.status).using_db(conn).update(**updates)
            if moved:
                for key, value in updates.items():
                    setattr(refund, key, value)
                for hook in deps.refund_succeeded:
                    await hook(deps, conn, payment=payment, refund=refund)
        if moved:
            # a payment is refunded once none of its refunds is still on its way (a purpose may
            # give a payment back in parts: refund_part); the purpose hears of every refund
            still_open = await Refund.filter(payment_id=payment.id, status__in=OPEN_REFUND).exists()
            if not still_open:
                await Payment.filter(id=payment.id, status=PaymentStatus.REFUND_PENDING).update(
                    status=PaymentStatus.REFUNDED
                )
            await handler.on_refunded(deps, payment, refund)
        return status
    await Refund.filter(id=refund.id, status=refund.status).update(**updates)
    if status in (RefundStatus.CLOSED, RefundStatus.ABNORMAL):
        log.error("refund %s ended %s: needs an operator", refund.out_refund_no, status)
    return status


async def refunds_ended_unpaid(refund_ids: list[int]) -> list[int]:
    """Those of the refunds that WeChat ended without giving the money back (closed, abnormal):
    they need an operator."""
    return await Refund.filter(id__in=refund_ids, status__in=(RefundStatus.CLOSED, RefundStatus.ABNORMAL)).values_list(
        "id", flat=True
    )


async def poll_refunds(deps, *, limit: int = 100) -> int:
    due = (
        await Refund.filter(status__in=OPEN_REFUND, next_poll_at__lte=clock.now()).order_by("next_poll_at").limit(limit)
    )
    for refund in due:
        await advance_refund(deps, refund_id=refund.id)
    return len(due)
