"""WeChat Pay misbehaving mid-flight, through the real client against the
stand-in over HTTP: a create call that times out, a notification that overtakes the create
call's answer, five copies of one notification at once after Redis lost the hold, and refund
calls that fail or whose answer is lost, retried by the job without refunding twice."""

import asyncio
import time
from datetime import date

import pytest

from backend.booking.models import Booking
from backend.clock import clock
from backend.payments import service as payments
from backend.payments.models import Payment, Refund
from backend.wechat.pay import WeChatPay
from tests.integration.conftest import at

D = date(2026, 12, 20)
RELEASE = at(date(2026, 12, 13), "13:00")
CREATE = "/v3/pay/transactions/jsapi"
REFUND = "/v3/refund/domestic/refunds"


def impatient_client(deps, *, read_s: float) -> WeChatPay:
    """The service's WeChat Pay client as configured, but giving up on an answer after read_s."""
    m = deps.standin.pay_merchant(
        appid=deps.settings.wechat.appid,
        mchid=deps.settings.wechat_pay.mchid,
        notify_url=deps.settings.wechat_pay.notify_url,
    )
    return WeChatPay(
        appid=m.appid,
        mchid=m.mchid,
        private_key=m.private_key,
        cert_serial_no=m.cert_serial_no,
        apiv3_key=m.apiv3_key,
        public_key=m.public_key,
        public_key_id=m.public_key_id,
        notify_url=deps.settings.wechat_pay.notify_url,
        gateway=m.gateway,
        timeout=(2.0, read_s),
    )


@pytest.fixture
async def impatient(deps):
    real, deps.pay = deps.pay, impatient_client(deps, read_s=0.5)
    yield deps.pay
    await deps.pay.aclose()
    deps.pay = real


async def hold(resident, schedule) -> str:
    r = await resident.post("/api/v1/holds", {"schedule_id": schedule["id"], "card_id": resident.card_id})
    assert r.status == 201, r.json
    return r.json["hold_id"]


def orders_for(standin, hold_id: str) -> list:
    return [o for o in list(standin.orders.values()) if o.attach == hold_id]


async def test_create_timing_out_answers_502_and_the_retry_gets_the_same_order(
    catalog, resident_with_card, payer, impatient
):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, fee_fen=1500)
    me = await resident_with_card()
    hold_id = await hold(me, s)
    payer.standin.delay_next(CREATE, 2.0)  # WeChat creates the order but answers too late
    started = time.monotonic()
    r = await payer.start(me, hold_id)
    assert time.monotonic() - started < 1.8, "the client must give up at its read timeout"
    assert r.status == 502 and r.json["error"]["code"] == "payment_unavailable"
    payment = await Payment.get()
    assert payment.status == "created" and not await Booking.exists()
    assert (await me.get(f"/api/v1/holds/{hold_id}")).json["state"] == "held"  # the slot is still the resident's
    assert len(orders_for(payer.standin, hold_id)) == 1
    again = await payer.start(me, hold_id)  # the resident taps again
    assert again.status == 200 and again.json["out_trade_no"] == payment.out_trade_no
    assert len(orders_for(payer.standin, hold_id)) == 1  # WeChat's order, re-requested, not a second one
    assert (await payer.deliver(*payer.standin.complete_payment(payment.out_trade_no))).status == 204
    assert await Booking.filter(schedule_id=s["id"]).count() == 1 and not await Refund.exists()


async def test_notification_arriving_before_the_create_call_returns(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, fee_fen=1500)
    me = await resident_with_card()
    hold_id = await hold(me, s)
    payer.standin.delay_next(CREATE, 1.5)
    creating = asyncio.create_task(payer.start(me, hold_id))
    for _ in range(200):
        if orders_for(payer.standin, hold_id):
            break
        await asyncio.sleep(0.01)
    otn = orders_for(payer.standin, hold_id)[0].out_trade_no
    # the resident paid and WeChat's notification lands while our create call still waits
    assert (await payer.deliver(*payer.standin.complete_payment(otn))).status == 204
    assert not creating.done()
    assert (await me.get(f"/api/v1/payments/{otn}")).json["status"] == "booked"
    r = await creating
    assert r.status == 200 and r.json["out_trade_no"] == otn and r.json["status"] == "booked"
    assert await Booking.filter(schedule_id=s["id"]).count() == 1 and not await Refund.exists()
    again = await payer.start(me, hold_id)
    assert again.status == 409 and again.json["error"]["state"] == "confirmed"  # nothing left to pay
    assert len(orders_for(payer.standin, hold_id)) == 1


@pytest.mark.postgres_only
async def test_five_copies_at_once_after_redis_lost_the_hold(catalog, resident_with_card, payer, deps):
    """The hold record and stock vanished (Redis restarted and was rebuilt from the database):
    five concurrent copies of the notification take the database's copy of the hold, and still
    book once."""
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, capacity=2, fee_fen=1500)
    me = await resident_with_card()
    hold_id = await hold(me, s)
    otn = (await payer.start(me, hold_id)).json["out_trade_no"]
    payer.standin.complete_payment(otn)
    keys = [k async for k in deps.redis.scan_iter(match=deps.settings.redis.prefix + "*")]
    await deps.redis.delete(*keys)
    from backend.booking.service import rebuild_stock

    await rebuild_stock(deps)
    copies = [payer.standin.notification_for(otn) for _ in range(5)]
    results = await asyncio.gather(*[payer.deliver(h, b) for h, b in copies])
    assert [r.status for r in results] == [204] * 5
    assert await Booking.filter(schedule_id=s["id"]).count() == 1
    assert (await me.get(f"/api/v1/payments/{otn}")).json["status"] == "booked" and not await Refund.exists()
    assert (await me.get(f"/api/v1/schedules/{s['id']}")).json["remaining"] == 1


async def _cancelled_paid_booking(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, fee_fen=1500)
    me = await resident_with_card()
    otn = await payer.pay(me, await hold(me, s))
    booking_id = (await Payment.get(out_trade_no=otn)).booking_id
    return me, otn, booking_id


def refunds_at_wechat(standin, otn: str) -> list:
    return [r for r in list(standin.refunds.values()) if r.out_trade_no == otn]


async def test_refund_call_failing_is_retried_by_the_job_once(catalog, resident_with_card, payer, deps):
    me, otn, booking_id = await _cancelled_paid_booking(catalog, resident_with_card, payer)
    payer.standin.fail_next(REFUND, status=500, code="SYSTEM_ERROR")
    cancelled = await me.delete(f"/api/v1/bookings/{booking_id}")
    assert cancelled.status == 200, cancelled.json
    refund = await Refund.get()
    assert refund.status == "pending" and refund.last_error and not refunds_at_wechat(payer.standin, otn)
    assert await payments.poll_refunds(deps) == 0  # not due before its retry time
    clock.advance(seconds=31)
    # two job runs at once (two workers): the refund is claimed by one of them
    await asyncio.gather(payments.poll_refunds(deps), payments.poll_refunds(deps))
    assert len(refunds_at_wechat(payer.standin, otn)) == 1
    payer.standin.settle_refunds()
    clock.advance(seconds=11)
    await payments.poll_refunds(deps)
    refund = await Refund.get(id=refund.id)
    assert refund.status == "success" and refund.attempts >= 3  # failed create, create, query
    assert (await Payment.get(out_trade_no=otn)).status == "refunded"
    assert sum(r.amount_refund for r in refunds_at_wechat(payer.standin, otn)) == 1500
    assert await Refund.filter(payment__out_trade_no=otn).count() == 1


async def test_refund_answer_lost_is_retried_without_refunding_twice(
    catalog, resident_with_card, payer, deps, impatient
):
    me, otn, booking_id = await _cancelled_paid_booking(catalog, resident_with_card, payer)
    payer.standin.delay_next(REFUND, 2.0)  # WeChat refunds, the answer never reaches us in time
    assert (await me.delete(f"/api/v1/bookings/{booking_id}")).status == 200
    refund = await Refund.get()
    assert refund.status == "pending" and refund.last_error
    assert len(refunds_at_wechat(payer.standin, otn)) == 1  # done at WeChat already
    for _ in range(3):  # the job keeps trying; WeChat answers the same out_refund_no with the same refund
        clock.advance(seconds=31)
        await payments.poll_refunds(deps)
    payer.standin.settle_refunds()
    clock.advance(seconds=31)
    await payments.poll_refunds(deps)
    assert (await Refund.get(id=refund.id)).status == "success"
    assert len(refunds_at_wechat(payer.standin, otn)) == 1
    assert sum(r.amount_refund for r in refunds_at_wechat(payer.standin, otn)) == 1500
