"""Deposit top-ups (预缴金缴纳) through WeChat Pay as the payment purpose "deposit": the order,
the signed notification, prepaid_fen, the hospital's feed, expiry, discharge, refunds."""

import asyncio
from datetime import date, datetime, timedelta

import pytest

from backend.clock import SHANGHAI, clock
from backend.inpatient.models import Deposit
from backend.payments import service as payments
from backend.payments.models import Payment, Refund
from tests.integration.conftest import at
from tests.integration.inpatient.conftest import item
from tests.support import make_id_number, make_phone

TODAY = date(2026, 12, 10)
DAY_FEN = 6000  # one bed day


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(at(TODAY, "10:00"))


async def _stay(his, admission_no, id_number, *, deposit_fen=100000):
    r = await his.admit(admission_no, id_number=id_number, admitted=TODAY, deposit_fen=deposit_fen)
    assert r.status == 201, r.json
    r = await his.push_day(
        admission_no, TODAY, [item("BED", name="床位费", category="bed", unit="天", quantity=1, price=DAY_FEN)]
    )
    assert r.status == 200, r.json


def _bill_path(his, card_id, admission_no):
    return f"/api/v1/inpatient/bills?hospital_id={his.hospital['id']}&card_id={card_id}&admission_no={admission_no}"


async def _top_up(me, his, admission_no, amount_fen, *, card_id=None):
    return await me.post(
        "/api/v1/inpatient/deposits",
        {
            "hospital_id": his.hospital["id"],
            "card_id": card_id or me.card_id,
            "admission_no": admission_no,
            "amount_fen": amount_fen,
        },
    )


async def _prepaid(me, his, admission_no, card_id=None):
    r = await me.get(_bill_path(his, card_id or me.card_id, admission_no))
    assert r.status == 200, r.json
    return r.json["prepaid_fen"]


async def test_a_paid_top_up_counts_in_prepaid_and_is_on_the_feed_until_acknowledged(
    his_for, resident_with_card, payer
):
    his = await his_for()
    me = await resident_with_card()
    await _stay(his, "ZY200", me.id_number, deposit_fen=100000)
    r = await _top_up(me, his, "ZY200", 50000)
    assert r.status == 201, r.json
    started = r.json
    assert set(started) >= {"deposit_id", "out_trade_no", "pay_params"}
    assert started["pay_params"]["package"].startswith("prepay_id=") and started["pay_params"]["signType"] == "RSA"
    payment = await Payment.get(out_trade_no=started["out_trade_no"])
    assert (payment.purpose, payment.subject, payment.amount_fen, payment.hold_id) == (
        "deposit",
        str(started["deposit_id"]),
        50000,
        None,
    )
    assert payment.card_id == (await Deposit.get(id=started["deposit_id"])).card_id is not None
    # not paid yet: neither counted nor offered to the hospital
    assert await _prepaid(me, his, "ZY200") == 100000
    assert (await his.request("GET", his.path("/deposits"))).json["deposits"] == []

    headers, body = payer.standin.complete_payment(started["out_trade_no"])
    assert (await payer.deliver(headers, body)).status == 204
    bill = (await me.get(_bill_path(his, me.card_id, "ZY200"))).json
    assert (bill["prepaid_fen"], bill["hospital_deposit_fen"], bill["balance_fen"]) == (
        150000,
        100000,
        150000 - DAY_FEN,
    )
    assert [d["deposit_id"] for d in bill["online_deposits"]] == [started["deposit_id"]]
    [adm] = (await me.get(f"/api/v1/inpatient/admissions?card_id={me.card_id}")).json
    assert adm["prepaid_fen"] == 150000 and adm["balance_fen"] == 150000 - DAY_FEN
    r = await me.get(f"/api/v1/payments/{started['out_trade_no']}")
    assert (
        r.json["status"] == "paid" and r.json["deposit_id"] == started["deposit_id"] and r.json["purpose"] == "deposit"
    )

    feed = (await his.request("GET", his.path("/deposits"))).json
    paid = await Deposit.get(id=started["deposit_id"])
    assert feed == {
        "deposits": [
            {
                "deposit_id": paid.id,
                "admission_no": "ZY200",
                "amount_fen": 50000,
                "paid_at": "2026-12-10T10:00:00+08:00",
                "transaction_id": paid.transaction_id,
            }
        ],
        "next_cursor": None,
    }
    assert paid.transaction_id.startswith("4200") and paid.status == "paid"
    r = await his.request("POST", his.path("/deposits/ack"), {"deposit_ids": [paid.id]})
    assert r.status == 200 and r.json["acknowledged"] == [paid.id]
    assert (await his.request("GET", his.path("/deposits"))).json["deposits"] == []
    assert await _prepaid(me, his, "ZY200") == 150000  # acknowledged still counts


async def test_a_linked_member_s_admission_can_be_topped_up(his_for, resident_with_card, payer):
    his = await his_for()
    me = await resident_with_card()
    child_id = make_id_number(born=date(2018, 6, 1))
    r = await me.add_member(name="张小宝", id_number=child_id, phone=make_phone())
    assert r.status == 201, r.json
    child_card = r.json["card"]["card_id"]
    await _stay(his, "ZY210", child_id, deposit_fen=0)
    r = await _top_up(me, his, "ZY210", 30000, card_id=child_card)
    assert r.status == 201, r.json
    headers, body = payer.standin.complete_payment(r.json["out_trade_no"])
    assert (await payer.deliver(headers, body)).status == 204
    assert await _prepaid(me, his, "ZY210", child_card) == 30000


async def test_someone_else_s_card_and_a_wrong_admission_get_the_bill_s_404_and_nothing_is_written(
    his_for, resident_with_card
):
    his = await his_for()
    owner, stranger = await resident_with_card(), await resident_with_card()
    await _stay(his, "ZY220", owner.id_number)
    await _stay(his, "ZY221", stranger.id_number)
    bill_404 = await stranger.get(_bill_path(his, owner.card_id, "ZY220"))
    others_card = await _top_up(stranger, his, "ZY220", 10000, card_id=owner.card_id)
    wrong_no = await _top_up(stranger, his, "ZY220", 10000)  # the owner's admission with the stranger's own card
    unknown_card = await _top_up(stranger, his, "ZY221", 10000, card_id="ab" * 32)
    r = await stranger.post(
        "/api/v1/inpatient/deposits",
        {
            "hospital_id": his.hospital["id"] + 1000,
            "card_id": stranger.card_id,
            "admission_no": "ZY221",
            "amount_fen": 10000,
        },
    )
    for refused in (others_card, wrong_no, unknown_card, r):
        assert refused.status == 404 and refused.content == bill_404.content
    _, anonymous = await owner.client.post("/api/v1/inpatient/deposits", json={})
    assert anonymous.status == 401
    assert not await Deposit.exists() and not await Payment.exists()


@pytest.mark.parametrize("amount", [0, -100, 5_000_001, "100", 100.5, True, None])
async def test_an_amount_must_be_positive_whole_fen_at_most_the_maximum(amount, his_for, resident_with_card):
    his = await his_for()
    me = await resident_with_card()
    await _stay(his, "ZY230", me.id_number)
    r = await _top_up(me, his, "ZY230", amount)
    assert r.status == 400, r.json
    assert r.json["error"]["code"] in ("invalid_amount", "invalid_request")
    assert "amount_fen" in r.json["error"]["message"]
    assert not await Deposit.exists() and not await Payment.exists()


async def test_the_maximum_is_the_configured_one(his_for, resident_with_card, deps):
    his = await his_for()
    me = await resident_with_card()
    await _stay(his, "ZY231", me.id_number)
    assert (await _top_up(me, his, "ZY231", 5_000_000)).status == 201  # the default maximum itself is allowed
    deps.settings = deps.settings.with_overrides(payments={"deposit_max_fen": 20000})
    r = await _top_up(me, his, "ZY231", 20001)
    assert r.status == 400 and r.json["error"]["code"] == "invalid_amount" and r.json["error"]["max_fen"] == 20000
    assert (await _top_up(me, his, "ZY231", 20000)).status == 201
    assert await Deposit.filter(admission__admission_no="ZY231").count() == 2


async def test_a_discharged_admission_takes_no_top_up(his_for, resident_with_card):
    his = await his_for()
    me = await resident_with_card()
    r = await his.admit(
        "ZY240",
        id_number=me.id_number,
        admitted=TODAY - timedelta(days=3),
        discharged_at=datetime(2026, 12, 9, 16, 0, tzinfo=SHANGHAI).isoformat(),
    )
    assert r.status == 201, r.json
    r = await _top_up(me, his, "ZY240", 10000)
    assert r.status == 409 and r.json["error"]["code"] == "admission_discharged"
    assert r.json["error"]["discharged_at"] == "2026-12-09T16:00:00+08:00"
    assert not await Deposit.exists() and not await Payment.exists()


async def test_a_top_up_paid_after_the_patient_was_discharged_still_counts(his_for, resident_with_card, payer):
    """Our call (backend/inpatient/payment_purpose.py): the hospital settles it at discharge, so
    it is counted and offered on the feed rather than refunded behind the hospital's back."""
    his = await his_for()
    me = await resident_with_card()
    await _stay(his, "ZY250", me.id_number, deposit_fen=0)
    started = (await _top_up(me, his, "ZY250", 40000)).json
    clock.advance(minutes=5)
    r = await his.admit(
        "ZY250", id_number=me.id_number, admitted=TODAY, deposit_fen=0, discharged_at=clock.now().isoformat()
    )
    assert r.status == 200, r.json
    headers, body = payer.standin.complete_payment(started["out_trade_no"])
    assert (await payer.deliver(headers, body)).status == 204
    assert await _prepaid(me, his, "ZY250") == 40000
    assert [d["deposit_id"] for d in (await his.request("GET", his.path("/deposits"))).json["deposits"]] == [
        started["deposit_id"]
    ]
    assert (await Payment.get(out_trade_no=started["out_trade_no"])).status == "paid"
    assert not await Refund.exists()
    # and no new top-up once discharged
    assert (await _top_up(me, his, "ZY250", 100)).json["error"]["code"] == "admission_discharged"


async def test_an_order_that_expires_unpaid_is_closed(his_for, resident_with_card, deps):
    his = await his_for()
    me = await resident_with_card()
    await _stay(his, "ZY260", me.id_number)
    started = (await _top_up(me, his, "ZY260", 10000)).json
    clock.advance(minutes=20)
    assert (await payments.reconcile_payments(deps))["closed"] == 0  # still payable
    clock.advance(minutes=12)
    assert (await payments.reconcile_payments(deps))["closed"] == 1
    assert (await Payment.get(out_trade_no=started["out_trade_no"])).status == "closed"
    assert (await Deposit.get(id=started["deposit_id"])).status == "closed"
    assert deps.standin.pay.orders[started["out_trade_no"]].trade_state == "CLOSED"
    assert await _prepaid(me, his, "ZY260") == 100000
    assert (await his.request("GET", his.path("/deposits"))).json["deposits"] == []


async def test_a_payment_whose_notification_never_came_is_settled_by_reconciliation(his_for, resident_with_card, deps):
    his = await his_for()
    me = await resident_with_card()
    await _stay(his, "ZY265", me.id_number, deposit_fen=0)
    started = (await _top_up(me, his, "ZY265", 12345)).json
    deps.standin.pay.complete_payment(started["out_trade_no"])  # paid at WeChat; the notification is lost
    clock.advance(minutes=32)
    assert (await payments.reconcile_payments(deps))["settled"] == 1
    assert (await Deposit.get(id=started["deposit_id"])).status == "paid"
    assert await _prepaid(me, his, "ZY265") == 12345


async def test_the_dev_helper_completes_a_deposit_order(his_for, resident_with_card, client):
    his = await his_for()
    me = await resident_with_card()
    await _stay(his, "ZY270", me.id_number, deposit_fen=0)
    started = (await _top_up(me, his, "ZY270", 8800)).json
    _, r = await client.post(f"/api/v1/dev/payments/{started['out_trade_no']}/complete")
    assert r.status == 200 and r.json == {"out_trade_no": started["out_trade_no"], "outcome": "credited"}
    assert await _prepaid(me, his, "ZY270") == 8800
    _, again = await client.post(f"/api/v1/dev/payments/{started['out_trade_no']}/complete")
    assert again.status == 409  # the stand-in's order is paid already
    assert await _prepaid(me, his, "ZY270") == 8800


async def test_the_hospital_has_a_top_up_refunded_to_the_original_payment(his_for, resident_with_card, payer, deps):
    his, other = await his_for(), await his_for()
    me = await resident_with_card()
    await _stay(his, "ZY280", me.id_number, deposit_fen=0)
    started = (await _top_up(me, his, "ZY280", 25000)).json
    deposit_id = started["deposit_id"]
    # not paid yet: nothing to give back
    r = await his.request("POST", his.path(f"/deposits/{deposit_id}/refund"))
    assert r.status == 409 and r.json["error"]["code"] == "deposit_not_refundable"
    headers, body = payer.standin.complete_payment(started["out_trade_no"])
    assert (await payer.deliver(headers, body)).status == 204
    assert await _prepaid(me, his, "ZY280") == 25000
    # another hospital cannot reach it; an unknown id is the same 404; an id past the id column
    # does not even match the route (404 as for every id path)
    for refused in (
        await other.request("POST", other.path(f"/deposits/{deposit_id}/refund")),
        await his.request("POST", his.path("/deposits/999999/refund")),
    ):
        assert refused.status == 404 and refused.json["error"]["code"] == "deposit_not_found"
    assert (await his.request("POST", his.path("/deposits/99999999999/refund"))).status == 404

    r = await his.request("POST", his.path(f"/deposits/{deposit_id}/refund"))
    assert r.status == 200, r.json
    assert (
        r.json["deposit_id"] == deposit_id
        and r.json["status"] == "refunding"
        and r.json["refund_reason"] == "hospital_request"
    )
    # no longer counted, no longer offered; a second request is refused
    assert await _prepaid(me, his, "ZY280") == 0
    assert (await his.request("GET", his.path("/deposits"))).json["deposits"] == []
    again = await his.request("POST", his.path(f"/deposits/{deposit_id}/refund"))
    assert again.status == 409 and again.json["error"]["code"] == "deposit_not_refundable"

    payment = await Payment.get(out_trade_no=started["out_trade_no"])
    [refund] = await Refund.filter(payment_id=payment.id)
    assert (refund.amount_fen, refund.reason) == (25000, "hospital_request")
    assert (
        deps.standin.pay.refunds[refund.out_refund_no].out_trade_no == started["out_trade_no"]
    )  # the original payment
    for _ in range(3):
        clock.advance(seconds=11)
        await payments.poll_refunds(deps)
    assert (await Payment.get(id=payment.id)).status == "refunded"
    deposit = await Deposit.get(id=deposit_id)
    assert deposit.status == "refunded" and deposit.refunded_at is not None


@pytest.mark.postgres_only
async def test_a_deposit_notification_replayed_5_times_concurrently_counts_once(his_for, resident_with_card, payer):
    his = await his_for()
    me = await resident_with_card()
    await _stay(his, "ZY290", me.id_number, deposit_fen=0)
    started = (await _top_up(me, his, "ZY290", 33300)).json
    headers, body = payer.standin.complete_payment(started["out_trade_no"])
    answers = await asyncio.gather(*[payer.deliver(headers, body) for _ in range(5)])
    assert [a.status for a in answers] == [204] * 5
    assert await _prepaid(me, his, "ZY290") == 33300
    assert await Deposit.filter(admission__admission_no="ZY290", status="paid").count() == 1
    feed = (await his.request("GET", his.path("/deposits"))).json["deposits"]
    assert [d["deposit_id"] for d in feed] == [started["deposit_id"]]
    assert (await Payment.get(out_trade_no=started["out_trade_no"])).status == "paid"
    # and once more, later, after the hospital acknowledged it
    await his.request("POST", his.path("/deposits/ack"), {"deposit_ids": [started["deposit_id"]]})
    assert (await payer.deliver(headers, body)).status == 204
    assert await _prepaid(me, his, "ZY290") == 33300
