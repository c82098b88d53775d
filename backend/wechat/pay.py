"""WeChat Pay API v3 for mini-program (JSAPI) payments, behind a small interface.

Built on wechatpayv3's async client (`wechatpayv3.async_.AsyncWeChatPay`) in platform public-key
mode (public key + `PUB_KEY_ID_...`, no platform certificates to download). The client signs every
request with the merchant's private key and verifies every 2xx response's Wechatpay-Signature
with the platform public key; this module turns its `(status, text)` answers into values and
`PayError`s, and its notification callback into a `PaymentNotification` or `InvalidNotification`.

Money is integer fen, times are aware datetimes. In dev and test the gateway is the local
stand-in (`backend.dev.standins.pay`), reached over real HTTP by pointing the library core's
`_gate_way` at it; production uses https://api.mch.weixin.qq.com with the WECHAT_PAY_* settings.

One `WeChatPay` per worker: its httpx client (a connection pool) opens on first use, or with
`await pay.open()`, and is released by `await pay.aclose()`; it is bound to the event loop that
first used it.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import secrets
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from wechatpayv3.async_ import AsyncWeChatPay
from wechatpayv3.async_.type import WeChatPayType
from wechatpayv3.async_.utils import load_public_key, rsa_verify

from backend.clock import SHANGHAI, clock
from backend.config import ConfigError

log = logging.getLogger("ehealth.wechat.pay")

GATEWAY = "https://api.mch.weixin.qq.com"
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
NOTIFICATION_MAX_SKEW_S = 300  # WeChat's advice: refuse a notification stamped more than 5 min off

_OUT_TRADE_NO_RE = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
_OUT_REFUND_NO_RE = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")
_ALNUM = string.ascii_letters + string.digits

# The notification headers, as wechatpayv3's callback() looks them up in a plain dict.
_HEADER_NAMES = {
    "signature": "Wechatpay-Signature",
    "timestamp": "Wechatpay-Timestamp",
    "nonce": "Wechatpay-Nonce",
    "serial": "Wechatpay-Serial",
    "signature_type": "Wechatpay-Signature-Type",
}


# --- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayParams:
    """What the mini-program passes to wx.requestPayment."""

    time_stamp: str
    nonce_str: str
    package: str  # "prepay_id=..."
    sign_type: str  # "RSA"
    pay_sign: str
    app_id: str

    def as_dict(self) -> dict[str, str]:
        return {
            "appId": self.app_id,
            "timeStamp": self.time_stamp,
            "nonceStr": self.nonce_str,
            "package": self.package,
            "signType": self.sign_type,
            "paySign": self.pay_sign,
        }


@dataclass(frozen=True)
class OrderState:
    out_trade_no: str
    trade_state: str  # SUCCESS, NOTPAY, CLOSED, REFUND, PAYERROR, USERPAYING, REVOKED
    transaction_id: str | None
    amount_fen: int | None  # amount.total: what the order asked for
    payer_total_fen: int | None  # amount.payer_total: what the payer paid (once paid)
    success_time: datetime | None


@dataclass(frozen=True)
class RefundState:
    out_refund_no: str
    refund_id: str | None
    status: str  # PROCESSING, SUCCESS, CLOSED, ABNORMAL
    amount_fen: int | None  # amount.refund
    success_time: datetime | None


@dataclass(frozen=True)
class PaymentNotification:
    """A verified, decrypted notification. For TRANSACTION.* events every field below comes from
    the transaction; other events (e.g. REFUND.*) leave trade_state/attach empty and carry their
    decrypted content in `resource`. Settle only `event_type == "TRANSACTION.SUCCESS"` with
    `trade_state == "SUCCESS"`, and compare `amount_fen` with what the order asked."""

    id: str
    event_type: str
    out_trade_no: str
    transaction_id: str | None
    trade_state: str | None
    amount_fen: int | None  # amount.total
    payer_total_fen: int | None  # amount.payer_total
    success_time: datetime | None
    attach: str | None
    openid: str | None = None  # payer.openid
    resource: dict = field(default_factory=dict, repr=False, compare=False)


class InvalidNotification(Exception):
    """Bad signature, unknown serial, stale timestamp, undecryptable or malformed: answer 401/400
    and let WeChat retry. Never raised for a notification that verified and decrypted."""


class PayError(Exception):
    """WeChat refused the call (`status` 4xx/5xx, WeChat's `code` and `message`) or could not
    be reached or answered something unverifiable (`status` None)."""

    def __init__(self, code: str, message: str, *, status: int | None = None):
        super().__init__(f"{code}: {message}" + (f" (HTTP {status})" if status else ""))
        self.code = code
        self.message = message
        self.status = status

    @property
    def retryable(self) -> bool:
        """Worth trying again later with the same parameters (network, 5xx, rate limit)."""
        return (
            self.status is None
            or self.status >= 500
            or self.status == 429
            or self.code in ("SYSTEM_ERROR", "FREQUENCY_LIMITED", "BANK_ERROR", "SYSTEMERROR")
        )

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def order_paid(self) -> bool:
        return self.code == "ORDERPAID"


# --- the client --------------------------------------------------------------------------------


def _rfc3339(when: datetime) -> str:
    if not isinstance(when, datetime) or when.tzinfo is None:
        raise ValueError("time must be an aware datetime")
    return when.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _parse_time(value) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time without offset: {value!r}")
    return parsed


def _int_or_none(value) -> int | None:
    if value is None:
        return None
    if type(value) is not int:
        raise ValueError(f"not an integer: {value!r}")
    return value


def _pem(value: str) -> str:
    # Environment variables often carry PEM with literal "\n".
    return value.replace("\\n", "\n").strip()


@functools.cache
def _tls_context():
    """One TLS context per process: building one reads the CA bundle (about 30 ms of CPU), and
    the pool is built again after every `aclose`."""
    return httpx.create_ssl_context()


class WeChatPay:
    def __init__(
        self,
        *,
        appid: str,
        mchid: str,
        private_key: str,
        cert_serial_no: str,
        apiv3_key: str,
        public_key: str,
        public_key_id: str,
        notify_url: str,
        gateway: str = GATEWAY,
        timeout: tuple[float, float] = (5.0, 15.0),
        notification_max_skew_s: int | None = NOTIFICATION_MAX_SKEW_S,
    ):
        """private_key: the merchant's API private key (PEM); cert_serial_no: its certificate's
        serial; public_key/public_key_id: WeChat Pay's platform public key (PEM) and its ID."""
        if len(apiv3_key.encode()) != 32:
            raise ValueError("the APIv3 key must be 32 bytes")
        self.appid = appid
        self.mchid = mchid
        self.notify_url = notify_url
        self.public_key_id = public_key_id
        self.notification_max_skew_s = notification_max_skew_s
        # notify_url goes with each order (not to the constructor) so that refunds carry none:
        # refunds are polled, and WeChat would otherwise post REFUND.* events to the payment URL.
        self._wx = AsyncWeChatPay(
            wechatpay_type=WeChatPayType.MINIPROG,
            mchid=mchid,
            private_key=_pem(private_key),
            cert_serial_no=cert_serial_no,
            appid=appid,
            apiv3_key=apiv3_key,
            notify_url=None,
            public_key=_pem(public_key),
            public_key_id=public_key_id,
            timeout=timeout,
            logger=None,
        )
        self._wx._core._gate_way = gateway.rstrip("/")
        self._public_key = load_public_key(_pem(public_key))
        self._timeout = httpx.Timeout(timeout[1], connect=timeout[0])

    @property
    def gateway(self) -> str:
        return self._wx._core._gate_way

    # --- lifetime ----------------------------------------------------------------------------
    async def open(self) -> "WeChatPay":
        """Open the connection pool (done on first use anyway)."""
        if self._wx._core._client is None:
            # In public-key mode AsyncCore.__aenter__ only builds this client; it is built here
            # instead, with the process's one TLS context (no await: concurrent first calls
            # cannot both get here).
            self._wx._core._client = httpx.AsyncClient(verify=_tls_context(), timeout=self._timeout)
        return self

    async def aclose(self) -> None:
        if self._wx._core._client is not None:
            client, self._wx._core._client = self._wx._core._client, None
            await client.aclose()

    async def __aenter__(self) -> "WeChatPay":
        return await self.open()

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def _call(self, what: str, call) -> dict | None:
        await self.open()
        try:
            status, text = await call()
        except httpx.HTTPError as exc:
            log.warning("WeChat Pay %s: %s", what, type(exc).__name__)
            raise PayError("NETWORK_ERROR", f"{what}: {type(exc).__name__}: {exc}") from None
        except Exception as exc:  # the library: unverifiable response signature, bad arguments
            log.warning("WeChat Pay %s: %s", what, exc)
            raise PayError("CLIENT_ERROR", f"{what}: {exc}") from None
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        try:
            payload = json.loads(text) if text else None
        except ValueError:
            payload = None
        if 200 <= status < 300:
            if text and not isinstance(payload, dict):
                raise PayError("BAD_RESPONSE", f"{what}: the answer is not a JSON object")
            return payload
        if isinstance(payload, dict) and payload.get("code"):
            raise PayError(str(payload["code"]), str(payload.get("message", "")), status=status)
        raise PayError(f"HTTP_{status}", f"{what}: {text[:200] if text else 'no body'}", status=status)

    # --- orders ------------------------------------------------------------------------------
    async def create_order(
        self,
        *,
        out_trade_no: str,
        description: str,
        amount_fen: int,
        openid: str,
        time_expire: datetime,
        attach: str | None = None,
    ) -> PayParams:
        """A JSAPI (mini-program) order; returns the signed wx.requestPayment parameters.
        Calling again with identical arguments gets the same prepay_id (safe to retry);
        the same out_trade_no with different arguments is refused (INVALID_REQUEST)."""
        _check_out_trade_no(out_trade_no)
        if type(amount_fen) is not int or amount_fen < 1:
            raise ValueError("amount_fen must be a positive integer")
        if not description or len(description) > 127:
            raise ValueError("description must be 1-127 characters")
        if not openid:
            raise ValueError("openid is required")
        if attach is not None and len(attach) > 128:
            raise ValueError("attach is at most 128 characters")
        expire = _rfc3339(time_expire)
        payload = await self._call(
            f"create_order {out_trade_no}",
            lambda: self._wx.pay(
                description=description,
                out_trade_no=out_trade_no,
                amount={"total": amount_fen, "currency": "CNY"},
                payer={"openid": openid},
                time_expire=expire,
                attach=attach,
                notify_url=self.notify_url,
            ),
        )
        prepay_id = (payload or {}).get("prepay_id")
        if not isinstance(prepay_id, str) or not prepay_id:
            raise PayError("BAD_RESPONSE", "create_order: no prepay_id in the answer")
        return self.pay_params(prepay_id)

    def pay_params(self, prepay_id: str) -> PayParams:
        """Sign wx.requestPayment parameters for a prepay_id: RSA-SHA256 with the merchant key
        over appId\\ntimeStamp\\nnonceStr\\npackage\\n."""
        time_stamp = str(int(time.time()))
        nonce_str = "".join(secrets.choice(_ALNUM) for _ in range(32))
        package = f"prepay_id={prepay_id}"
        pay_sign = self._wx.sign([self.appid, time_stamp, nonce_str, package])
        return PayParams(
            time_stamp=time_stamp,
            nonce_str=nonce_str,
            package=package,
            sign_type="RSA",
            pay_sign=pay_sign,
            app_id=self.appid,
        )

    async def query_order(self, *, out_trade_no: str) -> OrderState:
        _check_out_trade_no(out_trade_no)
        payload = await self._call(f"query_order {out_trade_no}", lambda: self._wx.query(out_trade_no=out_trade_no))
        try:
            state = _order_state(payload or {})
        except (ValueError, TypeError, AttributeError) as exc:
            raise PayError("BAD_RESPONSE", f"query_order {out_trade_no}: {exc}") from None
        if state.out_trade_no != out_trade_no:
            raise PayError("BAD_RESPONSE", f"query_order {out_trade_no}: answered for {state.out_trade_no}")
        return state

    async def close_order(self, *, out_trade_no: str) -> None:
        """Close an unpaid order so that it can no longer be paid. Closing a closed order is
        fine; closing a paid one raises PayError with code ORDERPAID (`.order_paid`)."""
        _check_out_trade_no(out_trade_no)
        try:
            await self._call(f"close_order {out_trade_no}", lambda: self._wx.close(out_trade_no=out_trade_no))
        except PayError as exc:
            if exc.code in ("ORDER_CLOSED", "ORDERCLOSED"):
                return
            raise

    # --- refunds -----------------------------------------------------------------------------
    async def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        amount_fen: int,
        total_fen: int,
        reason: str | None = None,
    ) -> RefundState:
        """Ask for a refund to the original payment. Usually PROCESSING at first: poll
        query_refund until SUCCESS/CLOSED/ABNORMAL. The same out_refund_no with the same
        amounts returns that refund again (safe to retry)."""
        _check_out_trade_no(out_trade_no)
        if not _OUT_REFUND_NO_RE.match(out_refund_no or ""):
            raise ValueError("out_refund_no must be 1-64 characters of [0-9A-Za-z_-|*@]")
        for name, value in (("amount_fen", amount_fen), ("total_fen", total_fen)):
            if type(value) is not int or value < 1:
                raise ValueError(f"{name} must be a positive integer")
        if amount_fen > total_fen:
            raise ValueError("amount_fen exceeds total_fen")
        if reason is not None and len(reason) > 80:
            raise ValueError("reason is at most 80 characters")
        payload = await self._call(
            f"refund {out_refund_no}",
            lambda: self._wx.refund(
                out_refund_no=out_refund_no,
                amount={"refund": amount_fen, "total": total_fen, "currency": "CNY"},
                out_trade_no=out_trade_no,
                reason=reason,
            ),
        )
        return self._refund_state(payload, out_refund_no, "refund")

    async def query_refund(self, *, out_refund_no: str) -> RefundState:
        if not _OUT_REFUND_NO_RE.match(out_refund_no or ""):
            raise ValueError("out_refund_no must be 1-64 characters of [0-9A-Za-z_-|*@]")
        payload = await self._call(
            f"query_refund {out_refund_no}", lambda: self._wx.query_refund(out_refund_no=out_refund_no)
        )
        return self._refund_state(payload, out_refund_no, "query_refund")

    @staticmethod
    def _refund_state(payload, out_refund_no: str, what: str) -> RefundState:
        try:
            payload = payload or {}
            amount = payload.get("amount") or {}
            state = RefundState(
                out_refund_no=payload["out_refund_no"],
                refund_id=payload.get("refund_id"),
                status=payload["status"],
                amount_fen=_int_or_none(amount.get("refund")),
                success_time=_parse_time(payload.get("success_time")),
            )
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise PayError("BAD_RESPONSE", f"{what} {out_refund_no}: {exc!r}") from None
        if state.out_refund_no != out_refund_no:
            raise PayError("BAD_RESPONSE", f"{what} {out_refund_no}: answered for {state.out_refund_no}")
        return state

    # --- notifications -----------------------------------------------------------------------
    def parse_notification(self, headers: Mapping[str, str], body: bytes | str) -> PaymentNotification:
        """Verify (Wechatpay-Signature over timestamp\\nnonce\\nbody\\n with the platform public
        key, Wechatpay-Serial == our public key ID, timestamp within notification_max_skew_s of
        `clock`) and decrypt (AEAD_AES_256_GCM with the APIv3 key) a notification. Accepts any
        mapping of headers: a dict in any letter case, Sanic's or httpx's case-insensitive ones.
        Raises InvalidNotification, and nothing else, for anything that does not verify."""
        try:
            return self._parse_notification(headers, body)
        except InvalidNotification:
            raise
        except Exception as exc:  # whatever the library or the content throws: not trusted
            raise InvalidNotification(f"unreadable notification: {type(exc).__name__}") from None

    def _parse_notification(self, headers, body) -> PaymentNotification:
        found = _notification_headers(headers)
        for key in ("signature", "timestamp", "nonce", "serial"):
            if not found.get(key):
                raise InvalidNotification(f"missing header {_HEADER_NAMES[key]}")
        signature_type = found.get("signature_type") or SIGNATURE_TYPE
        if signature_type != SIGNATURE_TYPE:
            raise InvalidNotification(f"unsupported signature type {signature_type[:40]!r}")
        if found["serial"] != self.public_key_id:
            raise InvalidNotification(f"unknown Wechatpay-Serial {found['serial'][:64]!r}")
        if not found["timestamp"].isdigit():
            raise InvalidNotification("Wechatpay-Timestamp is not a number")
        if self.notification_max_skew_s is not None:
            skew = abs(clock.now().timestamp() - int(found["timestamp"]))
            if skew > self.notification_max_skew_s:
                raise InvalidNotification(f"Wechatpay-Timestamp is {int(skew)} s off")
        if isinstance(body, (bytes, bytearray, memoryview)):
            try:
                text = bytes(body).decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidNotification("body is not UTF-8") from None
        elif isinstance(body, str):
            text = body
        else:
            raise InvalidNotification("body must be bytes or str")
        canonical = {_HEADER_NAMES[key]: value for key, value in found.items()}
        canonical[_HEADER_NAMES["signature_type"]] = signature_type
        data = self._wx.callback(canonical, text)  # verifies the signature, then decrypts
        if not data:
            if not rsa_verify(found["timestamp"], found["nonce"], text, found["signature"], self._public_key):
                raise InvalidNotification("bad signature")
            raise InvalidNotification("resource does not decrypt with our APIv3 key (or is not encrypt-resource)")
        return self._notification(data)

    def _notification(self, data: dict) -> PaymentNotification:
        resource = data.get("resource")
        event_type = data.get("event_type")
        notification_id = data.get("id")
        if not isinstance(resource, dict) or not isinstance(event_type, str) or not isinstance(notification_id, str):
            raise InvalidNotification("malformed notification: id, event_type or resource missing")
        try:
            out_trade_no = resource["out_trade_no"]
            if not isinstance(out_trade_no, str) or not out_trade_no:
                raise ValueError("out_trade_no")
            amount = resource.get("amount") or {}
            payer = resource.get("payer") or {}
            note = PaymentNotification(
                id=notification_id,
                event_type=event_type,
                out_trade_no=out_trade_no,
                transaction_id=resource.get("transaction_id"),
                trade_state=resource.get("trade_state"),
                amount_fen=_int_or_none(amount.get("total")),
                payer_total_fen=_int_or_none(amount.get("payer_total")),
                success_time=_parse_time(resource.get("success_time")),
                attach=resource.get("attach"),
                openid=payer.get("openid"),
                resource=resource,
            )
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise InvalidNotification(f"malformed resource: {type(exc).__name__} {exc}") from None
        if event_type.startswith("TRANSACTION."):
            if resource.get("mchid") != self.mchid or resource.get("appid") != self.appid:
                raise InvalidNotification("notification for another merchant or app")
            if not isinstance(note.trade_state, str) or note.amount_fen is None:
                raise InvalidNotification("malformed transaction: trade_state or amount.total missing")
            if note.trade_state == "SUCCESS" and (not note.transaction_id or note.success_time is None):
                raise InvalidNotification("malformed transaction: SUCCESS without transaction_id or success_time")
        return note


def _check_out_trade_no(out_trade_no: str) -> None:
    if not isinstance(out_trade_no, str) or not _OUT_TRADE_NO_RE.match(out_trade_no):
        raise ValueError("out_trade_no must be 6-32 characters of [0-9A-Za-z_-|*]")


def _order_state(payload: dict) -> OrderState:
    amount = payload.get("amount") or {}
    if not isinstance(payload.get("out_trade_no"), str) or not isinstance(payload.get("trade_state"), str):
        raise ValueError("out_trade_no or trade_state missing")
    return OrderState(
        out_trade_no=payload["out_trade_no"],
        trade_state=payload["trade_state"],
        transaction_id=payload.get("transaction_id") or None,
        amount_fen=_int_or_none(amount.get("total")),
        payer_total_fen=_int_or_none(amount.get("payer_total")),
        success_time=_parse_time(payload.get("success_time")),
    )


def _notification_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Pick the five Wechatpay-* headers out of any mapping, whatever its letter case."""
    wanted = {name.lower(): key for key, name in _HEADER_NAMES.items()}
    found: dict[str, str] = {}
    if headers is None:
        return found
    for name, value in headers.items():
        key = wanted.get(str(name).lower())
        if key is not None and isinstance(value, str):
            found[key] = value.strip()
    return found


# --- construction ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MerchantKeys:
    """One merchant's WeChat Pay v3 credentials and the gateway they are used at."""

    appid: str
    mchid: str
    private_key: str  # the merchant's API private key (PEM)
    cert_serial_no: str
    apiv3_key: str
    public_key: str  # WeChat Pay's platform public key (PEM)
    public_key_id: str
    gateway: str = GATEWAY


def make_pay(settings, standin=None) -> WeChatPay:
    """The WeChat Pay client for these settings.

    - WECHAT_PAY_GATEWAY set (production: https://api.mch.weixin.qq.com by default): the real
      gateway with WECHAT_PAY_PRIVATE_KEY, _CERT_SERIAL, _APIV3_KEY, _PUBLIC_KEY, _PUBLIC_KEY_ID;
      a missing or unloadable one is a ConfigError.
    - otherwise (dev/test): the merchant of the stand-in (backend.dev.standins, duck-typed here
      so production code never imports it), with the keys it generated, at its base URL.
    """
    if settings.wechat_pay.gateway:
        merchant = _configured_merchant(settings)
    elif settings.is_prod:
        raise ConfigError("WECHAT_PAY_GATEWAY is required in production")
    elif standin is None:
        raise ConfigError("WeChat Pay needs WECHAT_PAY_GATEWAY and its keys, or the dev/test stand-in")
    else:
        try:
            merchant = standin.pay_merchant(
                appid=settings.wechat.appid, mchid=settings.wechat_pay.mchid, notify_url=settings.wechat_pay.notify_url
            )
        except RuntimeError as exc:
            raise ConfigError(str(exc)) from None
    try:
        return WeChatPay(
            appid=merchant.appid,
            mchid=merchant.mchid,
            private_key=merchant.private_key,
            cert_serial_no=merchant.cert_serial_no,
            apiv3_key=merchant.apiv3_key,
            public_key=merchant.public_key,
            public_key_id=merchant.public_key_id,
            notify_url=settings.wechat_pay.notify_url,
            gateway=merchant.gateway,
        )
    except Exception as exc:
        raise ConfigError(f"WeChat Pay keys do not load: {exc}") from None


def _configured_merchant(settings) -> MerchantKeys:
    required = {
        "WECHAT_MCHID": settings.wechat_pay.mchid,
        "WECHAT_APPID": settings.wechat.appid,
        "WECHAT_PAY_PRIVATE_KEY": settings.wechat_pay.private_key,
        "WECHAT_PAY_CERT_SERIAL": settings.wechat_pay.cert_serial,
        "WECHAT_PAY_APIV3_KEY": settings.wechat_pay.apiv3_key,
        "WECHAT_PAY_PUBLIC_KEY": settings.wechat_pay.public_key,
        "WECHAT_PAY_PUBLIC_KEY_ID": settings.wechat_pay.public_key_id,
        "WECHAT_PAY_NOTIFY_URL": settings.wechat_pay.notify_url,
    }
    missing = [name for name, value in required.items() if not value]
    if missing:
        raise ConfigError("WeChat Pay is not configured: " + ", ".join(missing) + " required")
    if len(settings.wechat_pay.apiv3_key.encode()) != 32:
        raise ConfigError("WECHAT_PAY_APIV3_KEY must be the 32-character APIv3 key")
    if settings.is_prod and not settings.wechat_pay.notify_url.startswith("https://"):
        raise ConfigError("WECHAT_PAY_NOTIFY_URL must be https in production")
    return MerchantKeys(
        appid=settings.wechat.appid,
        mchid=settings.wechat_pay.mchid,
        private_key=settings.wechat_pay.private_key,
        cert_serial_no=settings.wechat_pay.cert_serial,
        apiv3_key=settings.wechat_pay.apiv3_key,
        public_key=settings.wechat_pay.public_key,
        public_key_id=settings.wechat_pay.public_key_id,
        gateway=settings.wechat_pay.gateway,
    )
