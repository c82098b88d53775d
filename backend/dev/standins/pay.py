"""WeChat Pay API v3, as the local stand-in answers it (dev and test only).

`PayStandIn(standin, appid=..., mchid=..., notify_url=...)` hangs off a started or not-yet-started
`WeChatStandIn` (which refuses to exist in production), registers the v3 routes on it and sets
`standin.pay = self`. It behaves like WeChat where our code can tell the difference:

- Keys are made in memory: the merchant's RSA-2048 key pair and certificate serial (our side signs
  requests with the private key, the stand-in verifies every request's `Authorization:
  WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,signature=..,timestamp=..,serial_no=..` over
  `METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n` and answers 401 SIGN_ERROR otherwise), the platform's
  RSA-2048 key pair with its `PUB_KEY_ID_...` (it signs every response and every notification:
  Wechatpay-Signature/-Timestamp/-Nonce/-Serial/-Signature-Type), and a 32-character APIv3 key
  (AEAD_AES_256_GCM of notification resources).
- Endpoints: POST /v3/pay/transactions/jsapi, GET /v3/pay/transactions/out-trade-no/{no}?mchid=,
  POST /v3/pay/transactions/out-trade-no/{no}/close, POST /v3/refund/domestic/refunds,
  GET /v3/refund/domestic/refunds/{out_refund_no}; errors are `{"code", "message"}` with a 4xx.
- Business time (time_expire, success_time, notification timestamps) is `backend.clock.clock`, so
  tests that move the clock stay consistent; request signatures are checked against real time,
  as the client library stamps them with `time.time()`.

Test controls (Python, not HTTP): `complete_payment`, `notification_for`, `sign_notification`,
`encrypt_notification`, `settle_refunds`, `refund_settle_after_queries`, `fail_next_refund`,
`fail_next`, `delay_next`, `deliver`/`adeliver`, and the inspectable `orders` / `refunds` dictionaries.
"""

from __future__ import annotations

import base64
import collections
import json
import logging
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backend.clock import SHANGHAI, clock
from backend.dev.standins.login import WeChatStandIn
from backend.wechat.pay import MerchantKeys

log = logging.getLogger("ehealth.wechat.standin.pay")

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
REQUEST_SKEW_S = 300  # WeChat refuses a request whose timestamp is more than 5 minutes off

_OUT_TRADE_NO_RE = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
_OUT_REFUND_NO_RE = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")
_AUTH_PARAM_RE = re.compile(r'(\w+)="([^"]*)"')
_ALNUM = string.ascii_letters + string.digits

TRADE_STATE_DESC = {
    "SUCCESS": "支付成功",
    "NOTPAY": "订单未支付",
    "CLOSED": "订单已关闭",
    "REFUND": "转入退款",
    "PAYERROR": "支付失败",
    "USERPAYING": "用户支付中",
}


class StandInError(RuntimeError):
    """A test control was used on an order or refund that cannot take it."""


def _random(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _digits(n: int) -> str:
    return _random(n, string.digits)


def _rfc3339(when: datetime) -> str:
    return when.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _pem_private(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _pem_public(key) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _rsa_sign(private_key, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def _json_bytes(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class _Reply(Exception):
    """Raised inside a handler to answer with a WeChat error."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class StandInOrder:
    out_trade_no: str
    request: dict  # the JSAPI request body as received (identical re-requests get the same prepay_id)
    prepay_id: str
    appid: str
    mchid: str
    description: str
    amount_total: int
    openid: str
    notify_url: str
    attach: str | None
    time_expire: datetime | None
    created_at: datetime
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    payer_total: int | None = None
    success_time: datetime | None = None
    closed_at: datetime | None = None
    notification_id: str | None = None
    notification_resource: dict | None = None  # the transaction as it was when paid
    refunds: list[str] = field(default_factory=list)
    deliveries: list[tuple[str, int]] = field(default_factory=list)  # (url, HTTP status or 0)


@dataclass
class StandInRefund:
    out_refund_no: str
    refund_id: str
    out_trade_no: str
    transaction_id: str
    amount_refund: int
    amount_total: int
    reason: str | None
    request_key: tuple
    created_at: datetime
    status: str = "PROCESSING"
    success_time: datetime | None = None
    queries: int = 0
    ends_abnormal: bool = False


class PayStandIn:
    def __init__(
        self,
        standin,
        *,
        appid: str,
        mchid: str,
        notify_url: str | None = None,
        refund_settle_after_queries: int | None = 1,
    ):
        if not isinstance(standin, WeChatStandIn):
            raise TypeError("PayStandIn hangs off a WeChatStandIn (which refuses to run in production)")
        if getattr(standin, "pay", None) is not None:
            raise RuntimeError("this WeChatStandIn already has a PayStandIn (its keys would change under its clients)")
        self.standin = standin
        self.appid = appid
        self.mchid = mchid
        self.notify_url = notify_url
        # A refund answers PROCESSING to its first N queries and its final state from query N+1
        # (None: only settle_refunds() finishes refunds).
        self.refund_settle_after_queries = refund_settle_after_queries
        self._lock = threading.RLock()

        merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._merchant_public_key = merchant.public_key()
        self.merchant_private_key_pem = _pem_private(merchant)
        self.merchant_public_key_pem = _pem_public(self._merchant_public_key)
        self.merchant_cert_serial = secrets.token_hex(20).upper()

        self._platform_private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.platform_public_key_pem = _pem_public(self._platform_private_key.public_key())
        self.public_key_id = "PUB_KEY_ID_0000" + _digits(24)
        self.apiv3_key = _random(32)

        self.orders: dict[str, StandInOrder] = {}
        self.refunds: dict[str, StandInRefund] = {}
        # (method, target, status) of the latest v3 calls
        self.requests: collections.deque[tuple[str, str, int]] = collections.deque(maxlen=10_000)
        self._fail_next_refund = False
        self._injected: list[tuple[str, int, str, str]] = []  # (path fragment, status, code, message)
        self._delays: list[tuple[str, float]] = []  # (path fragment, seconds): see delay_next

        for method, route, handler in (
            ("POST", "/v3/pay/transactions/jsapi", self._jsapi),
            ("GET", "/v3/pay/transactions/out-trade-no/*", self._query_order),
            ("POST", "/v3/pay/transactions/out-trade-no/*", self._close_order),
            ("POST", "/v3/refund/domestic/refunds", self._refund),
            ("GET", "/v3/refund/domestic/refunds/*", self._query_refund),
        ):
            standin.add_route(method, route, self._endpoint(handler))
        standin.pay = self

    @classmethod
    def attach(cls, standin, *, appid: str, mchid: str, notify_url: str | None = None) -> "PayStandIn":
        """The stand-in's PayStandIn, made on first call: safe to call from every build_deps."""
        with standin._lock:
            pay = getattr(standin, "pay", None)
            if pay is None:
                return cls(standin, appid=appid, mchid=mchid, notify_url=notify_url)
        if (pay.appid, pay.mchid) != (appid, mchid):
            raise RuntimeError("this WeChatStandIn's PayStandIn was made for another appid/mchid")
        return pay

    def merchant(self) -> MerchantKeys:
        """What our WeChat Pay client needs to talk to this stand-in: its generated keys."""
        return MerchantKeys(
            appid=self.appid,
            mchid=self.mchid,
            private_key=self.merchant_private_key_pem,
            cert_serial_no=self.merchant_cert_serial,
            apiv3_key=self.apiv3_key,
            public_key=self.platform_public_key_pem,
            public_key_id=self.public_key_id,
            gateway=self.standin.base_url,
        )

    # --- signing -----------------------------------------------------------------------------
    def sign_response(self, body: bytes) -> dict[str, str]:
        """The headers WeChat puts on an API response (signed with the platform key, real time)."""
        return self._signed_headers(body, timestamp=str(int(time.time())))

    def sign_notification(
        self,
        body: bytes,
        *,
        timestamp: str | None = None,
        nonce: str | None = None,
        serial: str | None = None,
        private_key=None,
    ) -> dict[str, str]:
        """The headers WeChat sends with a notification body; every part can be overridden to
        build broken notifications in tests (another `private_key` gives a wrong signature)."""
        headers = self._signed_headers(
            body,
            timestamp=timestamp or str(int(clock.now().timestamp())),
            nonce=nonce,
            serial=serial,
            private_key=private_key,
        )
        headers["Content-Type"] = "application/json"
        return headers

    def _signed_headers(
        self, body: bytes, *, timestamp: str, nonce=None, serial=None, private_key=None
    ) -> dict[str, str]:
        nonce = nonce or _random(32).upper()
        message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
        return {
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": _rsa_sign(private_key or self._platform_private_key, message),
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Serial": serial or self.public_key_id,
            "Wechatpay-Signature-Type": SIGNATURE_TYPE,
        }

    def encrypt_notification(
        self,
        resource: dict,
        *,
        event_type: str = "TRANSACTION.SUCCESS",
        summary: str = "支付成功",
        notification_id: str | None = None,
        create_time: datetime | None = None,
        apiv3_key: str | None = None,
        original_type: str = "transaction",
    ) -> bytes:
        """A notification body: the resource encrypted with AEAD_AES_256_GCM under the APIv3 key
        (or `apiv3_key`), associated data = original_type, a 12-character nonce."""
        key = (apiv3_key or self.apiv3_key).encode()
        nonce = _random(12)
        ciphertext = AESGCM(key).encrypt(nonce.encode(), _json_bytes(resource), original_type.encode())
        return _json_bytes(
            {
                "id": notification_id or f"EV-{_digits(20)}",
                "create_time": _rfc3339(create_time or clock.now()),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": summary,
                "resource": {
                    "original_type": original_type,
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(ciphertext).decode(),
                    "associated_data": original_type,
                    "nonce": nonce,
                },
            }
        )

    # --- test controls -----------------------------------------------------------------------
    def complete_payment(self, out_trade_no: str, *, at: datetime | None = None) -> tuple[dict, bytes]:
        """The payer pays the full amount at `at` (default: now). Marks the order SUCCESS and
        returns the signed, encrypted TRANSACTION.SUCCESS notification WeChat would POST."""
        at = at or clock.now()
        if at.tzinfo is None:
            raise ValueError("at must be an aware datetime")
        with self._lock:
            order = self.orders.get(out_trade_no)
            if order is None:
                raise StandInError(f"no order {out_trade_no}")
            if order.trade_state != "NOTPAY":
                raise StandInError(f"order {out_trade_no} is {order.trade_state}, it cannot be paid")
            if order.time_expire is not None and at > order.time_expire:
                raise StandInError(f"order {out_trade_no} expired at {_rfc3339(order.time_expire)}, it cannot be paid")
            order.trade_state = "SUCCESS"
            order.transaction_id = "4200" + _digits(24)
            order.payer_total = order.amount_total
            order.success_time = at
            order.notification_id = f"EV-{_digits(20)}"
            order.notification_resource = self._transaction(order)
        return self.notification_for(out_trade_no)

    def notification_for(self, out_trade_no: str, *, apiv3_key: str | None = None) -> tuple[dict, bytes]:
        """The TRANSACTION.SUCCESS notification of a paid order, freshly encrypted and signed as
        WeChat does on each retry (same id and content, new nonce and timestamp)."""
        with self._lock:
            order = self.orders.get(out_trade_no)
            if order is None or order.notification_resource is None:
                raise StandInError(f"order {out_trade_no} has not been paid")
            resource = dict(order.notification_resource)
            notification_id = order.notification_id
            create_time = order.success_time
        body = self.encrypt_notification(
            resource, notification_id=notification_id, create_time=create_time, apiv3_key=apiv3_key
        )
        return self.sign_notification(body), body

    def settle_refunds(self) -> list[str]:
        """Finish every PROCESSING refund now (SUCCESS, or ABNORMAL if so rigged)."""
        settled = []
        with self._lock:
            for refund in self.refunds.values():
                if refund.status == "PROCESSING":
                    self._settle(refund)
                    settled.append(refund.out_refund_no)
        return settled

    def fail_next_refund(self) -> None:
        """The next refund created ends ABNORMAL instead of SUCCESS when it settles."""
        with self._lock:
            self._fail_next_refund = True

    def fail_next(
        self, path_fragment: str, *, status: int = 500, code: str = "SYSTEM_ERROR", message: str = "系统错误"
    ) -> None:
        """The next v3 request whose URL contains `path_fragment` is answered with this error
        (after its signature was checked), e.g. fail_next("/v3/refund/domestic/refunds")."""
        with self._lock:
            self._injected.append((path_fragment, status, code, message))

    def delay_next(self, path_fragment: str, seconds: float) -> None:
        """The next v3 request whose URL contains `path_fragment` is carried out at once (the
        order or refund exists) but answered only `seconds` later: a slow or timed-out WeChat
        whose work was nevertheless done, e.g. delay_next("/v3/pay/transactions/jsapi", 3)."""
        with self._lock:
            self._delays.append((path_fragment, seconds))

    def deliver(self, out_trade_no: str, url: str | None = None, *, timeout: float = 10.0) -> int:
        """POST the order's notification over HTTP (blocking; from a thread or a script, not from
        the event loop serving `url`, use `adeliver` there). Returns the HTTP status."""
        url = self._delivery_url(out_trade_no, url)
        headers, body = self.notification_for(out_trade_no)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError as exc:
            log.warning("notification to %s failed: %s", url, exc)
            status = 0
        self._record_delivery(out_trade_no, url, status)
        return status

    async def adeliver(self, out_trade_no: str, url: str | None = None, *, timeout: float = 10.0) -> int:
        """`deliver` for async callers (httpx)."""
        import httpx

        url = self._delivery_url(out_trade_no, url)
        headers, body = self.notification_for(out_trade_no)
        try:
            async with httpx.AsyncClient(timeout=timeout) as client:
                status = (await client.post(url, content=body, headers=headers)).status_code
        except httpx.HTTPError as exc:
            log.warning("notification to %s failed: %s", url, exc)
            status = 0
        self._record_delivery(out_trade_no, url, status)
        return status

    def _delivery_url(self, out_trade_no: str, url: str | None) -> str:
        with self._lock:
            order = self.orders.get(out_trade_no)
            url = url or (order.notify_url if order else None) or self.notify_url
        if not url:
            raise StandInError("no URL to deliver the notification to")
        return url

    def _record_delivery(self, out_trade_no: str, url: str, status: int) -> None:
        with self._lock:
            order = self.orders.get(out_trade_no)
            if order is not None:
                order.deliveries.append((url, status))

    # --- HTTP plumbing -----------------------------------------------------------------------
    def _endpoint(self, handler):
        def endpoint(*, method, path, query, headers, body, target=None, **_):
            target = target or path
            try:
                self._authenticate(method, target, headers, body)
                self._injected_failure(target)
                data = None
                if method == "POST":
                    try:
                        data = json.loads(body.decode("utf-8")) if body else None
                    except (UnicodeDecodeError, ValueError):
                        raise _Reply(400, "PARAM_ERROR", "请求体不是合法的JSON") from None
                    if not isinstance(data, dict):
                        raise _Reply(400, "PARAM_ERROR", "请求体应为JSON对象")
                status, payload = handler(path=path, query=query, data=data)
            except _Reply as reply:
                status, payload = reply.status, {"code": reply.code, "message": reply.message}
            except Exception:  # a stand-in bug must still answer like a server would
                log.exception("pay stand-in failed on %s %s", method, target)
                status, payload = 500, {"code": "SYSTEM_ERROR", "message": "系统错误"}
            raw = b"" if payload is None else _json_bytes(payload)
            with self._lock:
                self.requests.append((method, target, status))
                delay = next(((i, d) for i, (fragment, d) in enumerate(self._delays) if fragment in target), None)
                if delay is not None:
                    del self._delays[delay[0]]
            if delay is not None:
                time.sleep(delay[1])  # one handler thread per request: others are answered meanwhile
            headers_out = self.sign_response(raw)
            headers_out["Request-ID"] = secrets.token_hex(16)
            return status, headers_out, raw

        return endpoint

    def _authenticate(self, method: str, target: str, headers, body: bytes) -> None:
        authorization = headers.get("Authorization") or ""
        scheme, _, params = authorization.partition(" ")
        if scheme != SIGNATURE_TYPE:
            raise _Reply(401, "SIGN_ERROR", "Authorization 不合法: 缺少或不支持的认证类型")
        fields = dict(_AUTH_PARAM_RE.findall(params))
        for name in ("mchid", "nonce_str", "signature", "timestamp", "serial_no"):
            if not fields.get(name):
                raise _Reply(401, "SIGN_ERROR", f"Authorization 不合法: 缺少 {name}")
        if fields["mchid"] != self.mchid:
            raise _Reply(401, "SIGN_ERROR", "Authorization 中的商户号不存在")
        if fields["serial_no"] != self.merchant_cert_serial:
            raise _Reply(401, "SIGN_ERROR", "商户证书序列号有误")
        if not fields["timestamp"].isdigit() or abs(time.time() - int(fields["timestamp"])) > REQUEST_SKEW_S:
            raise _Reply(401, "SIGN_ERROR", "timestamp 已过期或不合法")
        message = f"{method}\n{target}\n{fields['timestamp']}\n{fields['nonce_str']}\n".encode() + body + b"\n"
        try:
            signature = base64.b64decode(fields["signature"], validate=True)
            self._merchant_public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, InvalidSignature):
            raise _Reply(401, "SIGN_ERROR", "签名错误") from None
        serial = headers.get("Wechatpay-Serial")
        if serial is not None and serial != self.public_key_id:
            raise _Reply(400, "PARAM_ERROR", "Wechatpay-Serial 不是有效的微信支付公钥ID")

    def _injected_failure(self, target: str) -> None:
        with self._lock:
            for i, (fragment, status, code, message) in enumerate(self._injected):
                if fragment in target:
                    del self._injected[i]
                    raise _Reply(status, code, message)

    # --- endpoints ---------------------------------------------------------------------------
    def _jsapi(self, *, data, **_):
        appid, mchid = data.get("appid"), data.get("mchid")
        if not isinstance(appid, str) or not appid or not isinstance(mchid, str) or not mchid:
            raise _Reply(400, "PARAM_ERROR", "缺少参数 appid 或 mchid")
        if mchid != self.mchid:
            raise _Reply(400, "PARAM_ERROR", "mchid 与请求签名的商户号不一致")
        if appid != self.appid:
            raise _Reply(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        description = data.get("description")
        if not isinstance(description, str) or not 1 <= len(description) <= 127:
            raise _Reply(400, "PARAM_ERROR", "description 长度应为1-127个字符")
        out_trade_no = data.get("out_trade_no")
        if not isinstance(out_trade_no, str) or not _OUT_TRADE_NO_RE.match(out_trade_no):
            raise _Reply(400, "PARAM_ERROR", "out_trade_no 应为6-32位数字、大小写字母或_-|*")
        notify_url = data.get("notify_url")
        if not isinstance(notify_url, str) or not re.match(r"^https?://[^\s]+$", notify_url) or len(notify_url) > 255:
            raise _Reply(400, "PARAM_ERROR", "notify_url 不合法")
        amount = data.get("amount")
        total = amount.get("total") if isinstance(amount, dict) else None
        if type(total) is not int or total < 1:
            raise _Reply(400, "PARAM_ERROR", "amount.total 应为大于0的整数(分)")
        if amount.get("currency", "CNY") != "CNY":
            raise _Reply(400, "PARAM_ERROR", "amount.currency 仅支持 CNY")
        payer = data.get("payer")
        openid = payer.get("openid") if isinstance(payer, dict) else None
        if not isinstance(openid, str) or not 1 <= len(openid) <= 128:
            raise _Reply(400, "PARAM_ERROR", "缺少参数 payer.openid")
        attach = data.get("attach")
        if attach is not None and (not isinstance(attach, str) or len(attach) > 128):
            raise _Reply(400, "PARAM_ERROR", "attach 长度不能超过128个字符")
        time_expire = None
        if data.get("time_expire") is not None:
            try:
                time_expire = datetime.fromisoformat(data["time_expire"])
            except (TypeError, ValueError):
                time_expire = None
            if time_expire is None or time_expire.tzinfo is None:
                raise _Reply(400, "PARAM_ERROR", "time_expire 应为 rfc3339 格式, 如 2018-06-08T10:34:56+08:00")
        now = clock.now()
        with self._lock:
            existing = self.orders.get(out_trade_no)
            if existing is not None:
                if existing.trade_state in ("SUCCESS", "REFUND"):
                    raise _Reply(400, "ORDERPAID", "该订单已支付")
                if existing.trade_state == "CLOSED":
                    raise _Reply(400, "ORDER_CLOSED", "该订单已关闭")
                if existing.request != data:
                    raise _Reply(400, "INVALID_REQUEST", "商户订单号重复: 同一订单号的下单参数不一致")
                return 200, {"prepay_id": existing.prepay_id}
            if time_expire is not None and time_expire <= now:
                raise _Reply(400, "INVALID_REQUEST", "time_expire 已过期")
            order = StandInOrder(
                out_trade_no=out_trade_no,
                request=data,
                prepay_id=f"wx{now.astimezone(SHANGHAI):%d%H%M%S}{secrets.token_hex(13)}",
                appid=appid,
                mchid=mchid,
                description=description,
                amount_total=total,
                openid=openid,
                notify_url=notify_url,
                attach=attach,
                time_expire=time_expire,
                created_at=now,
            )
            self.orders[out_trade_no] = order
        return 200, {"prepay_id": order.prepay_id}

    def _order_from_path(self, path: str, suffix: str = "") -> StandInOrder:
        rest = path[len("/v3/pay/transactions/out-trade-no/") :]
        if suffix:
            if not rest.endswith(suffix):
                raise _Reply(404, "NOT_FOUND", "no such API")
            rest = rest[: -len(suffix)]
        if not rest or "/" in rest:
            raise _Reply(404, "NOT_FOUND", "no such API")
        order = self.orders.get(rest)
        if order is None:
            raise _Reply(404, "ORDER_NOT_EXIST", "订单不存在")
        return order

    def _query_order(self, *, path, query, **_):
        if query.get("mchid") != self.mchid:
            raise _Reply(400, "PARAM_ERROR", "mchid 不合法")
        with self._lock:
            return 200, self._transaction(self._order_from_path(path))

    def _close_order(self, *, path, data, **_):
        if data.get("mchid") != self.mchid:
            raise _Reply(400, "PARAM_ERROR", "mchid 不合法")
        with self._lock:
            order = self._order_from_path(path, "/close")
            if order.trade_state in ("SUCCESS", "REFUND"):
                raise _Reply(400, "ORDERPAID", "订单已支付")
            if order.trade_state != "CLOSED":
                order.trade_state = "CLOSED"
                order.closed_at = clock.now()
        return 204, None

    def _transaction(self, order: StandInOrder) -> dict:
        amount = {"total": order.amount_total, "currency": "CNY", "payer_currency": "CNY"}
        result = {
            "appid": order.appid,
            "mchid": order.mchid,
            "out_trade_no": order.out_trade_no,
            "trade_type": "JSAPI",
            "trade_state": order.trade_state,
            "trade_state_desc": TRADE_STATE_DESC.get(order.trade_state, order.trade_state),
            "payer": {"openid": order.openid},
            "amount": amount,
        }
        if order.attach is not None:
            result["attach"] = order.attach
        if order.transaction_id is not None:
            result["transaction_id"] = order.transaction_id
            result["bank_type"] = "OTHERS"
            result["success_time"] = _rfc3339(order.success_time)
            amount["payer_total"] = order.payer_total
        return result

    def _refund(self, *, data, **_):
        out_refund_no = data.get("out_refund_no")
        if not isinstance(out_refund_no, str) or not _OUT_REFUND_NO_RE.match(out_refund_no):
            raise _Reply(400, "PARAM_ERROR", "out_refund_no 应为1-64位数字、大小写字母或_-|*@")
        amount = data.get("amount")
        refund_fen = amount.get("refund") if isinstance(amount, dict) else None
        total_fen = amount.get("total") if isinstance(amount, dict) else None
        if type(refund_fen) is not int or refund_fen < 1 or type(total_fen) is not int or total_fen < 1:
            raise _Reply(400, "PARAM_ERROR", "amount.refund 与 amount.total 应为大于0的整数(分)")
        if amount.get("currency", "CNY") != "CNY":
            raise _Reply(400, "PARAM_ERROR", "amount.currency 仅支持 CNY")
        reason = data.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 80):
            raise _Reply(400, "PARAM_ERROR", "reason 长度不能超过80个字符")
        with self._lock:
            order = None
            if data.get("transaction_id"):
                order = next((o for o in self.orders.values() if o.transaction_id == data["transaction_id"]), None)
            elif data.get("out_trade_no"):
                order = self.orders.get(data["out_trade_no"])
            else:
                raise _Reply(400, "PARAM_ERROR", "缺少参数 out_trade_no 或 transaction_id")
            if order is None:
                raise _Reply(404, "RESOURCE_NOT_EXISTS", "订单不存在")
            key = (order.out_trade_no, refund_fen, total_fen)
            existing = self.refunds.get(out_refund_no)
            if existing is not None:
                if existing.request_key != key:
                    raise _Reply(400, "INVALID_REQUEST", "商户退款单号重复: 同一退款单号的参数不一致")
                return 200, self._refund_view(existing)
            if order.trade_state not in ("SUCCESS", "REFUND"):
                raise _Reply(400, "INVALID_REQUEST", "订单状态不正确: 订单未支付, 不能退款")
            if total_fen != order.amount_total:
                raise _Reply(400, "PARAM_ERROR", "amount.total 与订单金额不一致")
            refunded = sum(
                self.refunds[no].amount_refund for no in order.refunds if self.refunds[no].status != "CLOSED"
            )
            if refunded + refund_fen > order.amount_total:
                raise _Reply(400, "INVALID_REQUEST", "退款金额超过订单可退金额")
            refund = StandInRefund(
                out_refund_no=out_refund_no,
                refund_id="50" + _digits(30),
                out_trade_no=order.out_trade_no,
                transaction_id=order.transaction_id,
                amount_refund=refund_fen,
                amount_total=total_fen,
                reason=reason,
                request_key=key,
                created_at=clock.now(),
                ends_abnormal=self._fail_next_refund,
            )
            self._fail_next_refund = False
            self.refunds[out_refund_no] = refund
            order.refunds.append(out_refund_no)
            order.trade_state = "REFUND"
            return 200, self._refund_view(refund)

    def _query_refund(self, *, path, **_):
        out_refund_no = path[len("/v3/refund/domestic/refunds/") :]
        with self._lock:
            refund = self.refunds.get(out_refund_no)
            if refund is None:
                raise _Reply(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            refund.queries += 1
            after = self.refund_settle_after_queries
            if refund.status == "PROCESSING" and after is not None and refund.queries > after:
                self._settle(refund)
            return 200, self._refund_view(refund)

    def _settle(self, refund: StandInRefund) -> None:
        if refund.ends_abnormal:
            refund.status = "ABNORMAL"
        else:
            refund.status = "SUCCESS"
            refund.success_time = clock.now()

    def _refund_view(self, refund: StandInRefund) -> dict:
        result = {
            "refund_id": refund.refund_id,
            "out_refund_no": refund.out_refund_no,
            "transaction_id": refund.transaction_id,
            "out_trade_no": refund.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": _rfc3339(refund.created_at),
            "status": refund.status,
            "funds_account": "AVAILABLE",
            "amount": {
                "total": refund.amount_total,
                "refund": refund.amount_refund,
                "payer_total": refund.amount_total,
                "payer_refund": refund.amount_refund,
                "settlement_total": refund.amount_total,
                "settlement_refund": refund.amount_refund,
                "discount_refund": 0,
                "currency": "CNY",
                "refund_fee": 0,
            },
            "promotion_detail": [],
        }
        if refund.success_time is not None:
            result["success_time"] = _rfc3339(refund.success_time)
        return result
