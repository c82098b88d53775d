"""What the use cases need, built once per worker and handed to services as `deps`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from backend.config import Settings
from backend.payments.purposes import Purposes
from backend.privacy.crypto import PiiCipher, from_settings
from backend.redis import KeySpace, Scripts
from backend.sms.providers import SmsSender, make_sender
from backend.wechat.login import WeChatLogin
from backend.wechat.pay import make_pay
from backend.wiring import wire

BACKEND = Path(__file__).resolve().parent


@dataclass
class Deps:
    settings: Settings
    redis: object
    keys: KeySpace
    scripts: Scripts
    pii: PiiCipher
    wechat: WeChatLogin
    sms: SmsSender
    standin: object | None = None
    pay: object | None = None  # the WeChat Pay v3 gateway (backend.wechat.pay)
    extras: dict = field(default_factory=dict)
    # arch: payment purposes and the stock port, filled by backend.wiring.wire
    purposes: Purposes = field(default_factory=Purposes)
    stock: object | None = None
    # what other domains do when a family link ends: async (deps, *, account_id, card_pk)
    link_ended: list = field(default_factory=list)
    # what other domains do when a refund succeeds, in its transaction: async (deps, conn, *, payment, refund)
    refund_succeeded: list = field(default_factory=list)
    # asked before each hold: async (deps, *, token_hash, schedule_id, now_ms), raises to refuse
    # (the release waiting room's gate); None: every hold goes straight to the store
    hold_gate: object | None = None


def register_lua(scripts: Scripts) -> None:
    """Every `backend/<domain>/lua/<name>.lua` becomes the script `<domain>.<name>`."""
    for path in sorted(BACKEND.glob("*/lua/*.lua")):
        scripts.add(f"{path.parent.parent.name}.{path.stem}", path)


def build_deps(settings: Settings, redis_client, *, standin=None, pay=None) -> Deps:
    """`pay`: a WeChat Pay client already made for these settings (the test suite makes one per
    process: parsing the merchant's RSA key costs tens of milliseconds a time)."""
    scripts = Scripts(redis_client)
    register_lua(scripts)
    api_base = settings.wechat.api_base or (standin.base_url if standin else "")
    access_token = settings.wechat.access_token or (standin.access_token if standin else "")
    deps = Deps(
        settings=settings,
        redis=redis_client,
        keys=KeySpace(settings.redis.prefix),
        scripts=scripts,
        pii=from_settings(settings),
        wechat=WeChatLogin(
            appid=settings.wechat.appid, secret=settings.wechat.secret, api_base=api_base, access_token=access_token
        ),
        sms=make_sender(settings.sms.provider, settings),
        standin=standin,
        pay=(pay or make_pay(settings, standin)) if settings.payments.enabled else None,
    )
    wire(deps)
    return deps
