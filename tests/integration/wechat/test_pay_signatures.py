"""Both directions are really signed and really checked: the stand-in refuses requests that are
not signed by the merchant key, the client refuses answers not signed by the platform key. Also:
the stand-in's login still works, the session stand-in wires up, notifications are delivered."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from wechatpayv3.async_.utils import build_authorization, load_private_key

from backend.clock import clock
from backend.wechat.pay import PayError, WeChatPay, make_pay
from tests.integration.wechat.conftest import new_out_trade_no, pay_settings


def other_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def client(pay_standin, **overrides) -> WeChatPay:
    kwargs = dict(
        appid=pay_standin.appid,
        mchid=pay_standin.mchid,
        private_key=pay_standin.merchant_private_key_pem,
        cert_serial_no=pay_standin.merchant_cert_serial,
        apiv3_key=pay_standin.apiv3_key,
        public_key=pay_standin.platform_public_key_pem,
        public_key_id=pay_standin.public_key_id,
        notify_url="http://127.0.0.1:8000/api/v1/payments/wechat/notify",
        gateway=pay_standin.standin.base_url,
    )
    kwargs.update(overrides)
    return WeChatPay(**kwargs)


async def test_a_request_signed_with_another_merchant_key_is_refused(pay_standin):
    async with client(pay_standin, private_key=other_pem()) as forged:
        no = new_out_trade_no()
        with pytest.raises(PayError) as info:
            await forged.create_order(
                out_trade_no=no,
                description="挂号费",
                amount_fen=100,
                openid="o-1",
                time_expire=clock.now() + timedelta(minutes=10),
            )
        assert (info.value.code, info.value.status) == ("SIGN_ERROR", 401)
        assert no not in pay_standin.orders
        with pytest.raises(PayError) as info:
            await forged.query_order(out_trade_no=no)
        assert info.value.code == "SIGN_ERROR"


async def test_a_request_with_another_serial_or_merchant_is_refused(pay_standin):
    for overrides in ({"cert_serial_no": "0" * 40}, {"mchid": "1900000999"}):
        async with client(pay_standin, **overrides) as wrong:
            with pytest.raises(PayError) as info:
                await wrong.query_order(out_trade_no="EH000000unknown")
            assert (info.value.code, info.value.status) == ("SIGN_ERROR", 401)


async def test_an_answer_not_signed_by_the_platform_key_is_refused(pay_standin):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        other.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    async with client(pay_standin, public_key=pem) as wrong:
        with pytest.raises(PayError) as info:
            await wrong.create_order(
                out_trade_no=new_out_trade_no(),
                description="挂号费",
                amount_fen=100,
                openid="o-1",
                time_expire=clock.now() + timedelta(minutes=10),
            )
        assert info.value.status is None and "signature" in info.value.message
    # a client that expects another platform key ID sends it as Wechatpay-Serial: refused
    async with client(pay_standin, public_key_id="PUB_KEY_ID_0000999999999999999999999999") as wrong_id:
        with pytest.raises(PayError) as info:
            await wrong_id.create_order(
                out_trade_no=new_out_trade_no(),
                description="挂号费",
                amount_fen=100,
                openid="o-1",
                time_expire=clock.now() + timedelta(minutes=10),
            )
        assert info.value.status == 400


# --- raw HTTP, to see exactly what the stand-in checks -----------------------------------------


def signed(
    pay_standin,
    method: str,
    target: str,
    body: str = "",
    *,
    key_pem=None,
    serial=None,
    mchid=None,
    sign_target=None,
    sign_body=None,
) -> dict:
    key = load_private_key(key_pem or pay_standin.merchant_private_key_pem)
    authorization = build_authorization(
        sign_target or target,
        method,
        mchid or pay_standin.mchid,
        serial or pay_standin.merchant_cert_serial,
        key,
        data=body if sign_body is None else sign_body,
    )
    return {"Authorization": authorization, "Content-Type": "application/json", "Accept": "application/json"}


def call(pay_standin, method: str, target: str, body: str = "", headers: dict | None = None) -> httpx.Response:
    url = pay_standin.standin.base_url.rstrip("/") + target
    return httpx.request(method, url, content=body.encode(), headers=headers or {})


def jsapi_body(pay_standin, **changes) -> str:
    data = {
        "appid": pay_standin.appid,
        "mchid": pay_standin.mchid,
        "description": "挂号费",
        "out_trade_no": new_out_trade_no(),
        "notify_url": "http://127.0.0.1:8000/notify",
        "amount": {"total": 100, "currency": "CNY"},
        "payer": {"openid": "o-1"},
    }
    data.update(changes)
    return json.dumps(data)


def test_an_unsigned_request_is_refused(pay_standin):
    r = call(pay_standin, "POST", "/v3/pay/transactions/jsapi", jsapi_body(pay_standin))
    assert r.status_code == 401 and r.json()["code"] == "SIGN_ERROR" and set(r.json()) == {"code", "message"}
    assert pay_standin.requests[-1] == ("POST", "/v3/pay/transactions/jsapi", 401)
    r = call(
        pay_standin,
        "POST",
        "/v3/pay/transactions/jsapi",
        jsapi_body(pay_standin),
        {"Authorization": "Bearer something"},
    )
    assert r.status_code == 401


def test_a_correctly_signed_raw_request_is_accepted(pay_standin):
    body = jsapi_body(pay_standin)
    r = call(
        pay_standin,
        "POST",
        "/v3/pay/transactions/jsapi",
        body,
        signed(pay_standin, "POST", "/v3/pay/transactions/jsapi", body),
    )
    assert r.status_code == 200 and r.json()["prepay_id"].startswith("wx")
    for name in (
        "Wechatpay-Signature",
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Serial",
        "Wechatpay-Signature-Type",
    ):
        assert r.headers[name]
    assert r.headers["Wechatpay-Serial"] == pay_standin.public_key_id


def test_the_signature_covers_method_url_and_body(pay_standin):
    body = jsapi_body(pay_standin)
    target = "/v3/pay/transactions/jsapi"
    cases = [
        signed(pay_standin, "POST", target, body, sign_body=jsapi_body(pay_standin)),  # another body
        signed(pay_standin, "GET", target, body),  # another method
        signed(pay_standin, "POST", target, body, sign_target="/v3/pay/transactions/h5"),  # another URL
        signed(pay_standin, "POST", target, body, key_pem=other_pem()),  # another key
        signed(pay_standin, "POST", target, body, serial="ABCDEF"),  # another certificate serial
    ]
    for headers in cases:
        r = call(pay_standin, "POST", target, body, headers)
        assert r.status_code == 401 and r.json()["code"] == "SIGN_ERROR", r.text
    # the query string is part of the signed URL too
    q = "/v3/pay/transactions/out-trade-no/EH000000unknown?mchid=" + pay_standin.mchid
    r = call(
        pay_standin,
        "GET",
        q,
        "",
        signed(pay_standin, "GET", q, sign_target="/v3/pay/transactions/out-trade-no/EH000000unknown"),
    )
    assert r.status_code == 401


def test_a_stale_request_timestamp_is_refused(pay_standin, monkeypatch):
    body = jsapi_body(pay_standin)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 600)  # the signer's clock is 10 minutes slow
    headers = signed(pay_standin, "POST", "/v3/pay/transactions/jsapi", body)
    monkeypatch.setattr(time, "time", real)
    r = call(pay_standin, "POST", "/v3/pay/transactions/jsapi", body, headers)
    assert r.status_code == 401 and r.json()["code"] == "SIGN_ERROR"


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"appid": "wxanother"}, "APPID_MCHID_NOT_MATCH"),
        ({"mchid": "1900000999"}, "PARAM_ERROR"),
        ({"amount": {"total": 0}}, "PARAM_ERROR"),
        ({"amount": {"total": "100"}}, "PARAM_ERROR"),
        ({"payer": {}}, "PARAM_ERROR"),
        ({"out_trade_no": "abc"}, "PARAM_ERROR"),
        ({"description": ""}, "PARAM_ERROR"),
        ({"time_expire": "tomorrow"}, "PARAM_ERROR"),
        ({"notify_url": "ftp://x"}, "PARAM_ERROR"),
    ],
)
def test_jsapi_validates_like_wechat(pay_standin, changes, code):
    body = jsapi_body(pay_standin, **changes)
    r = call(
        pay_standin,
        "POST",
        "/v3/pay/transactions/jsapi",
        body,
        signed(pay_standin, "POST", "/v3/pay/transactions/jsapi", body),
    )
    assert r.status_code == 400 and r.json()["code"] == code, r.text


def test_not_json_is_a_param_error(pay_standin):
    body = "{oops"
    r = call(
        pay_standin,
        "POST",
        "/v3/pay/transactions/jsapi",
        body,
        signed(pay_standin, "POST", "/v3/pay/transactions/jsapi", body),
    )
    assert r.status_code == 400 and r.json()["code"] == "PARAM_ERROR"


# --- the rest of the stand-in ------------------------------------------------------------------


def test_login_still_works_on_a_stand_in_with_pay(pay_standin):
    server = pay_standin.standin
    query = f"appid={server.appid}&secret={server.secret}&js_code=alice%231&grant_type=authorization_code"
    url = f"{server.base_url}sns/jscode2session?{query}"
    with urllib.request.urlopen(url) as response:
        assert json.loads(response.read())["openid"] == server.openid_for("alice")


async def test_the_session_stand_in_wires_up_through_make_pay(standin):
    settings = pay_settings()
    first = make_pay(settings, standin)
    second = make_pay(settings, standin)
    assert standin.pay is not None and first.public_key_id == second.public_key_id == standin.pay.public_key_id
    try:
        no = new_out_trade_no()
        await first.create_order(
            out_trade_no=no,
            description="挂号费",
            amount_fen=100,
            openid="o-1",
            time_expire=clock.now() + timedelta(minutes=10),
        )
        assert (await second.query_order(out_trade_no=no)).amount_fen == 100
        headers, body = standin.pay.complete_payment(no)
        assert second.parse_notification(headers, body).out_trade_no == no
    finally:
        await first.aclose()
        await second.aclose()


class _Receiver:
    """A tiny HTTP endpoint that records what it is POSTed."""

    def __init__(self, status: int = 200):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.headers, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/payments/wechat/notify"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


async def test_deliver_posts_the_notification_over_http(pay, pay_standin, order):
    receiver = _Receiver()
    try:
        no, _ = await order()
        pay_standin.complete_payment(no)
        assert pay_standin.deliver(no, receiver.url) == 200
        assert await pay_standin.adeliver(no, receiver.url) == 200
        assert len(receiver.received) == 2
        for headers, body in receiver.received:
            note = pay.parse_notification(headers, body)  # stdlib HTTPMessage headers, as received
            assert note.out_trade_no == no and note.trade_state == "SUCCESS"
        assert pay_standin.orders[no].deliveries == [(receiver.url, 200), (receiver.url, 200)]
    finally:
        receiver.close()


async def test_deliver_reports_a_refusal_or_an_unreachable_endpoint(pay_standin, order):
    receiver = _Receiver(status=401)
    try:
        no, _ = await order()
        pay_standin.complete_payment(no)
        assert pay_standin.deliver(no, receiver.url) == 401
    finally:
        receiver.close()
    assert pay_standin.deliver(no, "http://127.0.0.1:9/notify", timeout=1) == 0
    assert await pay_standin.adeliver(no, "http://127.0.0.1:9/notify", timeout=1) == 0
