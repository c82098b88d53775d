"""What production refuses to start with: the parts that exist only so that development runs on
one machine (console SMS, the WeChat stand-in's credentials, development keys, SQLite, the
in-process store, the development operator token), and one key given to two purposes.

`refusals` reads the environment as given (before defaults fill it in) and returns one line per
problem, each naming the variable to set, so an operator fixes them all in one go.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping

# The values the development defaults and the WeChat stand-in use (see backend.config).
STANDIN_WECHAT_APPID = "wxdevappid00000001"
STANDIN_WECHAT_SECRET = "dev-secret"
STANDIN_WECHAT_MCHID = "1900000001"
SMS_PROVIDERS = ("tencent",)
TENCENT_SMS_REQUIRED = (
    "TENCENT_SMS_SECRET_ID",
    "TENCENT_SMS_SECRET_KEY",
    "TENCENT_SMS_SDK_APP_ID",
    "TENCENT_SMS_SIGN_NAME",
    "TENCENT_SMS_TEMPLATE_ID",
)
WECHAT_PAY_REQUIRED = (
    "WECHAT_MCHID",
    "WECHAT_PAY_PRIVATE_KEY",
    "WECHAT_PAY_CERT_SERIAL",
    "WECHAT_PAY_APIV3_KEY",
    "WECHAT_PAY_PUBLIC_KEY",
    "WECHAT_PAY_PUBLIC_KEY_ID",
    "WECHAT_PAY_NOTIFY_URL",
)
# Subscribe-message kinds that have a WeChat template; each needs WECHAT_TEMPLATE_<KIND> in
# production (the template id registered in the WeChat console), see backend.config.MessageSettings.
MESSAGE_TEMPLATE_KINDS = (
    "booking_confirmed",
    "visit_reminder",
    "queue_reminder",
    "queue_called",
    "schedule_suspended",
    "refund_done",
    "card_linked",
    "deposit_credited",
    "balance_low",
    "charge_waiting",
    "charge_paid",
    "report_ready",
)


def template_variable(kind: str) -> str:
    return f"WECHAT_TEMPLATE_{kind.upper()}"


# variable -> label of its development key
DEV_KEYS = {"CRYPTO_KEYS": "crypto", "QR_KEYS": "qr", "INDEX_KEY": "index", "TERMINAL_MASTER_KEY": "terminal"}


def dev_key(label: str, size: int = 32) -> bytes:
    # the derivation of backend.config._dev_key (a unit test holds the two together)
    return hashlib.sha256(f"ehealth-dev-only:{label}".encode()).digest()[:size]


def _keys_in(name: str, raw: str) -> list[bytes]:
    """The keys a single key or a keyring (`1:<b64>,2:<b64>@retired`) holds; unreadable parts are
    left to the settings loader, which names them."""
    parts = [raw] if ":" not in raw else [p.partition("@")[0].partition(":")[2] for p in raw.split(",") if p.strip()]
    keys = []
    for part in parts:
        try:
            keys.append(base64.b64decode(part.strip(), validate=True))
        except (binascii.Error, ValueError):
            continue
    return keys


def _labelled_keys(name: str, raw: str) -> list[tuple[str, bytes]]:
    """(where, key) for each key a variable holds: `INDEX_KEY`, or `CRYPTO_KEYS version 2`."""
    if ":" not in raw:
        return [(name, key) for key in _keys_in(name, raw)]
    out = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        version = part.partition(":")[0].strip()
        out.extend((f"{name} version {version}", key) for key in _keys_in(name, part))
    return out


def reused_keys(env: Mapping[str, str]) -> list[str]:
    """One line per key that two of the key variables share. Each key has one purpose: the
    identity data encryption key must not also make the search index, sign QR codes or derive
    the terminals' secrets (one leak would open them all, and a rotation of one would not
    retire the other)."""
    seen: dict[bytes, str] = {}
    out = []
    for name in DEV_KEYS:
        for where, key in _labelled_keys(name, (env.get(name) or "").strip()):
            first = seen.get(key)
            if first is None:
                seen[key] = where
            elif first.split(" ", 1)[0] != name:
                out.append(f"{where} is the same key as {first}: give each of {', '.join(DEV_KEYS)} its own key")
    return out


def refusals(env: Mapping[str, str]) -> list[str]:
    """One line per reason `APP_ENV=prod` must not start with this environment."""
    out: list[str] = []

    def get(name: str) -> str:
        return (env.get(name) or "").strip()

    database_url = get("DATABASE_URL")
    if not database_url:
        out.append(
            "DATABASE_URL is not set: production needs PostgreSQL (postgres://...), not the embedded SQLite file"
        )
    elif database_url.startswith("sqlite"):
        out.append(
            "DATABASE_URL points at SQLite: production needs PostgreSQL (postgres://...) shared by every worker "
            "and host"
        )
    if not get("REDIS_URL"):
        out.append("REDIS_URL is not set: the in-process store serves one worker only; production needs a shared Redis")

    for name, label in DEV_KEYS.items():
        raw = get(name)
        if not raw:
            out.append(f"{name} is not set: production needs its own key, not the development one")
        elif dev_key(label) in _keys_in(name, raw):
            out.append(f"{name} holds the published development key: generate a new one")
    out.extend(reused_keys(env))

    if get("OPERATOR_PASSWORD_PROFILE") == "cheapest":
        out.append("OPERATOR_PASSWORD_PROFILE is 'cheapest', for tests only: unset it (argon2id as RFC 9106 advises)")

    provider = get("SMS_PROVIDER") or "console"
    if provider == "console":
        out.append(
            "SMS_PROVIDER is 'console' (codes only go to the log): set SMS_PROVIDER=tencent and its "
            "TENCENT_SMS_* variables"
        )
    elif provider not in SMS_PROVIDERS:
        out.append(f"SMS_PROVIDER {provider!r} is unknown: use one of {', '.join(SMS_PROVIDERS)}")
    else:
        for name in TENCENT_SMS_REQUIRED:
            if not get(name):
                out.append(f"{name} is not set: SMS_PROVIDER=tencent needs it")

    appid, secret = get("WECHAT_APPID"), get("WECHAT_SECRET")
    if not appid or appid == STANDIN_WECHAT_APPID:
        out.append("WECHAT_APPID is missing or the stand-in's: set the mini-program's real app id")
    if not secret or secret == STANDIN_WECHAT_SECRET:
        out.append("WECHAT_SECRET is missing or the stand-in's: set the mini-program's real app secret")

    for kind in MESSAGE_TEMPLATE_KINDS:
        if not get(template_variable(kind)):
            out.append(
                f"{template_variable(kind)} is not set: register the {kind} subscribe-message template in the "
                "WeChat console and set its id (docs/operations.md)"
            )

    if get("WECHAT_PAY_DISABLED") != "1":
        for name in WECHAT_PAY_REQUIRED:
            if not get(name):
                out.append(f"{name} is not set: WeChat Pay needs it (or WECHAT_PAY_DISABLED=1 to run without payments)")
        if get("WECHAT_MCHID") == STANDIN_WECHAT_MCHID:
            out.append("WECHAT_MCHID is the stand-in's merchant id: set the real one")
    return out
