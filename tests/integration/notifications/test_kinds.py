"""Each kind of message is written by the change it reports, in that change's transaction:
written when the change commits, absent when it rolls back."""

from datetime import date, timedelta

import pytest
from tortoise.transactions import in_transaction

from backend.booking import service as booking
from backend.cards.models import Card
from backend.clock import clock
from backend.notifications.models import Notification
from backend.payments import service as payments
from backend.payments.models import Payment, Refund
from backend.queueing import service as queueing
from tests.integration.conftest import at, dynamic_code
from tests.integration.notifications.conftest import item

D = date(2026, 12, 20)
RELEASE = at(date(2026, 12, 13), "13:00")


async def kinds_of(account_id: int) -> list[str]:
    return sorted(await Notification.filter(account_id=account_id).values_list("kind", flat=True))


async def test_a_paid_booking_is_confirmed_and_a_rolled_back_one_is_not(catalog, resident_with_card, booked):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, capacity=5)
    me = await resident_with_card()
    made = await booked(me, s)
    note = await Notification.get(account_id=me.account_id, kind="booking_confirmed")
    assert note.payload["booking_id"] == made["id"] and note.payload["visit_number"] == made["visit_number"]
    assert note.payload["date"] == "2026-12-20" and note.dedup_key == f"booking_confirmed:{made['id']}"

    other = await resident_with_card()
    card = await Card.get(card_id=other.card_id)
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await booking.create_booking(
                conn,
                hold_id="h-rolled-back",
                schedule_id=s["id"],
                card_pk=card.id,
                account_id=other.account_id,
                kind="ordinary",
                amount_fen=1500,
            )
            raise RuntimeError("the payment's transaction failed after the booking")
    assert await kinds_of(other.account_id) == []


async def _queue_of(catalog, resident_with_card, booked, terminal_for, n):
    clock.freeze(RELEASE)
    hospital = await catalog.hospital()
    s = await catalog.schedule(hospital=hospital, day=D, capacity=10)
    patients = []
    for _ in range(n):
        p = await resident_with_card()
        p.booking = await booked(p, s)
        patients.append(p)
    clock.freeze(at(D, "08:00"))
    t = await terminal_for(hospital)
    for p in patients:
        await p.relogin()
        assert (await t.check_in(await dynamic_code(p), p.booking["id"])).status == 200
    return s, t, patients


async def test_calling_tells_the_called_and_the_one_with_three_ahead_once(
    catalog, resident_with_card, booked, terminal_for
):
    s, t, patients = await _queue_of(catalog, resident_with_card, booked, terminal_for, 6)
    assert (await t.call_next(s["id"])).json["called_number"] == 1
    # waiting now: 2, 3, 4, 5, 6 - number 5 has three ahead of it
    called = await Notification.get(account_id=patients[0].account_id, kind="queue_called")
    assert called.payload["visit_number"] == 1 and called.payload["department"]
    reminded = await Notification.filter(kind="queue_reminder").values_list("account_id", "payload")
    assert [(a, p["visit_number"], p["ahead"]) for a, p in reminded] == [(patients[4].account_id, 5, 3)]
    assert (await t.call_next(s["id"])).json["called_number"] == 2
    reminded = await Notification.filter(kind="queue_reminder").order_by("id").values_list("account_id", flat=True)
    assert reminded == [patients[4].account_id, patients[5].account_id]
    assert await Notification.filter(kind="queue_called").count() == 2

    # a call whose transaction rolls back tells nobody
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await queueing.call_next(schedule_id=s["id"])
            raise RuntimeError("rolled back")
    assert await Notification.filter(kind="queue_called").count() == 2
    assert await Notification.filter(kind="queue_reminder").count() == 2


async def test_a_refund_that_succeeds_is_told_whatever_was_paid_for(catalog, resident_with_card, payer, deps):
    clock.freeze(RELEASE)
    s = await catalog.schedule(day=D, fee_fen=1500)
    me = await resident_with_card()
    r = await me.post("/api/v1/holds", {"schedule_id": s["id"], "card_id": me.card_id})
    otn = await payer.pay(me, r.json["hold_id"])
    booking_id = (await Payment.get(out_trade_no=otn)).booking_id
    saved = payer.standin.refund_settle_after_queries  # the stand-in serves this process's later tests
    payer.standin.refund_settle_after_queries = None  # the refund stays PROCESSING until settled
    try:
        assert (await me.delete(f"/api/v1/bookings/{booking_id}")).status == 200
    finally:
        payer.standin.refund_settle_after_queries = saved
    assert await Notification.filter(kind="refund_done").count() == 0  # asked, not yet refunded
    payer.standin.settle_refunds()

    async def failing(deps, conn, **_):
        raise RuntimeError("a later step of the refund's transaction failed")

    deps.refund_succeeded.append(failing)
    clock.advance(seconds=11)
    with pytest.raises(RuntimeError):
        await payments.poll_refunds(deps)
    assert (await Refund.get()).status == "processing"
    assert await Notification.filter(kind="refund_done").count() == 0
    deps.refund_succeeded.remove(failing)
    clock.advance(seconds=61)
    await payments.poll_refunds(deps)
    refund = await Refund.get()
    assert refund.status == "success"
    note = await Notification.get(kind="refund_done")
    assert note.account_id == me.account_id
    assert (note.payload["purpose"], note.payload["amount_fen"], note.payload["booking_id"]) == (
        "booking",
        1500,
        booking_id,
    )
    assert note.dedup_key == f"refund_done:{refund.id}"


async def test_a_paid_deposit_is_credited_once_and_a_low_balance_is_told_once_a_day(
    his_for, resident_with_card, payer, deps
):
    today = date(2026, 12, 10)
    clock.freeze(at(today, "10:00"))
    his = await his_for()
    me = await resident_with_card()
    assert (await his.admit("ZY1", id_number=me.id_number, admitted=today, deposit_fen=200_000)).status == 201
    bed = [item("BED", name="床位费", category="bed", unit="天", quantity=1, price=60_000)]
    assert (await his.push_day("ZY1", today, bed)).status == 200
    assert await kinds_of(me.account_id) == []  # 1,400 yuan left: above the 1,000 yuan line

    r = await me.post(
        "/api/v1/inpatient/deposits",
        {"hospital_id": his.hospital["id"], "card_id": me.card_id, "admission_no": "ZY1", "amount_fen": 10_000},
    )
    assert r.status == 201, r.json
    headers, body = payer.standin.complete_payment(r.json["out_trade_no"])
    for _ in range(3):  # WeChat's notification, replayed
        assert (await payer.deliver(headers, body)).status == 204
    [credited] = await Notification.filter(kind="deposit_credited")
    assert credited.account_id == me.account_id
    assert credited.payload["amount_fen"] == 10_000 and credited.payload["admission_no"] == "ZY1"

    expensive = [item("OP", name="手术费", category="treatment", unit="次", quantity=1, price=100_000)]
    clock.freeze(at(today + timedelta(days=1), "09:00"))
    # a refused push writes nothing, and tells nobody
    bad = await his.push_day("ZY1", today + timedelta(days=1), [*expensive, item("X", category="unknown")])
    assert bad.status == 422, bad.json
    assert await Notification.filter(kind="balance_low").count() == 0
    assert (await his.push_day("ZY1", today + timedelta(days=1), expensive)).status == 200
    [low] = await Notification.filter(kind="balance_low")
    assert low.account_id == me.account_id and low.payload["balance_fen"] == 210_000 - 160_000
    assert (await his.push_day("ZY1", today + timedelta(days=1), expensive)).status == 200  # again that day
    assert await Notification.filter(kind="balance_low").count() == 1
    clock.freeze(at(today + timedelta(days=2), "09:00"))
    assert (await his.push_day("ZY1", today + timedelta(days=2), bed)).status == 200
    assert await Notification.filter(kind="balance_low").count() == 2
