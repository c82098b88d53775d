"""WeChat Pay over real HTTP: a module's own WeChatStandIn with its PayStandIn (so that test
controls like fail_next_refund never leak into other folders' tests), and a client per test."""

from __future__ import annotations

import itertools
import secrets
from datetime import timedelta

import pytest

from backend.clock import clock
from backend.config import load_settings
from backend.dev.standins.login import WeChatStandIn
from backend.wechat.pay import make_pay


def pay_settings(**overrides):
    return load_settings({"APP_ENV": "test", "DATABASE_URL": "sqlite://:memory:"}).with_overrides(**overrides)


@pytest.fixture(scope="module")
def pay_standin():
    s = pay_settings()
    server = WeChatStandIn(env="test", appid=s.wechat.appid, secret=s.wechat.secret).start()
    make_pay(s, server)  # attaches server.pay
    yield server.pay
    server.stop()


@pytest.fixture
async def pay(pay_standin):
    client = make_pay(pay_settings(), pay_standin.standin)
    yield client
    await client.aclose()


_seq = itertools.count(1)


def new_out_trade_no() -> str:
    return f"EH{next(_seq):06d}{secrets.token_hex(6)}"


@pytest.fixture
def order(pay):
    """Create an order through the client; returns (out_trade_no, PayParams)."""

    async def make(
        *, amount_fen: int = 1500, openid: str = "o-resident-1", minutes: int = 10, attach: str | None = "hold-1"
    ):
        out_trade_no = new_out_trade_no()
        params = await pay.create_order(
            out_trade_no=out_trade_no,
            description="挂号费 第一人民医院 内科",
            amount_fen=amount_fen,
            openid=openid,
            time_expire=clock.now() + timedelta(minutes=minutes),
            attach=attach,
        )
        return out_trade_no, params

    return make
