"""Orders over real HTTP between WeChatPay (wechatpayv3's async client) and the stand-in."""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from backend.clock import SHANGHAI, clock
from backend.dev.standins.pay import StandInError
from backend.wechat.pay import OrderState, PayError
from tests.integration.wechat.conftest import new_out_trade_no


async def test_create_order_returns_params_signed_by_the_merchant(pay, pay_standin, order):
    out_trade_no, params = await order(amount_fen=2300, openid="o-alice", attach="hold-42")
    d = params.as_dict()
    public = serialization.load_pem_public_key(pay_standin.merchant_public_key_pem.encode())
    message = f"{d['appId']}\n{d['timeStamp']}\n{d['nonceStr']}\n{d['package']}\n".encode()
    public.verify(base64.b64decode(d["paySign"]), message, padding.PKCS1v15(), hashes.SHA256())
    stored = pay_standin.orders[out_trade_no]
    assert d["package"] == f"prepay_id={stored.prepay_id}"
    assert d["appId"] == pay_standin.appid
    assert (stored.amount_total, stored.openid, stored.attach, stored.trade_state) == (
        2300,
        "o-alice",
        "hold-42",
        "NOTPAY",
    )
    assert stored.notify_url == pay.notify_url
    assert stored.request["mchid"] == pay_standin.mchid and stored.request["amount"] == {
        "total": 2300,
        "currency": "CNY",
    }


async def test_time_expire_is_sent_in_rfc3339_and_honoured(pay, pay_standin):
    no = new_out_trade_no()
    expire = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=SHANGHAI)
    await pay.create_order(out_trade_no=no, description="挂号费", amount_fen=100, openid="o-1", time_expire=expire)
    assert pay_standin.orders[no].request["time_expire"] == "2030-01-02T03:04:05+08:00"
    assert pay_standin.orders[no].time_expire == expire.replace(microsecond=0)
    with pytest.raises(StandInError, match="expired"):
        pay_standin.complete_payment(no, at=expire + timedelta(seconds=1))
    assert (await pay.query_order(out_trade_no=no)).trade_state == "NOTPAY"


async def test_an_order_expiring_in_the_past_is_refused(pay):
    with pytest.raises(PayError) as info:
        await pay.create_order(
            out_trade_no=new_out_trade_no(),
            description="挂号费",
            amount_fen=100,
            openid="o-1",
            time_expire=clock.now() - timedelta(seconds=1),
        )
    assert (info.value.code, info.value.status) == ("INVALID_REQUEST", 400)


async def test_the_same_order_again_gets_the_same_prepay_id_and_a_changed_one_is_refused(pay, pay_standin):
    no = new_out_trade_no()
    args = dict(
        out_trade_no=no,
        description="挂号费",
        amount_fen=1500,
        openid="o-1",
        time_expire=clock.now() + timedelta(minutes=10),
        attach="hold-1",
    )
    first = await pay.create_order(**args)
    again = await pay.create_order(**args)
    assert first.package == again.package
    assert first.nonce_str != again.nonce_str  # freshly signed each time
    for change in (
        {"amount_fen": 1600},
        {"openid": "o-2"},
        {"attach": "hold-2"},
        {"description": "其他"},
        {"time_expire": args["time_expire"] + timedelta(minutes=1)},
    ):
        with pytest.raises(PayError) as info:
            await pay.create_order(**{**args, **change})
        assert (info.value.code, info.value.status, info.value.retryable) == ("INVALID_REQUEST", 400, False)
    assert pay_standin.orders[no].amount_total == 1500


async def test_query_before_and_after_payment(pay, pay_standin, order):
    no, _ = await order(amount_fen=1500)
    before = await pay.query_order(out_trade_no=no)
    assert before == OrderState(
        out_trade_no=no,
        trade_state="NOTPAY",
        transaction_id=None,
        amount_fen=1500,
        payer_total_fen=None,
        success_time=None,
    )
    paid_at = clock.now().replace(microsecond=0) - timedelta(seconds=30)
    pay_standin.complete_payment(no, at=paid_at)
    after = await pay.query_order(out_trade_no=no)
    assert after.trade_state == "SUCCESS"
    assert after.transaction_id == pay_standin.orders[no].transaction_id and after.transaction_id.startswith("4200")
    assert (after.amount_fen, after.payer_total_fen) == (1500, 1500)
    assert after.success_time == paid_at


async def test_the_payment_notification_verifies_and_matches_the_order(pay, pay_standin, order):
    no, _ = await order(amount_fen=880, attach="hold-7", openid="o-bob")
    headers, body = pay_standin.complete_payment(no)
    note = pay.parse_notification(headers, body)
    state = await pay.query_order(out_trade_no=no)
    assert note.event_type == "TRANSACTION.SUCCESS" and note.trade_state == "SUCCESS"
    assert (note.out_trade_no, note.transaction_id, note.amount_fen, note.payer_total_fen, note.success_time) == (
        no,
        state.transaction_id,
        880,
        880,
        state.success_time,
    )
    assert (note.attach, note.openid) == ("hold-7", "o-bob")
    # a replay (WeChat's retry) carries the same notification, freshly signed and encrypted
    headers2, body2 = pay_standin.notification_for(no)
    assert body2 != body
    again = pay.parse_notification(headers2, body2)
    assert (again.id, again.transaction_id) == (note.id, note.transaction_id)


async def test_a_paid_order_cannot_be_paid_again_or_re_created(pay, pay_standin, order):
    no, _ = await order()
    pay_standin.complete_payment(no)
    with pytest.raises(StandInError):
        pay_standin.complete_payment(no)
    with pytest.raises(PayError) as info:
        await pay.create_order(
            out_trade_no=no,
            description="挂号费 第一人民医院 内科",
            amount_fen=1500,
            openid="o-resident-1",
            time_expire=clock.now() + timedelta(minutes=10),
            attach="hold-1",
        )
    assert info.value.order_paid


async def test_close_an_unpaid_order(pay, pay_standin, order):
    no, _ = await order()
    assert await pay.close_order(out_trade_no=no) is None
    assert pay_standin.orders[no].trade_state == "CLOSED"
    assert (await pay.query_order(out_trade_no=no)).trade_state == "CLOSED"
    await pay.close_order(out_trade_no=no)  # closing again is fine
    with pytest.raises(StandInError):
        pay_standin.complete_payment(no)  # a closed order cannot be paid
    with pytest.raises(PayError) as info:
        await pay.create_order(
            out_trade_no=no,
            description="挂号费 第一人民医院 内科",
            amount_fen=1500,
            openid="o-resident-1",
            time_expire=clock.now() + timedelta(minutes=10),
            attach="hold-1",
        )
    assert info.value.code == "ORDER_CLOSED"


async def test_a_paid_order_cannot_be_closed(pay, pay_standin, order):
    no, _ = await order()
    pay_standin.complete_payment(no)
    with pytest.raises(PayError) as info:
        await pay.close_order(out_trade_no=no)
    assert info.value.order_paid and info.value.status == 400
    assert pay_standin.orders[no].trade_state == "SUCCESS"


async def test_unknown_orders(pay):
    for call in (pay.query_order, pay.close_order):
        with pytest.raises(PayError) as info:
            await call(out_trade_no="EH000000unknown")
        assert info.value.not_found and info.value.code == "ORDER_NOT_EXIST"


async def test_the_clock_drives_the_stand_ins_business_time(pay, pay_standin):
    clock.set(datetime(2026, 3, 2, 13, 0, tzinfo=SHANGHAI), frozen=True)
    no = new_out_trade_no()
    await pay.create_order(
        out_trade_no=no,
        description="挂号费",
        amount_fen=100,
        openid="o-1",
        time_expire=clock.now() + timedelta(minutes=10),
    )
    clock.advance(minutes=9)
    headers, body = pay_standin.complete_payment(no)
    note = pay.parse_notification(headers, body)
    assert note.success_time == datetime(2026, 3, 2, 13, 9, tzinfo=SHANGHAI)


async def test_late_notification_for_a_payment_made_before_expiry(pay, pay_standin):
    clock.set(datetime(2026, 3, 2, 13, 0, tzinfo=SHANGHAI), frozen=True)
    no = new_out_trade_no()
    await pay.create_order(
        out_trade_no=no,
        description="挂号费",
        amount_fen=100,
        openid="o-1",
        time_expire=clock.now() + timedelta(minutes=10),
    )
    clock.advance(minutes=30)  # the hold is long gone when the notification arrives
    headers, body = pay_standin.complete_payment(no, at=datetime(2026, 3, 2, 13, 9, 59, tzinfo=SHANGHAI))
    note = pay.parse_notification(headers, body)
    assert note.trade_state == "SUCCESS" and note.success_time == datetime(2026, 3, 2, 13, 9, 59, tzinfo=SHANGHAI)


async def test_concurrent_calls_share_one_connection_pool(pay, pay_standin):
    nos = [new_out_trade_no() for _ in range(100)]
    results = await asyncio.gather(
        *(
            pay.create_order(
                out_trade_no=no,
                description="挂号费",
                amount_fen=100 + i,
                openid=f"o-{i}",
                time_expire=clock.now() + timedelta(minutes=10),
            )
            for i, no in enumerate(nos)
        )
    )
    assert len({p.package for p in results}) == 100
    pool = pay._wx._core._client
    states = await asyncio.gather(*(pay.query_order(out_trade_no=no) for no in nos))
    assert [s.amount_fen for s in states] == [100 + i for i in range(100)]
    assert pay._wx._core._client is pool  # one httpx client for every call
    await pay.aclose()
    assert pay._wx._core._client is None and pool.is_closed
    assert (await pay.query_order(out_trade_no=nos[0])).trade_state == "NOTPAY"  # reopens on use


async def test_stand_in_unreachable_is_a_retryable_pay_error(pay_standin):
    from backend.wechat.pay import WeChatPay

    unreachable = WeChatPay(
        appid=pay_standin.appid,
        mchid=pay_standin.mchid,
        private_key=pay_standin.merchant_private_key_pem,
        cert_serial_no=pay_standin.merchant_cert_serial,
        apiv3_key=pay_standin.apiv3_key,
        public_key=pay_standin.platform_public_key_pem,
        public_key_id=pay_standin.public_key_id,
        notify_url="http://127.0.0.1/notify",
        gateway="http://127.0.0.1:9",
        timeout=(1.0, 1.0),
    )
    async with unreachable:
        with pytest.raises(PayError) as info:
            await unreachable.query_order(out_trade_no="EH000000unknown")
    assert info.value.code == "NETWORK_ERROR" and info.value.status is None and info.value.retryable
