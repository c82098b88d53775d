"""A PayStandIn on an unstarted WeChatStandIn (keys and notifications only, no HTTP) and a
WeChatPay client made with its keys."""

from __future__ import annotations

import pytest

from backend.config import load_settings
from backend.dev.standins.login import WeChatStandIn
from backend.dev.standins.pay import PayStandIn
from backend.wechat.pay import WeChatPay


def settings(**env):
    return load_settings({"APP_ENV": "test", "DATABASE_URL": "sqlite://:memory:", **env})


@pytest.fixture(scope="module")
def pay_standin():
    s = settings()
    server = WeChatStandIn(env="test", appid=s.wechat.appid, secret=s.wechat.secret)
    return PayStandIn(server, appid=s.wechat.appid, mchid=s.wechat_pay.mchid, notify_url=s.wechat_pay.notify_url)


def client_for(standin: PayStandIn, **overrides) -> WeChatPay:
    kwargs = dict(
        appid=standin.appid,
        mchid=standin.mchid,
        private_key=standin.merchant_private_key_pem,
        cert_serial_no=standin.merchant_cert_serial,
        apiv3_key=standin.apiv3_key,
        public_key=standin.platform_public_key_pem,
        public_key_id=standin.public_key_id,
        notify_url="http://127.0.0.1:8000/api/v1/payments/wechat/notify",
        gateway="http://127.0.0.1:9",  # never called by these tests
    )
    kwargs.update(overrides)
    return WeChatPay(**kwargs)


@pytest.fixture(scope="module")
def pay(pay_standin):
    return client_for(pay_standin)
