"""WeChatPay without the network: wx.requestPayment parameters, argument checks, configuration,
errors; PayStandIn construction rules."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from backend.clock import clock
from backend.config import ConfigError
from backend.dev.standins.login import StandInRefused, WeChatStandIn
from backend.dev.standins.pay import PayStandIn
from backend.wechat.pay import GATEWAY, PayError, PayParams, WeChatPay, make_pay
from tests.unit.wechat.conftest import settings


def verify_pay_sign(standin: PayStandIn, params: dict) -> None:
    public = serialization.load_pem_public_key(standin.merchant_public_key_pem.encode())
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    public.verify(base64.b64decode(params["paySign"]), message, padding.PKCS1v15(), hashes.SHA256())


def test_pay_params_are_what_wx_request_payment_takes(pay, pay_standin):
    params = pay.pay_params("wx2026030213000012345678")
    assert isinstance(params, PayParams)
    d = params.as_dict()
    assert list(d) == ["appId", "timeStamp", "nonceStr", "package", "signType", "paySign"]
    assert d["appId"] == pay_standin.appid
    assert d["package"] == "prepay_id=wx2026030213000012345678"
    assert d["signType"] == "RSA"
    assert d["timeStamp"].isdigit() and len(d["nonceStr"]) == 32
    verify_pay_sign(pay_standin, d)
    with pytest.raises(InvalidSignature):
        verify_pay_sign(pay_standin, {**d, "package": "prepay_id=wx-other"})
    assert pay.pay_params("wx1").nonce_str != pay.pay_params("wx1").nonce_str


@pytest.mark.parametrize(
    "changes",
    [
        {"out_trade_no": "short"},
        {"out_trade_no": "EH/../../v3/refund"},
        {"out_trade_no": "EH2026?mchid=1"},
        {"amount_fen": 0},
        {"amount_fen": True},
        {"amount_fen": 15.0},
        {"description": ""},
        {"description": "挂" * 128},
        {"openid": ""},
        {"time_expire": datetime(2026, 3, 2, 13, 10)},  # naive
        {"attach": "x" * 129},
    ],
)
async def test_create_order_refuses_bad_arguments_before_calling(pay, changes):
    args = dict(
        out_trade_no="EH2026030213000001",
        description="挂号费",
        amount_fen=1500,
        openid="o-1",
        time_expire=clock.now() + timedelta(minutes=10),
    )
    args.update(changes)
    with pytest.raises(ValueError):
        await pay.create_order(**args)
    assert pay._wx._core._client is None  # nothing was sent (the pool did not even open)


@pytest.mark.parametrize(
    "changes",
    [
        {"out_refund_no": ""},
        {"out_refund_no": "RF 1"},
        {"amount_fen": 0},
        {"amount_fen": 1600},
        {"total_fen": -1},
        {"reason": "因" * 81},
        {"out_trade_no": "x/y"},
    ],
)
async def test_refund_refuses_bad_arguments_before_calling(pay, changes):
    args = dict(out_trade_no="EH2026030213000001", out_refund_no="RF1", amount_fen=1500, total_fen=1500)
    args.update(changes)
    with pytest.raises(ValueError):
        await pay.refund(**args)


def test_pay_error_kinds():
    assert PayError("NETWORK_ERROR", "x").retryable
    assert PayError("SYSTEM_ERROR", "x", status=500).retryable
    assert PayError("FREQUENCY_LIMITED", "x", status=429).retryable
    assert not PayError("INVALID_REQUEST", "x", status=400).retryable
    assert PayError("ORDER_NOT_EXIST", "x", status=404).not_found
    assert PayError("ORDERPAID", "x", status=400).order_paid
    error = PayError("SIGN_ERROR", "签名错误", status=401)
    assert (error.code, error.message, error.status) == ("SIGN_ERROR", "签名错误", 401)
    assert "SIGN_ERROR" in str(error)


# --- configuration -----------------------------------------------------------------------------


def real_keys(standin: PayStandIn) -> dict:
    return {
        "WECHAT_PAY_GATEWAY": "https://api.mch.weixin.qq.com",
        "WECHAT_PAY_PRIVATE_KEY": standin.merchant_private_key_pem.replace("\n", "\\n"),  # as in an env file
        "WECHAT_PAY_CERT_SERIAL": standin.merchant_cert_serial,
        "WECHAT_PAY_APIV3_KEY": standin.apiv3_key,
        "WECHAT_PAY_PUBLIC_KEY": standin.platform_public_key_pem,
        "WECHAT_PAY_PUBLIC_KEY_ID": standin.public_key_id,
        "WECHAT_PAY_NOTIFY_URL": "https://ehealth.example.cn/api/v1/payments/wechat/notify",
    }


def test_a_configured_gateway_uses_the_configured_keys(pay_standin):
    pay = make_pay(settings(**real_keys(pay_standin)))
    assert isinstance(pay, WeChatPay)
    assert pay.gateway == GATEWAY
    assert pay.public_key_id == pay_standin.public_key_id
    assert pay.notify_url == "https://ehealth.example.cn/api/v1/payments/wechat/notify"
    verify_pay_sign(pay_standin, pay.pay_params("wx1").as_dict())


@pytest.mark.parametrize(
    "missing",
    [
        "WECHAT_PAY_PRIVATE_KEY",
        "WECHAT_PAY_CERT_SERIAL",
        "WECHAT_PAY_APIV3_KEY",
        "WECHAT_PAY_PUBLIC_KEY",
        "WECHAT_PAY_PUBLIC_KEY_ID",
    ],
)
def test_a_configured_gateway_without_a_key_is_a_config_error(pay_standin, missing):
    env = real_keys(pay_standin)
    del env[missing]
    with pytest.raises(ConfigError, match=missing):
        make_pay(settings(**env))


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"WECHAT_PAY_APIV3_KEY": "too-short"}, "APIV3"),
        ({"WECHAT_PAY_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"}, "do not load"),
        ({"WECHAT_PAY_PUBLIC_KEY": "garbage"}, "do not load"),
    ],
)
def test_unusable_keys_are_a_config_error(pay_standin, changes, match):
    with pytest.raises(ConfigError, match=match):
        make_pay(settings(**{**real_keys(pay_standin), **changes}))


def test_production_needs_the_real_gateway_and_keys():
    prod = settings().with_overrides(app={"env": "prod"}, wechat_pay={"gateway": "https://api.mch.weixin.qq.com"})
    with pytest.raises(ConfigError, match="WECHAT_PAY_PRIVATE_KEY"):
        make_pay(prod)
    with pytest.raises(ConfigError, match="WECHAT_PAY_GATEWAY"):
        make_pay(prod.with_overrides(wechat_pay={"gateway": ""}))


def test_production_needs_an_https_notify_url(pay_standin):
    s = settings(**real_keys(pay_standin)).with_overrides(
        app={"env": "prod"}, wechat_pay={"notify_url": "http://x/notify"}
    )
    with pytest.raises(ConfigError, match="https"):
        make_pay(s)


def test_dev_without_gateway_needs_the_stand_in():
    with pytest.raises(ConfigError, match="stand-in"):
        make_pay(settings())


# --- the stand-in's construction ---------------------------------------------------------------


def test_the_stand_in_refuses_to_exist_in_production():
    with pytest.raises(StandInRefused):
        WeChatStandIn(env="prod", appid="wx1", secret="s")


def test_the_pay_stand_in_only_hangs_off_a_wechat_stand_in():
    class Anything:
        pay = None

        def add_route(self, *a):
            pass

    with pytest.raises(TypeError):
        PayStandIn(Anything(), appid="wx1", mchid="1900000001")


def test_one_pay_stand_in_per_stand_in():
    server = WeChatStandIn(env="test", appid="wx1", secret="s")
    first = PayStandIn.attach(server, appid="wx1", mchid="1900000001")
    assert server.pay is first
    assert PayStandIn.attach(server, appid="wx1", mchid="1900000001") is first
    with pytest.raises(RuntimeError):
        PayStandIn(server, appid="wx1", mchid="1900000001")  # would change the keys under its clients
    with pytest.raises(RuntimeError):
        PayStandIn.attach(server, appid="wx1", mchid="1900000002")


def test_stand_in_keys_look_like_wechat_ones(pay_standin):
    assert pay_standin.public_key_id.startswith("PUB_KEY_ID_0000") and len(pay_standin.public_key_id) == 39
    assert len(pay_standin.apiv3_key) == 32 and pay_standin.apiv3_key.isalnum()
    assert len(pay_standin.merchant_cert_serial) == 40
    key = serialization.load_pem_private_key(pay_standin.merchant_private_key_pem.encode(), password=None)
    assert key.key_size == 2048
