"""Paying holds with WeChat Pay v3 (stand-in over real HTTP), bookings, refunds, cancellation,
suspension."""

import asyncio
from datetime import date, timedelta

import pytest

from backend.booking.models import Booking
from backend.clock import clock
from backend.notifications import service as notifications
from backend.payments import service as payments
from backend.payments.models import Payment, Refund
from tests.integration.conftest import at

pytestmark = pytest.mark.redis_cluster  # also on a local Redis Cluster: confirm, release, suspend in steps

D = date(2026, 12, 20)
RELEASE = at(date(2026, 12, 13), "13:00")


async def hold(resident, schedule):
    r = await resident.post("/api/v1/holds", {"schedule_id": schedule["id"], "card_id": resident.card_id})
    assert r.status == 201, r.json
    return r.json


async def test_hold_pay_notify_book(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, capacity=3, fee_fen=1500)
    me = await resident_with_card()
    h = await hold(me, s)
    started = await payer.start(me, h["hold_id"])
    assert started.status == 200, started.json
    params = started.json["pay_params"]
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["package"].startswith("prepay_id=") and params["signType"] == "RSA"
    otn = started.json["out_trade_no"]
    assert payer.standin.orders[otn].amount_total == 1500
    assert (await me.get(f"/api/v1/payments/{otn}")).json["status"] == "created"
    headers, body = payer.standin.complete_payment(otn)
    r = await payer.deliver(headers, body)
    assert r.status == 204
    paid = (await me.get(f"/api/v1/payments/{otn}")).json
    assert paid["status"] == "booked" and paid["booking_id"]
    booking = (await me.get(f"/api/v1/bookings/{paid['booking_id']}")).json
    assert booking["status"] == "confirmed" and booking["visit_number"] == 1
    assert booking["card_id"] == me.card_id and booking["amount_fen"] == 1500
    assert booking["schedule"]["date"] == D.isoformat()
    assert [b["id"] for b in (await me.get("/api/v1/bookings")).json] == [booking["id"]]
    r = await me.post("/api/v1/holds", {"schedule_id": s["id"], "card_id": me.card_id})
    assert r.status == 409 and r.json["error"]["code"] == "already_held" and r.json["error"]["state"] == "booked"
    assert (await me.get(f"/api/v1/schedules/{s['id']}")).json["remaining"] == 2


async def test_paying_twice_reuses_the_order(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D)
    me = await resident_with_card()
    h = await hold(me, s)
    a, b = await payer.start(me, h["hold_id"]), await payer.start(me, h["hold_id"])
    assert a.json["out_trade_no"] == b.json["out_trade_no"]
    assert await Payment.filter(hold_id=h["hold_id"]).count() == 1


async def test_replayed_notifications_make_one_booking(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, capacity=5)
    me = await resident_with_card()
    h = await hold(me, s)
    started = await payer.start(me, h["hold_id"])
    otn = started.json["out_trade_no"]
    payer.standin.complete_payment(otn)
    copies = [payer.standin.notification_for(otn) for _ in range(5)]
    results = await asyncio.gather(*[payer.deliver(hd, body) for hd, body in copies])
    assert [r.status for r in results] == [204] * 5
    assert await Booking.filter(schedule_id=s["id"]).count() == 1
    assert await Payment.filter(out_trade_no=otn).count() == 1
    assert not await Refund.exists()
    # and once more, later
    clock.advance(minutes=30)
    assert (await payer.deliver(*payer.standin.notification_for(otn))).status == 204
    assert await Booking.filter(schedule_id=s["id"]).count() == 1


async def test_tampered_or_foreign_notifications_are_refused(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D)
    me = await resident_with_card()
    h = await hold(me, s)
    otn = (await payer.start(me, h["hold_id"])).json["out_trade_no"]
    headers, body = payer.standin.complete_payment(otn)
    flipped = body.replace(b'"ciphertext":"', b'"ciphertext":"A', 1)
    assert (await payer.deliver(headers, flipped)).status == 401
    assert (
        await payer.deliver({**headers, "Wechatpay-Signature": "AAAA" + headers["Wechatpay-Signature"][4:]}, body)
    ).status == 401
    assert (await payer.deliver({k: v for k, v in headers.items() if k != "Wechatpay-Serial"}, body)).status == 401
    foreign_headers, foreign_body = payer.standin.notification_for(otn, apiv3_key="x" * 32)
    assert (await payer.deliver(foreign_headers, foreign_body)).status == 401
    _, r = await payer.client.post("/api/v1/payments/wechat/notify", content=b"not json")
    assert r.status == 401
    assert not await Booking.exists()
    assert (await Payment.get(out_trade_no=otn)).status == "created"
    assert (await payer.deliver(headers, body)).status == 204  # the genuine one still books


async def test_notification_after_the_hold_expired_is_refunded(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, capacity=1)
    me, other = await resident_with_card(), await resident_with_card()
    h = await hold(me, s)
    otn = (await payer.start(me, h["hold_id"])).json["out_trade_no"]
    clock.advance(minutes=9)
    payer.standin.complete_payment(otn)  # paid in time...
    clock.advance(minutes=2)  # ...but the notification arrives after the hold lapsed
    assert (await hold(other, s))["hold_id"]  # and its slot was taken meanwhile
    assert (await payer.deliver(*payer.standin.notification_for(otn))).status == 204
    payment = await Payment.get(out_trade_no=otn)
    assert payment.status in ("refund_pending", "refunded") and payment.note == "expired"
    assert not await Booking.exists()
    refund = await Refund.get(payment_id=payment.id)
    assert refund.amount_fen == 1500 and refund.reason == "expired"
    assert refund.out_refund_no in payer.standin.refunds
    for _ in range(3):
        clock.advance(seconds=11)
        await payments.poll_refunds(payer.deps)
    refund = await Refund.get(id=refund.id)
    assert refund.status == "success"
    assert (await Payment.get(id=payment.id)).status == "refunded"


async def test_amount_mismatch_is_refunded_not_booked(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, fee_fen=1500)
    me = await resident_with_card()
    h = await hold(me, s)
    otn = (await payer.start(me, h["hold_id"])).json["out_trade_no"]
    payer.standin.complete_payment(otn)
    order = payer.standin.orders[otn]
    resource = {**order.notification_resource, "amount": {**order.notification_resource["amount"], "total": 1}}
    body = payer.standin.encrypt_notification(resource, notification_id="EV-forged", create_time=clock.now())
    assert (await payer.deliver(payer.standin.sign_notification(body), body)).status == 204
    payment = await Payment.get(out_trade_no=otn)
    assert payment.note == "amount_mismatch" and not await Booking.exists()
    refund = await Refund.get(payment_id=payment.id)  # what the notification says was paid, of the order's total
    assert refund.amount_fen == 1 and payer.standin.refunds[refund.out_refund_no].amount_refund == 1


async def test_an_overpayment_makes_no_booking_and_is_refunded_in_full(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, fee_fen=1500)
    me = await resident_with_card()
    h = await hold(me, s)
    otn = (await payer.start(me, h["hold_id"])).json["out_trade_no"]
    payer.standin.complete_payment(otn)
    order = payer.standin.orders[otn]
    resource = {**order.notification_resource, "amount": {**order.notification_resource["amount"], "total": 1501}}
    body = payer.standin.encrypt_notification(resource, notification_id="EV-overpaid", create_time=clock.now())
    assert (await payer.deliver(payer.standin.sign_notification(body), body)).status == 204
    payment = await Payment.get(out_trade_no=otn)
    assert payment.note == "amount_mismatch" and payment.paid_fen == 1501
    assert payment.status in ("refund_pending", "refunded")
    assert not await Booking.exists()
    refund = await Refund.get(payment_id=payment.id)
    # all of the order, which is all WeChat can give back (a refund names the order's own total)
    assert refund.amount_fen == 1500 and refund.reason == "amount_mismatch"
    assert payer.standin.refunds[refund.out_refund_no].amount_refund == 1500
    for _ in range(3):
        clock.advance(seconds=11)
        await payments.poll_refunds(payer.deps)
    assert (await Refund.get(id=refund.id)).status == "success"
    assert (await Payment.get(id=payment.id)).status == "refunded"


async def test_cancel_refunds_the_original_payment_and_returns_the_slot(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, capacity=1)
    me, other = await resident_with_card(), await resident_with_card()
    otn = await payer.pay(me, (await hold(me, s))["hold_id"])
    booking_id = (await Payment.get(out_trade_no=otn)).booking_id
    r = await other.post("/api/v1/holds", {"schedule_id": s["id"], "card_id": other.card_id})
    assert r.json["error"]["code"] == "sold_out"
    clock.freeze(at(D - timedelta(days=1), "23:59"))
    r = await me.delete(f"/api/v1/bookings/{booking_id}")
    assert r.status == 200, r.json
    assert r.json["status"] == "cancelled" and r.json["refund"]["amount_fen"] == 1500
    refund = payer.standin.refunds[(await Refund.get()).out_refund_no]
    assert refund.out_trade_no == otn  # to the original payment
    assert (await other.get(f"/api/v1/schedules/{s['id']}")).json["remaining"] == 1
    assert (await other.post("/api/v1/holds", {"schedule_id": s["id"], "card_id": other.card_id})).status == 201
    assert (await me.delete(f"/api/v1/bookings/{booking_id}")).json["error"]["code"] == "not_cancellable"


async def test_cancel_deadline_is_the_end_of_the_day_before(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D)
    me = await resident_with_card()
    otn = await payer.pay(me, (await hold(me, s))["hold_id"])
    booking_id = (await Payment.get(out_trade_no=otn)).booking_id
    clock.freeze(at(D, "00:00"))
    r = await me.delete(f"/api/v1/bookings/{booking_id}")
    assert r.status == 409 and r.json["error"]["code"] == "cancel_deadline_passed"
    assert r.json["error"]["deadline"] == "2026-12-20T00:00:00+08:00"
    assert (await Booking.get(id=booking_id)).status == "confirmed"


async def test_cancellable_until_is_the_deadline_cancelling_enforces(catalog, resident_with_card, payer, deps):
    deps.settings = deps.settings.with_overrides(booking={"cancel_days_before": 3})
    clock.freeze(RELEASE)
    s, later = await catalog.schedule(day=D), await catalog.schedule(day=D)
    me = await resident_with_card()
    booking_ids = []
    for schedule in (s, later):
        otn = await payer.pay(me, (await hold(me, schedule))["hold_id"])
        booking_ids.append((await Payment.get(out_trade_no=otn)).booking_id)
    deadline = "2026-12-18T00:00:00+08:00"  # 3 days before the visit: until the end of the 17th
    for booking_id in booking_ids:
        assert (await me.get(f"/api/v1/bookings/{booking_id}")).json["cancellable_until"] == deadline
    assert [b["cancellable_until"] for b in (await me.get("/api/v1/bookings")).json] == [deadline, deadline]
    clock.freeze(at(date(2026, 12, 17), "23:59") + timedelta(seconds=59))
    r = await me.delete(f"/api/v1/bookings/{booking_ids[0]}")
    assert r.status == 200 and r.json["status"] == "cancelled" and r.json["cancellable_until"] is None
    clock.freeze(at(date(2026, 12, 18), "00:00"))
    r = await me.delete(f"/api/v1/bookings/{booking_ids[1]}")
    assert r.status == 409 and r.json["error"]["code"] == "cancel_deadline_passed"
    assert r.json["error"]["deadline"] == deadline


async def test_cancellable_until_by_default_is_the_end_of_the_day_before(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D)
    me = await resident_with_card()
    otn = await payer.pay(me, (await hold(me, s))["hold_id"])
    booking_id = (await Payment.get(out_trade_no=otn)).booking_id
    assert (await me.get(f"/api/v1/bookings/{booking_id}")).json["cancellable_until"] == "2026-12-20T00:00:00+08:00"


async def test_only_my_bookings_and_holds(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D)
    me, other = await resident_with_card(), await resident_with_card()
    h = await hold(me, s)
    assert (await payer.start(other, h["hold_id"])).status == 404
    otn = await payer.pay(me, h["hold_id"])
    booking_id = (await Payment.get(out_trade_no=otn)).booking_id
    assert (await other.get(f"/api/v1/bookings/{booking_id}")).status == 404
    assert (await other.delete(f"/api/v1/bookings/{booking_id}")).status == 404
    assert (await other.get(f"/api/v1/payments/{otn}")).status == 404
    assert (await other.get("/api/v1/bookings")).json == []


async def test_paying_an_expired_hold_is_refused(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D)
    me = await resident_with_card()
    h = await hold(me, s)
    clock.advance(minutes=10)
    r = await payer.start(me, h["hold_id"])
    assert r.status == 409 and r.json["error"]["code"] == "hold_expired"


async def test_free_sessions_book_without_paying(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, fee_fen=0)
    me = await resident_with_card()
    r = await payer.start(me, (await hold(me, s))["hold_id"])
    assert r.status == 200 and r.json["pay_params"] is None and r.json["status"] == "booked"
    booking = (await me.get(f"/api/v1/bookings/{r.json['booking_id']}")).json
    assert booking["visit_number"] == 1
    assert (await me.delete(f"/api/v1/bookings/{booking['id']}")).json["refund"] is None


async def test_three_cancellations_in_a_month_bar_booking_for_30_days(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    hospital = await catalog.hospital()
    me = await resident_with_card()
    sessions = [
        await catalog.schedule(
            hospital=hospital, department=await catalog.department(hospital), day=D + timedelta(days=-i)
        )
        for i in range(4)
    ]
    for s in sessions[:3]:
        otn = await payer.pay(me, (await hold(me, s))["hold_id"])
        booking_id = (await Payment.get(out_trade_no=otn)).booking_id
        assert (await me.delete(f"/api/v1/bookings/{booking_id}")).status == 200
    r = await me.post("/api/v1/holds", {"schedule_id": sessions[3]["id"], "card_id": me.card_id})
    assert r.status == 429
    assert r.json["error"]["rule"] == "cancel_ban"
    assert r.json["error"]["until"] == "2027-01-12T13:00:00+08:00"


async def test_suspension_cancels_refunds_and_notifies(catalog, resident_with_card, payer, deps):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, capacity=5)
    booked = [await resident_with_card() for _ in range(3)]
    for r in booked:
        # the resident allowed the suspension message when paying (wx.requestSubscribeMessage)
        allowed = await r.post("/api/v1/notifications/subscriptions", {"templates": {"schedule_suspended": "accept"}})
        assert allowed.status == 200, allowed.json
        await payer.pay(r, (await hold(r, s))["hold_id"])
    late = await resident_with_card()
    late_hold = await hold(late, s)
    late_otn = (await payer.start(late, late_hold["hold_id"])).json["out_trade_no"]
    sent_before = len(deps.standin.messages)

    r = await catalog.admin("POST", f"/admin/schedules/{s['id']}/suspend", {"reason": "医生外出会诊"})
    assert r.status == 200, r.json
    assert r.json["bookings_cancelled"] == 3 and r.json["holds_cancelled"] == 1
    assert {b.status for b in await Booking.filter(schedule_id=s["id"])} == {"suspended"}
    assert await Refund.filter(reason="suspended").count() == 3
    assert payer.standin.orders[late_otn].trade_state == "CLOSED"
    for resident in booked:
        listed = (await resident.get("/api/v1/bookings")).json
        assert listed[0]["status"] == "suspended" and listed[0]["refund"]["reason"] == "suspended"
    assert await notifications.dispatch(deps) == 3
    messages = deps.standin.messages[sent_before:]
    assert len(messages) == 3 and all("停诊" in m["data"]["thing4"]["value"] for m in messages)
    notes = (await booked[0].get("/api/v1/notifications")).json["items"]
    suspended = next(n for n in notes if n["kind"] == "schedule_suspended")
    assert suspended["status"] == "sent" and not suspended["read"]
    confirmed = next(n for n in notes if n["kind"] == "booking_confirmed")
    assert confirmed["status"] == "inbox"  # not allowed: the inbox only
    again = await catalog.admin("POST", f"/admin/schedules/{s['id']}/suspend", {"reason": "x"})
    assert again.status == 409


async def test_payment_arriving_after_suspension_is_refunded(catalog, resident_with_card, payer):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D)
    me = await resident_with_card()
    h = await hold(me, s)
    otn = (await payer.start(me, h["hold_id"])).json["out_trade_no"]
    headers, body = payer.standin.complete_payment(otn)  # paid just before the close reached WeChat
    assert (await catalog.admin("POST", f"/admin/schedules/{s['id']}/suspend", {"reason": "停电"})).status == 200
    assert (await payer.deliver(headers, body)).status == 204
    payment = await Payment.get(out_trade_no=otn)
    assert payment.note == "suspended" and await Refund.filter(payment_id=payment.id).count() == 1
    assert not await Booking.exists()


async def test_refunds_are_polled_until_final(catalog, resident_with_card, payer, deps):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D)
    me = await resident_with_card()
    otn = await payer.pay(me, (await hold(me, s))["hold_id"])
    booking_id = (await Payment.get(out_trade_no=otn)).booking_id
    payer.standin.fail_next_refund()
    await me.delete(f"/api/v1/bookings/{booking_id}")
    refund = await Refund.get()
    assert refund.status == "processing"
    await payments.poll_refunds(deps)  # not due yet
    assert (await Refund.get(id=refund.id)).status == "processing"
    clock.advance(seconds=11)
    await payments.poll_refunds(deps)  # WeChat still says PROCESSING
    assert (await Refund.get(id=refund.id)).status == "processing"
    clock.advance(seconds=11)
    await payments.poll_refunds(deps)
    refund = await Refund.get(id=refund.id)
    assert refund.status == "abnormal" and refund.finished_at is not None and refund.attempts == 3


async def test_lost_notification_is_reconciled(catalog, resident_with_card, payer, deps):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D)
    paid, unpaid = await resident_with_card(), await resident_with_card()
    paid_otn = (await payer.start(paid, (await hold(paid, s))["hold_id"])).json["out_trade_no"]
    unpaid_otn = (await payer.start(unpaid, (await hold(unpaid, s))["hold_id"])).json["out_trade_no"]
    payer.standin.complete_payment(paid_otn)  # WeChat's notification never arrives
    clock.advance(minutes=12)
    result = await payments.reconcile_payments(deps)
    assert result == {"settled": 1, "closed": 1}
    assert (await Payment.get(out_trade_no=paid_otn)).note == "expired"  # paid too late to book: refunded
    assert (await Payment.get(out_trade_no=unpaid_otn)).status == "closed"
    assert payer.standin.orders[unpaid_otn].trade_state == "CLOSED"


async def test_dev_endpoint_completes_a_payment_through_the_notification_path(
    catalog, resident_with_card, payer, client
):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D)
    me = await resident_with_card()
    otn = (await payer.start(me, (await hold(me, s))["hold_id"])).json["out_trade_no"]
    _, r = await client.post(f"/api/v1/dev/payments/{otn}/complete")
    assert r.status == 200 and r.json["outcome"] == "booked"
    _, again = await client.post(f"/api/v1/dev/payments/{otn}/complete")
    assert again.status == 409
    _, unknown = await client.post("/api/v1/dev/payments/EH000000000000/complete")
    assert unknown.status == 404
    assert (await me.get(f"/api/v1/payments/{otn}")).json["status"] == "booked"
