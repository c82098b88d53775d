"""Refunds over real HTTP: PROCESSING until polled to a final state, idempotent per
out_refund_no, refused for unpaid orders and beyond the amount paid."""

from __future__ import annotations

import pytest

from backend.wechat.pay import PayError, RefundState


@pytest.fixture
async def paid(order, pay_standin):
    async def make(amount_fen: int = 1500) -> str:
        no, _ = await order(amount_fen=amount_fen)
        pay_standin.complete_payment(no)
        return no

    return make


@pytest.fixture
def settle_after(pay_standin):
    saved = pay_standin.refund_settle_after_queries

    def set_(n):
        pay_standin.refund_settle_after_queries = n

    yield set_
    pay_standin.refund_settle_after_queries = saved


async def poll(pay, out_refund_no: str, *, limit: int = 10) -> tuple[RefundState, int]:
    for attempt in range(1, limit + 1):
        state = await pay.query_refund(out_refund_no=out_refund_no)
        if state.status != "PROCESSING":
            return state, attempt
    raise AssertionError("refund never settled")


async def test_refund_lifecycle_needs_polling(pay, pay_standin, paid, settle_after):
    settle_after(2)
    no = await paid(1500)
    started = await pay.refund(
        out_trade_no=no, out_refund_no=f"RF{no}", amount_fen=1500, total_fen=1500, reason="退号退款"
    )
    assert started.status == "PROCESSING" and started.refund_id and started.amount_fen == 1500
    assert started.success_time is None
    assert (await pay.query_order(out_trade_no=no)).trade_state == "REFUND"
    final, attempts = await poll(pay, f"RF{no}")
    assert attempts == 3  # PROCESSING to the first two queries
    assert final == RefundState(
        out_refund_no=f"RF{no}",
        refund_id=started.refund_id,
        status="SUCCESS",
        amount_fen=1500,
        success_time=final.success_time,
    )
    assert final.success_time is not None and final.success_time.tzinfo is not None
    stored = pay_standin.refunds[f"RF{no}"]
    assert (stored.status, stored.reason, stored.out_trade_no) == ("SUCCESS", "退号退款", no)
    assert (await pay.query_refund(out_refund_no=f"RF{no}")).status == "SUCCESS"  # final stays final


async def test_refund_is_idempotent_per_out_refund_no(pay, pay_standin, paid):
    no = await paid(1500)
    first = await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}", amount_fen=1500, total_fen=1500)
    again = await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}", amount_fen=1500, total_fen=1500)
    assert again.refund_id == first.refund_id
    assert pay_standin.orders[no].refunds == [f"RF{no}"]
    with pytest.raises(PayError) as info:
        await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}", amount_fen=1000, total_fen=1500)
    assert info.value.code == "INVALID_REQUEST"
    # a retry after it settled answers the final state
    await poll(pay, f"RF{no}")
    assert (
        await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}", amount_fen=1500, total_fen=1500)
    ).status == "SUCCESS"


async def test_refund_of_an_unpaid_order_is_refused(pay, pay_standin, order):
    no, _ = await order(amount_fen=1500)
    with pytest.raises(PayError) as info:
        await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}", amount_fen=1500, total_fen=1500)
    assert (info.value.code, info.value.status, info.value.retryable) == ("INVALID_REQUEST", 400, False)
    assert f"RF{no}" not in pay_standin.refunds
    await pay.close_order(out_trade_no=no)
    with pytest.raises(PayError):
        await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}", amount_fen=1500, total_fen=1500)


async def test_refund_of_an_unknown_order_and_unknown_refund(pay):
    with pytest.raises(PayError) as info:
        await pay.refund(out_trade_no="EH000000unknown", out_refund_no="RF-unknown", amount_fen=1, total_fen=1)
    assert info.value.not_found
    with pytest.raises(PayError) as info:
        await pay.query_refund(out_refund_no="RF-never-made")
    assert info.value.not_found and info.value.code == "RESOURCE_NOT_EXISTS"


async def test_partial_refunds_up_to_the_total(pay, paid):
    no = await paid(1000)
    await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}a", amount_fen=600, total_fen=1000)
    with pytest.raises(PayError) as info:
        await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}b", amount_fen=401, total_fen=1000)
    assert info.value.code == "INVALID_REQUEST"
    assert (
        await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}c", amount_fen=400, total_fen=1000)
    ).status == "PROCESSING"


async def test_the_order_total_must_match(pay, paid):
    no = await paid(1000)
    with pytest.raises(PayError) as info:
        await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}", amount_fen=900, total_fen=900)
    assert info.value.code == "PARAM_ERROR"


async def test_a_refund_can_end_abnormal(pay, pay_standin, paid):
    no = await paid()
    pay_standin.fail_next_refund()
    await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}", amount_fen=1500, total_fen=1500)
    final, _ = await poll(pay, f"RF{no}")
    assert final.status == "ABNORMAL" and final.success_time is None
    other = await paid()
    await pay.refund(out_trade_no=other, out_refund_no=f"RF{other}", amount_fen=1500, total_fen=1500)
    assert (await poll(pay, f"RF{other}"))[0].status == "SUCCESS"  # only the next one failed


async def test_settle_refunds_by_hand(pay, pay_standin, paid, settle_after):
    settle_after(None)
    no = await paid()
    await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}", amount_fen=1500, total_fen=1500)
    for _ in range(5):
        assert (await pay.query_refund(out_refund_no=f"RF{no}")).status == "PROCESSING"
    assert f"RF{no}" in pay_standin.settle_refunds()
    assert (await pay.query_refund(out_refund_no=f"RF{no}")).status == "SUCCESS"


async def test_a_wechat_failure_is_a_retryable_error_and_the_retry_works(pay, pay_standin, paid):
    no = await paid()
    pay_standin.fail_next("/v3/refund/domestic/refunds")
    with pytest.raises(PayError) as info:
        await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}", amount_fen=1500, total_fen=1500)
    assert (info.value.code, info.value.status, info.value.retryable) == ("SYSTEM_ERROR", 500, True)
    assert f"RF{no}" not in pay_standin.refunds
    assert (
        await pay.refund(out_trade_no=no, out_refund_no=f"RF{no}", amount_fen=1500, total_fen=1500)
    ).status == "PROCESSING"
