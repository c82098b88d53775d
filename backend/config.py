"""Settings, read once from environment variables.

Production refuses to start with development secrets; dev and test get fixed, clearly-labelled
development keys so that the embedded default runs with zero setup.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

ENVIRONMENTS = ("dev", "test", "prod")
ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    pass


def _dev_key(label: str, size: int = 32) -> bytes:
    # Deterministic so that a dev database stays readable across restarts; never valid in prod.
    return hashlib.sha256(f"ehealth-dev-only:{label}".encode()).digest()[:size]


def _parse_keyring(raw: str, *, name: str) -> dict[int, bytes]:
    """`"2:<base64>,1:<base64>"` -> {2: key, 1: key}."""
    keys: dict[int, bytes] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        version, _, b64 = part.partition(":")
        try:
            keys[int(version)] = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise ConfigError(f"{name}: entry {version!r} is not <int>:<base64>") from exc
    if not keys:
        raise ConfigError(f"{name} is empty")
    return keys


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    env: str = "dev"
    port: int = 8000
    database_url: str = ""
    redis_url: str = ""  # empty: the embedded in-process store
    redis_prefix: str = "eh:"
    redis_pool_size: int = 64
    log_level: str = "INFO"

    # identity data encryption
    crypto_suite: str = "aes"  # aes (AES-256-GCM + HMAC-SHA256) | sm (SM4-GCM + HMAC-SM3)
    crypto_keys: dict[int, bytes] = field(default_factory=dict)
    crypto_active_version: int = 1
    index_key: bytes = b""

    # session tokens
    token_ttl_s: int = 7 * 24 * 3600

    # SMS
    sms_provider: str = "console"
    sms_code_ttl_s: int = 300
    sms_max_attempts: int = 5
    sms_resend_interval_s: int = 60
    sms_daily_limit_per_phone: int = 10
    sms_hourly_limit_per_ip: int = 30

    # family
    family_max_members: int = 10
    family_removal_lock_days: int = 45

    # QR codes
    qr_keys: dict[int, bytes] = field(default_factory=dict)
    qr_active_version: int = 1
    qr_retired_grace_s: int = 24 * 3600
    qr_retired_at: dict[int, datetime] = field(default_factory=dict)

    # terminals
    terminal_master_key: bytes = b""
    terminal_clock_skew_s: int = 300

    # operators and hospital systems
    admin_token: str = ""

    # booking
    hold_ttl_s: int = 600
    booking_max_per_day: int = 3
    booking_max_per_department_day: int = 1
    booking_ban_days: int = 30
    booking_no_show_limit: int = 3
    booking_cancel_limit: int = 3
    cancel_days_before: int = 1
    hold_rate_per_account: int = 20
    hold_rate_per_ip: int = 600
    hold_rate_window_s: int = 60

    # WeChat
    wechat_appid: str = "wxdevappid00000001"
    wechat_secret: str = "dev-secret"
    wechat_api_base: str = ""  # empty: the in-process stand-in (dev/test only)
    wechat_access_token: str = ""
    wechat_mchid: str = "1900000001"
    wechat_pay_gateway: str = ""  # empty: the stand-in
    wechat_pay_private_key: str = ""
    wechat_pay_cert_serial: str = ""
    wechat_pay_apiv3_key: str = ""
    wechat_pay_public_key: str = ""
    wechat_pay_public_key_id: str = ""
    wechat_pay_notify_url: str = "http://127.0.0.1:8000/api/v1/payments/wechat/notify"
    payments_enabled: bool = True

    demo_data: bool = True

    # how far ahead a schedule import may reach (days)
    schedule_horizon_days: int = 90
    # SMS gateway (Tencent Cloud SMS), logs, metrics, caches
    tencent_sms_secret_id: str = ""
    tencent_sms_secret_key: str = ""
    tencent_sms_sdk_app_id: str = ""
    tencent_sms_sign_name: str = ""
    tencent_sms_template_id: str = ""
    tencent_sms_region: str = "ap-guangzhou"
    tencent_sms_endpoint: str = ""  # empty: the SDK's default (sms.tencentcloudapi.com)
    log_format: str = "text"  # text | json (prod default)
    metrics_token: str = ""
    metrics_networks: tuple = ("127.0.0.1/32", "::1/128")
    terminal_cache_ttl_s: int = 30
    # deposits branch: the largest online deposit top-up (fen)
    deposit_max_fen: int = 5_000_000

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @property
    def dev_helpers(self) -> bool:
        return self.env in ("dev", "test")

    def with_overrides(self, **kwargs) -> "Settings":
        return replace(self, **kwargs)


def load_settings(environ: dict | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    app_env = env.get("APP_ENV", "dev")
    if app_env not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {ENVIRONMENTS}, got {app_env!r}")
    prod = app_env == "prod"
    if prod:  # every dev-only part refused at once, each line naming its variable
        from backend.prod_checks import refusals

        if problems := refusals(env):
            raise ConfigError("production refuses to start:\n  " + "\n  ".join(problems))

    def secret(name: str, dev_label: str, size: int = 32) -> bytes:
        raw = env.get(name)
        if raw:
            try:
                value = base64.b64decode(raw, validate=True)
            except ValueError as exc:
                raise ConfigError(f"{name} must be base64") from exc
            if len(value) < size:
                raise ConfigError(f"{name} must decode to at least {size} bytes")
            return value
        if prod:
            raise ConfigError(f"{name} is required in production")
        return _dev_key(dev_label, size)

    def keyring(name: str, dev_label: str) -> dict[int, bytes]:
        raw = env.get(name)
        if raw:
            ring = _parse_keyring(raw, name=name)
            for version, key in ring.items():
                if len(key) != 32:
                    raise ConfigError(f"{name}: key {version} must be 32 bytes")
            return ring
        if prod:
            raise ConfigError(f"{name} is required in production")
        return {1: _dev_key(dev_label)}

    database_url = env.get("DATABASE_URL", "")
    if not database_url:
        if prod:
            raise ConfigError("DATABASE_URL is required in production")
        data_dir = Path(env.get("DATA_DIR", ROOT / "data"))
        data_dir.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite://{data_dir / 'ehealth.sqlite3'}"
    redis_url = env.get("REDIS_URL", "")
    if prod and not redis_url:
        raise ConfigError("REDIS_URL is required in production (several workers share holds)")

    crypto_keys = keyring("CRYPTO_KEYS", "crypto")
    # QR_KEYS="2:<base64>,1:<base64>@2026-11-20T00:00:00+08:00": a key marked @time was retired
    # then; codes made with it are still accepted for QR_RETIRED_GRACE_S after that.
    qr_retired_at: dict[int, datetime] = {}
    raw_qr = env.get("QR_KEYS", "")
    if raw_qr:
        plain = []
        for part in filter(None, (p.strip() for p in raw_qr.split(","))):
            entry, _, retired = part.partition("@")
            plain.append(entry)
            if retired:
                try:
                    when = datetime.fromisoformat(retired)
                except ValueError as exc:
                    raise ConfigError(f"QR_KEYS: bad retirement time {retired!r}") from exc
                if when.tzinfo is None:
                    raise ConfigError("QR_KEYS: retirement times need a UTC offset")
                qr_retired_at[int(entry.split(":", 1)[0])] = when
        env["QR_KEYS"] = ",".join(plain)
    qr_keys = keyring("QR_KEYS", "qr")
    crypto_suite = env.get("CRYPTO_SUITE", "aes")
    if crypto_suite not in ("aes", "sm"):
        raise ConfigError("CRYPTO_SUITE must be 'aes' or 'sm'")
    crypto_active = _int(env, "CRYPTO_ACTIVE_VERSION", max(crypto_keys))
    if crypto_active not in crypto_keys:
        raise ConfigError("CRYPTO_ACTIVE_VERSION names a key that CRYPTO_KEYS does not hold")
    qr_active = _int(env, "QR_ACTIVE_VERSION", max(qr_keys))
    if qr_active not in qr_keys:
        raise ConfigError("QR_ACTIVE_VERSION names a key that QR_KEYS does not hold")

    # Operators log in with their accounts (backend/operators); this fixed token is a dev and
    # test convenience only and is never honoured in production.
    admin_token = "" if prod else "dev-admin-token"

    return Settings(
        env=app_env,
        port=_int(env, "PORT", 8000),
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=env.get("REDIS_PREFIX", "eh:"),
        redis_pool_size=_int(env, "REDIS_POOL_SIZE", 64),
        log_level=env.get("LOG_LEVEL", "INFO"),
        crypto_suite=crypto_suite,
        crypto_keys=crypto_keys,
        crypto_active_version=crypto_active,
        index_key=secret("INDEX_KEY", "index"),
        token_ttl_s=_int(env, "TOKEN_TTL_S", 7 * 24 * 3600),
        sms_provider=env.get("SMS_PROVIDER", "console"),
        qr_keys=qr_keys,
        qr_active_version=qr_active,
        qr_retired_grace_s=_int(env, "QR_RETIRED_GRACE_S", 24 * 3600),
        qr_retired_at=qr_retired_at,
        terminal_master_key=secret("TERMINAL_MASTER_KEY", "terminal"),
        admin_token=admin_token,
        hold_ttl_s=_int(env, "HOLD_TTL_S", 600),
        booking_max_per_day=_int(env, "BOOKING_MAX_PER_DAY", 3),
        booking_max_per_department_day=_int(env, "BOOKING_MAX_PER_DEPARTMENT_DAY", 1),
        cancel_days_before=_int(env, "CANCEL_DAYS_BEFORE", 1),
        hold_rate_per_account=_int(env, "HOLD_RATE_PER_ACCOUNT", 20),
        hold_rate_per_ip=_int(env, "HOLD_RATE_PER_IP", 600),
        hold_rate_window_s=_int(env, "HOLD_RATE_WINDOW_S", 60),
        wechat_appid=env.get("WECHAT_APPID", "wxdevappid00000001"),
        wechat_secret=env.get("WECHAT_SECRET", "dev-secret"),
        wechat_api_base=env.get("WECHAT_API_BASE", "https://api.weixin.qq.com/" if prod else ""),
        wechat_access_token=env.get("WECHAT_ACCESS_TOKEN", ""),
        wechat_mchid=env.get("WECHAT_MCHID", "1900000001"),
        wechat_pay_gateway=env.get(
            "WECHAT_PAY_GATEWAY", "https://api.mch.weixin.qq.com" if prod else ""
        ),
        wechat_pay_private_key=env.get("WECHAT_PAY_PRIVATE_KEY", ""),
        wechat_pay_cert_serial=env.get("WECHAT_PAY_CERT_SERIAL", ""),
        wechat_pay_apiv3_key=env.get("WECHAT_PAY_APIV3_KEY", ""),
        wechat_pay_public_key=env.get("WECHAT_PAY_PUBLIC_KEY", ""),
        wechat_pay_public_key_id=env.get("WECHAT_PAY_PUBLIC_KEY_ID", ""),
        wechat_pay_notify_url=env.get(
            "WECHAT_PAY_NOTIFY_URL",
            f"http://127.0.0.1:{_int(env, 'PORT', 8000)}/api/v1/payments/wechat/notify",
        ),
        # Only for deployments (or benchmarks) that run without a merchant account: paying is
        # then refused with 503 while everything else works.
        payments_enabled=env.get("WECHAT_PAY_DISABLED", "0") != "1",
        demo_data=env.get("DEMO_DATA", "0" if prod else "1") == "1",
        schedule_horizon_days=_int(env, "SCHEDULE_HORIZON_DAYS", 90),
        tencent_sms_secret_id=env.get("TENCENT_SMS_SECRET_ID", ""),
        tencent_sms_secret_key=env.get("TENCENT_SMS_SECRET_KEY", ""),
        tencent_sms_sdk_app_id=env.get("TENCENT_SMS_SDK_APP_ID", ""),
        tencent_sms_sign_name=env.get("TENCENT_SMS_SIGN_NAME", ""),
        tencent_sms_template_id=env.get("TENCENT_SMS_TEMPLATE_ID", ""),
        tencent_sms_region=env.get("TENCENT_SMS_REGION", "ap-guangzhou"),
        tencent_sms_endpoint=env.get("TENCENT_SMS_ENDPOINT", ""),
        log_format=env.get("LOG_FORMAT", "json" if prod else "text"),
        metrics_token=env.get("METRICS_TOKEN", ""),
        metrics_networks=tuple(n.strip() for n in env.get("METRICS_NETWORKS", "127.0.0.1/32,::1/128").split(",") if n.strip()),
        terminal_cache_ttl_s=_int(env, "TERMINAL_CACHE_TTL_S", 30),
        deposit_max_fen=_int(env, "DEPOSIT_MAX_FEN", 5_000_000),  # deposits
    )
