"""Outpatient charges end to end: the hospital pushes, the resident pays through the WeChat Pay
stand-in, the hospital reads the feed, acknowledges, rejects and refunds."""

from datetime import date

import pytest

from backend.clock import clock
from backend.notifications.models import Notification
from backend.outpatient.models import Charge, ChargeOrder, ChargeRefund
from backend.payments import service as payments
from backend.payments.models import Payment, Refund
from tests.integration.conftest import at
from tests.integration.outpatient.conftest import item
from tests.support import make_id_number, make_phone

TODAY = date(2026, 12, 10)
DRUGS = [
    item("D001", name="阿莫西林胶囊", quantity=2, price=1250),
    item("D002", name="布洛芬片", quantity=1, price=800),
]
LAB = [item("L001", name="血常规", category="lab", unit="次", quantity=1, price=2500)]


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(at(TODAY, "10:00"))


async def _charges(me, status=None, card_id=None):
    tail = f"&status={status}" if status else ""
    r = await me.get(f"/api/v1/outpatient/charges?card_id={card_id or me.card_id}{tail}")
    assert r.status == 200, r.json
    return r.json


async def _pay(me, his, charges: list[dict], card_id=None):
    return await me.post(
        "/api/v1/outpatient/payments",
        {
            "hospital_id": his.hospital["id"],
            "card_id": card_id or me.card_id,
            "charge_ids": [c["charge_id"] for c in charges],
            "versions": [c["version"] for c in charges],
        },
    )


async def _settle_refunds(deps):
    for _ in range(4):
        clock.advance(seconds=11)
        await payments.poll_refunds(deps)


async def _paid(me, his, payer, charges):
    r = await _pay(me, his, charges)
    assert r.status == 201, r.json
    headers, body = payer.standin.complete_payment(r.json["out_trade_no"])
    assert (await payer.deliver(headers, body)).status == 204
    return r.json


async def test_pushed_listed_paid_on_the_feed_acknowledged_with_guidance(his_for, resident_with_card, payer):
    his = await his_for()
    me = await resident_with_card()
    r = await his.push("CF100", me.id_number, DRUGS)
    assert (r.status, r.json) == (201, {"charge_no": "CF100", "version": 1, "status": "unpaid"})
    assert (await his.push("CF101", me.id_number, LAB)).status == 201
    unpaid = await _charges(me, "unpaid")
    assert {c["charge_no"] for c in unpaid} == {"CF100", "CF101"}
    drugs = next(c for c in unpaid if c["charge_no"] == "CF100")
    assert drugs["total_fen"] == 3300 and drugs["payable"] and drugs["items"][0]["quantity"] == 2
    assert drugs["hospital_name"] == his.hospital["name"] and drugs["status"] == "unpaid"
    # the owner's inbox learnt of each new charge
    waiting = await Notification.filter(account_id=me.account_id, kind="charge_waiting").values_list(
        "payload", flat=True
    )
    assert sorted(p["charge_no"] for p in waiting) == ["CF100", "CF101"]
    assert waiting[0]["card_id"] == me.card_id and "total_fen" in waiting[0]

    started = await _pay(me, his, unpaid)
    assert started.status == 201, started.json
    assert started.json["amount_fen"] == 3300 + 2500 and started.json["pay_params"]["package"].startswith("prepay_id=")
    payment = await Payment.get(out_trade_no=started.json["out_trade_no"])
    assert (payment.purpose, payment.amount_fen) == ("charges", 5800)
    # while the order is open the charges are shown as being paid
    assert all(c["not_payable_reason"] == "in_payment" for c in await _charges(me, "unpaid"))

    headers, body = payer.standin.complete_payment(started.json["out_trade_no"])
    for _ in range(5):  # WeChat repeats its notification: settled once
        assert (await payer.deliver(headers, body)).status == 204
    assert await _charges(me, "unpaid") == []
    paid = await _charges(me, "paid")
    assert {c["status"] for c in paid} == {"paid"} and all(not c["acknowledged"] for c in paid)
    assert sum(c["paid_fen"] for c in paid) == 5800
    assert await Notification.filter(kind="charge_paid", account_id=me.account_id).count() == 1
    view = (await me.get(f"/api/v1/payments/{started.json['out_trade_no']}")).json
    assert view["status"] == "paid" and view["purpose"] == "charges"

    feed = (await his.feed()).json
    assert {c["charge_no"] for c in feed["charges"]} == {"CF100", "CF101"} and feed["next_cursor"] is None
    assert all(c["transaction_id"] and c["amount_fen"] for c in feed["charges"])
    r = await his.ack(
        {"charge_no": "CF100", "receipt_no": "R-778", "guide": "请到门诊药房3号窗口取药"}, {"charge_no": "NOPE"}
    )
    assert r.status == 200 and r.json["acknowledged"] == ["CF100"] and r.json["unknown"] == ["NOPE"]
    assert [c["charge_no"] for c in (await his.feed()).json["charges"]] == ["CF101"]
    shown = {c["charge_no"]: c for c in await _charges(me, "paid")}
    assert shown["CF100"]["acknowledged"] and shown["CF100"]["receipt_no"] == "R-778"
    assert shown["CF100"]["guide"] == "请到门诊药房3号窗口取药"
    assert shown["CF101"]["status"] == "paid" and shown["CF101"]["guide"] is None
    # a paid charge cannot be replaced nor voided
    r = await his.push("CF100", me.id_number, DRUGS)
    assert r.status == 409 and r.json["error"]["code"] == "charge_paid"
    r = await his.void("CF101")
    assert r.status == 409 and r.json["error"]["code"] == "charge_paid"


async def test_feed_pages_with_a_cursor(his_for, resident_with_card, payer):
    his = await his_for()
    me = await resident_with_card()
    for n in range(3):
        assert (await his.push(f"CP{n}", me.id_number, LAB)).status == 201
    await _paid(me, his, payer, await _charges(me, "unpaid"))
    from backend.outpatient import service

    first = await service.paid_feed(hospital=await _hospital(his), after=None, limit=2)
    assert len(first["charges"]) == 2 and first["next_cursor"]
    rest = await service.paid_feed(hospital=await _hospital(his), after=first["next_cursor"], limit=2)
    assert len(rest["charges"]) == 1 and rest["next_cursor"] is None
    r = await his.feed("x1")
    assert r.status == 400


async def _hospital(his):
    from backend.catalog.models import Hospital

    return await Hospital.get(id=his.hospital["id"])


async def test_intake_refuses_a_bad_charge_whole_and_writes_nothing(his_for, resident_with_card):
    his = await his_for()
    me = await resident_with_card()
    bad = [
        item("D001", quantity=2, price=1250),
        item("D002", quantity="0.333", price=100, amount=34),  # 33.3 rounds half up to 33
        item("D003", category="food"),
        {"item_code": "D004"},
    ]
    r = await his.push("CB1", me.id_number, bad)
    assert r.status == 422 and r.json["error"]["code"] == "invalid_items"
    assert [(p["index"], p["field"]) for p in r.json["error"]["items"]] == [
        (1, "amount_fen"),
        (2, "category"),
        (3, "name"),
    ]
    r = await his.push("CB1", me.id_number, [item("D001", quantity=2, price=1250)], total_fen=2501)
    assert r.status == 422 and r.json["error"]["items"] == [
        {"index": -1, "field": "total_fen", "reason": "must equal the sum of the items' amount_fen = 2500"}
    ]
    r = await his.push("CB1", me.id_number, [])
    assert r.status == 422
    r = await his.push("CB1", me.id_number, [item("D001", quantity="0.335", price=100)])  # 33.5 -> 34
    assert r.status == 201 and (await Charge.get(charge_no="CB1")).total_fen == 34
    assert await Charge.filter(charge_no="CB1").count() == 1


async def test_a_push_while_unpaid_replaces_the_charge_and_the_order_fixes_the_version(
    his_for, resident_with_card, payer
):
    his = await his_for()
    me = await resident_with_card()
    await his.push("CV1", me.id_number, DRUGS)
    [seen] = await _charges(me, "unpaid")
    r = await his.push("CV1", me.id_number, LAB)
    assert (r.status, r.json["version"]) == (200, 2)
    # the resident pays what they saw: refused, nothing taken
    r = await _pay(me, his, [seen])
    assert r.status == 409 and r.json["error"]["code"] == "charge_changed" and r.json["error"]["version"] == 2
    assert await Payment.filter(purpose="charges").count() == 0
    [now_seen] = await _charges(me, "unpaid")
    assert now_seen["version"] == 2 and now_seen["total_fen"] == 2500
    # an order made at version 2, and the hospital changes the charge before the money arrives
    r = await _pay(me, his, [now_seen])
    assert r.status == 201
    otn = r.json["out_trade_no"]
    assert (await his.push("CV1", me.id_number, DRUGS)).json["version"] == 3
    assert (await Payment.get(out_trade_no=otn)).status == "closed"  # closed at WeChat Pay
    [again] = await _charges(me, "unpaid")
    assert again["payable"] and again["version"] == 3


async def test_a_linked_member_pays_and_a_stranger_sees_nothing(his_for, resident_with_card, payer):
    his = await his_for()
    me, stranger = await resident_with_card(), await resident_with_card()
    child_id = make_id_number(born=date(2018, 6, 1))
    # the charge comes before the card exists: it shows once the card does
    assert (await his.push("CK1", child_id, DRUGS)).status == 201
    r = await me.add_member(name="张小宝", id_number=child_id, phone=make_phone())
    assert r.status == 201, r.json
    child_card = r.json["card"]["card_id"]
    [charge] = await _charges(me, "unpaid", child_card)
    r = await _pay(me, his, [charge], card_id=child_card)
    assert r.status == 201
    r = await stranger.get(f"/api/v1/outpatient/charges?card_id={child_card}")
    assert r.status == 404
    r = await _pay(stranger, his, [charge], card_id=stranger.card_id)
    assert r.status == 404 and r.json["error"]["code"] == "charge_not_found"


async def test_pay_group_all_or_none_and_insurance_not_payable(his_for, resident_with_card):
    his = await his_for()
    me = await resident_with_card()
    await his.push("CG1", me.id_number, DRUGS, pay_group="RX7")
    await his.push("CG2", me.id_number, LAB, pay_group="RX7")
    await his.push("CI1", me.id_number, LAB, insurance=True)
    listed = {c["charge_no"]: c for c in await _charges(me, "unpaid")}
    assert listed["CI1"]["payable"] is False and listed["CI1"]["not_payable_reason"] == "insurance"
    r = await _pay(me, his, [listed["CG1"]])
    assert r.status == 409 and r.json["error"]["code"] == "pay_group_incomplete"
    assert r.json["error"]["charge_ids"] == [listed["CG2"]["charge_id"]]
    r = await _pay(me, his, [listed["CI1"]])
    assert r.status == 409 and r.json["error"]["code"] == "charge_not_payable"
    r = await _pay(me, his, [listed["CG1"], listed["CG2"]])
    assert r.status == 201 and r.json["amount_fen"] == 3300 + 2500


async def test_one_open_order_per_charge_and_the_same_selection_gets_it_back(his_for, resident_with_card, login):
    his = await his_for()
    me = await resident_with_card()
    family = await login()
    clock.advance(seconds=61)
    r = await family.add_member(name="张三", id_number=me.id_number, phone=me.phone, relation="parent")
    assert r.status == 201, r.json
    family.card_id = me.card_id
    await his.push("CO1", me.id_number, DRUGS)
    [charge] = await _charges(me, "unpaid")
    first = await _pay(me, his, [charge])
    again = await _pay(me, his, [charge])
    assert first.status == again.status == 201
    assert first.json["out_trade_no"] == again.json["out_trade_no"]
    r = await _pay(family, his, [charge])
    assert r.status == 409 and r.json["error"]["code"] == "charge_in_payment"
    assert await ChargeOrder.all().count() == 1


async def test_void_while_an_order_is_open_and_unpaid_closes_it(his_for, resident_with_card, payer):
    his = await his_for()
    me = await resident_with_card()
    await his.push("CW1", me.id_number, DRUGS)
    await his.push("CW2", me.id_number, LAB)
    r = await _pay(me, his, await _charges(me, "unpaid"))
    otn = r.json["out_trade_no"]
    r = await his.void("CW1")
    assert r.status == 200 and r.json["status"] == "voided"
    assert (await Payment.get(out_trade_no=otn)).status == "closed"
    assert payer.standin.orders[otn].trade_state == "CLOSED"
    [left] = await _charges(me, "unpaid")  # the voided one is gone, the other is free again
    assert left["charge_no"] == "CW2" and left["payable"]
    assert (await his.void("CW1")).status == 200  # again: nothing changes
    assert (await his.void("NOPE")).status == 404


async def test_void_after_the_money_was_taken_but_before_the_notification_refunds_it(
    his_for, resident_with_card, payer, deps
):
    his = await his_for()
    me = await resident_with_card()
    await his.push("CX1", me.id_number, DRUGS)
    r = await _pay(me, his, await _charges(me, "unpaid"))
    otn = r.json["out_trade_no"]
    headers, body = payer.standin.complete_payment(otn)  # paid at WeChat; our notification is late
    assert (await his.void("CX1")).status == 200  # the close fails at WeChat (already paid)
    assert (await payer.deliver(headers, body)).status == 204
    payment = await Payment.get(out_trade_no=otn)
    assert payment.status == "refund_pending" and payment.note == "charge_voided"
    await _settle_refunds(deps)
    assert (await Payment.get(out_trade_no=otn)).status == "refunded"
    refund = await Refund.get(payment_id=payment.id)
    assert refund.amount_fen == 3300 and refund.status == "success"
    assert (await Charge.get(charge_no="CX1")).status == "voided"
    assert await _charges(me) == []


async def test_reject_refunds_the_whole_charge_and_the_resident_sees_why(his_for, resident_with_card, payer, deps):
    his = await his_for()
    me = await resident_with_card()
    await his.push("CR1", me.id_number, DRUGS)
    await his.push("CR2", me.id_number, LAB)
    started = await _paid(me, his, payer, await _charges(me, "unpaid"))
    r = await his.reject("CR1", "医保结算失败，请到窗口办理")
    assert r.status == 200 and r.json["status"] == "rejected" and r.json["refunded_fen"] == 3300
    assert (await his.reject("CR1")).json["refunded_fen"] == 3300  # again: counted once
    assert [c["charge_no"] for c in (await his.feed()).json["charges"]] == ["CR2"]
    await _settle_refunds(deps)
    shown = {c["charge_no"]: c for c in await _charges(me, "paid")}
    assert shown["CR1"]["status"] == "rejected" and shown["CR1"]["reject_reason"] == "医保结算失败，请到窗口办理"
    [refund] = shown["CR1"]["refunds"]
    assert (refund["amount_fen"], refund["status"], refund["kind"]) == (3300, "refunded", "reject")
    payment = await Payment.get(out_trade_no=started["out_trade_no"])
    assert payment.status == "paid"  # the other charge stays paid
    r = await his.reject("CR2")
    assert r.status == 200
    await _settle_refunds(deps)
    assert (await Payment.get(id=payment.id)).status == "refunded"
    assert sum(r.amount_fen for r in await Refund.filter(payment_id=payment.id)) == 5800


async def test_partial_refunds_never_exceed_the_paid_amount_and_a_replay_counts_once(
    his_for, resident_with_card, payer, deps
):
    his = await his_for()
    me = await resident_with_card()
    await his.push("CP1", me.id_number, DRUGS)
    await _paid(me, his, payer, await _charges(me, "unpaid"))
    await his.ack({"charge_no": "CP1", "receipt_no": "R1"})
    r = await his.refund("CP1", 800, "布洛芬片未发药", refund_no="TF1")
    assert r.status == 201 and r.json["refunded_fen"] == 800 and r.json["refundable_fen"] == 2500
    # the hospital did not hear back and sends it again, signed anew: the same refund
    r = await his.refund("CP1", 800, "布洛芬片未发药", refund_no="TF1")
    assert r.status == 200 and r.json["refunded_fen"] == 800
    r = await his.refund("CP1", 900, "布洛芬片未发药", refund_no="TF1")
    assert r.status == 409 and r.json["error"]["code"] == "refund_no_reused"
    # exactly the same request (same nonce) is refused by the signature check
    path = his.path("/charges/CP1/refund")
    import json as jsonlib

    body = jsonlib.dumps({"amount_fen": 100, "reason": "x", "refund_no": "TF2"}).encode()
    headers = his.headers("POST", path, body)
    _, first = await his.client.request("POST", path, content=body, headers=headers)
    _, replay = await his.client.request("POST", path, content=body, headers=headers)
    assert first.status == 201 and replay.status == 401
    r = await his.refund("CP1", 2401, "多退")
    assert r.status == 409 and r.json["error"]["code"] == "refund_exceeds_paid"
    assert r.json["error"]["refundable_fen"] == 2400
    r = await his.refund("CP1", 2400, "全部退费")
    assert r.status == 201 and r.json["status"] == "refunded" and r.json["refundable_fen"] == 0
    r = await his.refund("CP1", 1, "再退")
    assert r.status == 409 and r.json["error"]["code"] == "charge_not_refundable"
    await _settle_refunds(deps)
    [shown] = await _charges(me, "paid")
    assert [(x["amount_fen"], x["status"]) for x in shown["refunds"]] == [
        (800, "refunded"),
        (100, "refunded"),
        (2400, "refunded"),
    ]
    assert shown["refunds"][0]["reason"] == "布洛芬片未发药"
    charge = await Charge.get(charge_no="CP1")
    assert charge.refunded_fen == charge.paid_fen == 3300
    assert await ChargeRefund.filter(charge_id=charge.id).count() == 3
    assert sum(x.amount_fen for x in await Refund.all()) == 3300


async def test_another_hospital_reaches_none_of_it(his_for, resident_with_card, payer):
    his, other = await his_for(), await his_for()
    me = await resident_with_card()
    await his.push("CH1", me.id_number, DRUGS)
    await _paid(me, his, payer, await _charges(me, "unpaid"))
    assert (await other.reject("CH1")).status == 404
    assert (await other.refund("CH1", 100)).status == 404
    assert (await other.void("CH1")).status == 404
    assert (await other.feed()).json["charges"] == []
    assert (await other.ack({"charge_no": "CH1"})).json["unknown"] == ["CH1"]


async def test_overdue_acknowledgements_are_counted_and_listed(his_for, resident_with_card, payer, deps, catalog):
    from backend import jobs, metrics

    his = await his_for()
    me = await resident_with_card()
    await his.push("CD1", me.id_number, DRUGS)
    await _paid(me, his, payer, await _charges(me, "unpaid"))
    await jobs.run_once(deps)
    assert metrics.CHARGES_UNACKNOWLEDGED._value.get() == 0
    clock.advance(minutes=deps.settings.payments.charge_ack_overdue_minutes + 1)
    await jobs.run_once(deps)
    assert metrics.CHARGES_UNACKNOWLEDGED._value.get() == 1
    r = await catalog.admin("GET", f"/admin/hospitals/{his.hospital['id']}/charges?state=overdue")
    assert r.status == 200 and r.json["counts"]["overdue"] == 1 and r.json["charges"][0]["overdue"]
    r = await catalog.admin("GET", f"/admin/figures?hospital_id={his.hospital['id']}")
    assert r.json["charges"]["count"] == 1 and r.json["charges"]["paid_fen"] == 3300
    await his.ack({"charge_no": "CD1"})
    await jobs.run_once(deps)
    assert metrics.CHARGES_UNACKNOWLEDGED._value.get() == 0


async def test_an_order_left_unpaid_expires_and_frees_its_charges(his_for, resident_with_card, payer, deps, login):
    his = await his_for()
    me = await resident_with_card()
    await his.push("CE1", me.id_number, DRUGS)
    [charge] = await _charges(me, "unpaid")
    first = await _pay(me, his, [charge])
    assert first.status == 201
    clock.advance(minutes=16)  # past the order's expiry, before the reconciler ran
    [charge] = await _charges(me, "unpaid")
    assert charge["payable"] and charge["not_payable_reason"] is None
    second = await _pay(me, his, [charge])
    assert second.status == 201 and second.json["out_trade_no"] != first.json["out_trade_no"]
    clock.advance(minutes=2)
    await payments.reconcile_payments(deps)  # closes the first order at WeChat: the second keeps the charge
    assert (await Payment.get(out_trade_no=first.json["out_trade_no"])).status == "closed"
    [charge] = await _charges(me, "unpaid")
    assert charge["not_payable_reason"] == "in_payment"
    headers, body = payer.standin.complete_payment(second.json["out_trade_no"])
    assert (await payer.deliver(headers, body)).status == 204
    assert [c["status"] for c in await _charges(me, "paid")] == ["paid"]


async def test_a_refund_wechat_ends_abnormal_is_shown_as_needing_the_hospital(his_for, resident_with_card, payer, deps):
    his = await his_for()
    me = await resident_with_card()
    await his.push("CA1", me.id_number, DRUGS)
    await _paid(me, his, payer, await _charges(me, "unpaid"))
    payer.standin.fail_next_refund()
    assert (await his.refund("CA1", 800, "布洛芬片未发药")).status == 201
    await _settle_refunds(deps)
    [shown] = await _charges(me, "paid")
    assert [(r["amount_fen"], r["status"]) for r in shown["refunds"]] == [(800, "failed")]


async def test_linked_accounts_hear_of_new_charges_and_payments_and_a_voided_charge_can_come_back(
    his_for, resident_with_card, login, payer
):
    his = await his_for()
    me = await resident_with_card()
    family = await login()
    clock.advance(seconds=61)
    r = await family.add_member(name="张三", id_number=me.id_number, phone=me.phone, relation="parent")
    assert r.status == 201, r.json
    family.card_id = me.card_id
    await his.push("CN1", me.id_number, DRUGS)
    for account in (me, family):
        kinds = await Notification.filter(account_id=account.account_id).values_list("kind", flat=True)
        assert kinds.count("charge_waiting") == 1
    assert (await his.void("CN1")).status == 200
    assert await _charges(me, "unpaid") == []
    r = await his.push("CN1", me.id_number, LAB)  # the doctor orders it again
    assert r.status == 200 and r.json == {"charge_no": "CN1", "version": 2, "status": "unpaid"}
    assert await Notification.filter(account_id=family.account_id, kind="charge_waiting").count() == 2
    [charge] = await _charges(family, "unpaid")
    started = await _pay(family, his, [charge])
    headers, body = payer.standin.complete_payment(started.json["out_trade_no"])
    assert (await payer.deliver(headers, body)).status == 204
    for account in (me, family):
        [note] = await Notification.filter(account_id=account.account_id, kind="charge_paid").values_list(
            "payload", flat=True
        )
        assert note == {"hospital": his.hospital["name"], "card_id": me.card_id, "amount_fen": 2500, "charge_count": 1}
