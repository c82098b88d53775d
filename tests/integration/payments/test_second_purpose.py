"""A second payment purpose, registered the way docs/architecture.md says, goes through the
same order, notification, refund and reconciliation code as bookings, without payments knowing
what it is."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.clock import clock
from backend.errors import NotFound
from backend.payments import service as payments
from backend.payments.models import Payment, Refund
from backend.payments.purposes import Order, PaymentPurpose, Refusal


class TopUp(PaymentPurpose):
    """A stand-in for inpatient deposits: subjects "ok-*" are taken, "late-*" are refused."""

    name = "topup"
    fulfilled_outcome = "credited"
    refund_texts = {"admission_closed": "已出院，预缴金退回"}

    def __init__(self):
        self.paid, self.refunded, self.closed = [], [], []

    async def prepare(self, deps, *, account_id, subject):
        if not subject.startswith(("ok-", "late-")):
            raise NotFound("no such admission", code="admission_not_found")
        return Order(
            subject=subject, amount_fen=50_000, description="住院预缴金", expires_at=clock.now() + timedelta(minutes=30)
        )

    async def on_paid(self, deps, conn, payment):
        if payment.subject.startswith("late-"):
            raise Refusal("admission_closed")
        self.paid.append(payment.subject)

    async def on_refunded(self, deps, payment, refund):
        self.refunded.append((payment.subject, refund.reason))

    async def on_closed(self, deps, payment):
        self.closed.append(payment.subject)

    def describe(self, payment):
        return {"admission": payment.subject}


@pytest.fixture
def topup(deps):
    purpose = TopUp()
    deps.purposes.register(purpose)
    return purpose


async def test_a_second_purpose_is_paid_once_and_its_refusal_refunded(topup, login, payer, deps):
    me = await login()
    started = await payments.start_payment(deps=deps, purpose="topup", account_id=me.account_id, subject="ok-1")
    assert started["pay_params"]["package"].startswith("prepay_id=")
    row = await Payment.get(out_trade_no=started["out_trade_no"])
    assert (row.purpose, row.subject, row.hold_id, row.schedule_id, row.card_id) == ("topup", "ok-1", None, None, None)

    headers, body = payer.standin.complete_payment(started["out_trade_no"])
    for _ in range(3):  # WeChat repeats notifications
        assert (await payer.deliver(headers, body)).status == 204
    assert topup.paid == ["ok-1"]
    view = await payments.payment_status(deps=deps, account_id=me.account_id, out_trade_no=started["out_trade_no"])
    assert view["status"] == "paid" and view["admission"] == "ok-1" and view["purpose"] == "topup"

    refused = await payments.start_payment(deps=deps, purpose="topup", account_id=me.account_id, subject="late-1")
    headers, body = payer.standin.complete_payment(refused["out_trade_no"])
    assert (await payer.deliver(headers, body)).status == 204
    payment = await Payment.get(out_trade_no=refused["out_trade_no"])
    assert payment.note == "admission_closed"
    refund = await Refund.get(payment_id=payment.id)
    assert refund.amount_fen == 50_000 and refund.reason == "admission_closed"
    for _ in range(3):
        clock.advance(seconds=11)
        await payments.poll_refunds(deps)
    assert (await Payment.get(id=payment.id)).status == "refunded"
    assert topup.refunded == [("late-1", "admission_closed")]


async def test_a_purpose_refuses_before_an_order_exists_and_unpaid_orders_close(topup, login, deps):
    me = await login()
    with pytest.raises(NotFound):
        await payments.start_payment(deps=deps, purpose="topup", account_id=me.account_id, subject="nope")
    assert not await Payment.exists()
    started = await payments.start_payment(deps=deps, purpose="topup", account_id=me.account_id, subject="ok-2")
    clock.advance(minutes=40)
    assert (await payments.reconcile_payments(deps))["closed"] == 1
    assert (await Payment.get(out_trade_no=started["out_trade_no"])).status == "closed"
    assert topup.closed == ["ok-2"]


async def test_the_same_subject_of_two_purposes_are_two_orders(topup, login, deps):
    me = await login()
    a = await payments.start_payment(deps=deps, purpose="topup", account_id=me.account_id, subject="ok-3")
    again = await payments.start_payment(deps=deps, purpose="topup", account_id=me.account_id, subject="ok-3")
    assert a["out_trade_no"] == again["out_trade_no"]  # re-issued, not a second order
    assert await Payment.filter(purpose="topup").count() == 1


async def test_a_purpose_gives_back_parts_of_a_payment_never_more_than_was_paid(topup, login, payer, deps):
    from tortoise.transactions import in_transaction

    from backend.errors import Conflict

    me = await login()
    started = await payments.start_payment(deps=deps, purpose="topup", account_id=me.account_id, subject="ok-4")
    headers, body = payer.standin.complete_payment(started["out_trade_no"])
    assert (await payer.deliver(headers, body)).status == 204

    async def part(amount_fen):
        async with in_transaction() as conn:
            refund = await payments.refund_part(
                conn, purpose="topup", subject="ok-4", amount_fen=amount_fen, reason="not_dispensed"
            )
        await payments.advance_refund(deps, refund_id=refund.id)
        return refund

    await part(20_000)
    payment = await Payment.get(out_trade_no=started["out_trade_no"])
    assert payment.status == "paid"  # part of it is still the payer's purchase
    with pytest.raises(Conflict) as refused:
        await part(30_001)
    assert refused.value.code == "refund_exceeds_paid" and refused.value.details["refundable_fen"] == 30_000
    await part(30_000)
    assert (await Payment.get(id=payment.id)).status == "refund_pending"
    for _ in range(3):
        clock.advance(seconds=11)
        await payments.poll_refunds(deps)
    assert (await Payment.get(id=payment.id)).status == "refunded"
    assert sorted(r.amount_fen for r in await Refund.filter(payment_id=payment.id)) == [20_000, 30_000]
    # the purpose heard of each refund once
    assert topup.refunded == [("ok-4", "not_dispensed"), ("ok-4", "not_dispensed")]
    with pytest.raises(Conflict):
        await part(1)
