"""Settings, read once from environment variables, by section (`settings.booking.hold_ttl_s`).

Each section is a pydantic-settings class. A field read from the environment names its variable
(`validation_alias`); a field without one is a fixed value that only tests override. Production
refuses to start with development parts (backend/prod_checks.py); dev and test get fixed,
clearly-labelled development keys so that the embedded default runs with zero setup.

    settings = load_settings()                      # os.environ
    settings = load_settings({"APP_ENV": "test"})   # a given environment (tests)
    settings.with_overrides(booking={"hold_ttl_s": 5}, app={"env": "prod"})
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from backend.prod_checks import (
    MESSAGE_TEMPLATE_KINDS,
    STANDIN_WECHAT_APPID,
    STANDIN_WECHAT_MCHID,
    STANDIN_WECHAT_SECRET,
    refusals,
    template_variable,
)

ENVIRONMENTS = ("dev", "test", "prod")
ROOT = Path(__file__).resolve().parent.parent
# Text settings where a blank variable is a value of its own (`REDIS_PREFIX=`: no prefix) rather
# than "unset"; a blank number or key, or a blank variable whose default depends on the
# environment, means the default (as an unset one).
_TEXT = (str, tuple[str, ...])


class ConfigError(RuntimeError):
    pass


def _dev_key(label: str, size: int = 32) -> bytes:
    # Deterministic so that a dev database stays readable across restarts; never valid in prod.
    return hashlib.sha256(f"ehealth-dev-only:{label}".encode()).digest()[:size]


def _dev_key_b64(label: str) -> str:
    return base64.b64encode(_dev_key(label)).decode()


def _is_prod(environ: Mapping[str, str]) -> bool:
    return environ.get("APP_ENV", "dev") == "prod"


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Section)


class EnvironSource(PydanticBaseSettingsSource):
    """A section's values from an environment mapping (os.environ, or the dict a test passes)."""

    def __init__(self, settings_cls: type[Section], environ: Mapping[str, str]):
        super().__init__(settings_cls)
        self.environ = environ

    def get_field_value(self, field, field_name):  # unused: __call__ reads every field at once
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        section: type[Section] = self.settings_cls
        defaults = section.environ_defaults(self.environ)
        values: dict[str, Any] = {}
        for name, field in section.model_fields.items():
            if _is_section(field.annotation):
                values[name] = field.annotation.from_environ(self.environ)
                continue
            variable = field.validation_alias
            if not isinstance(variable, str):
                continue  # a fixed value
            raw = self.environ.get(variable)
            if raw == "" and (variable in defaults or field.annotation not in _TEXT):
                raw = None
            if raw is None:
                raw = defaults.get(variable)
            if raw is not None:
                values[variable] = raw
        return values


class Section(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", validate_by_name=True)

    @classmethod
    def environ_defaults(cls, environ: Mapping[str, str]) -> dict[str, str]:
        """Defaults that depend on the environment (production or not), by variable; a variable
        without any default is required."""
        return {}

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, *_sources, **_named):
        # `BookingSettings()` alone reads os.environ the way load_settings does; keyword arguments win
        return init_settings, EnvironSource(settings_cls, os.environ)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Self:
        try:
            return cls(_build_sources=((EnvironSource(cls, environ),), {}))
        except ValidationError as exc:
            raise ConfigError("\n".join(_describe(cls, error) for error in exc.errors())) from None

    @classmethod
    def variable(cls, info: ValidationInfo) -> str:
        return cls.model_fields[info.field_name].validation_alias


def _describe(section: type[Section], error) -> str:
    """One line naming the variable: pydantic's locations are the variables (aliases)."""
    name = ".".join(str(part) for part in error["loc"]) or section.__name__
    kind = error["type"]
    if kind == "value_error":  # our validators' messages name their variable
        return str(error["ctx"]["error"])
    if kind == "missing":
        return f"{name} is not set"
    if kind == "int_parsing":
        return f"{name} must be an integer, got {error['input']!r}"
    return f"{name}: {error['msg']}"


def _parse_keyring(raw: str, *, name: str) -> dict[int, bytes]:
    """`"2:<base64>,1:<base64>"` -> {2: key, 1: key}, each key 32 bytes."""
    keys: dict[int, bytes] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        version, _, b64 = part.partition(":")
        try:
            keys[int(version)] = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise ValueError(f"{name}: entry {version!r} is not <int>:<base64>") from exc
    if not keys:
        raise ValueError(f"{name} is empty")
    for version, key in keys.items():
        if len(key) != 32:
            raise ValueError(f"{name}: key {version} must be 32 bytes")
    return keys


def _parse_secret(raw: str, *, name: str, size: int = 32) -> bytes:
    try:
        value = base64.b64decode(raw, validate=True)
    except ValueError as exc:  # binascii.Error included
        raise ValueError(f"{name} must be base64") from exc
    if len(value) < size:
        raise ValueError(f"{name} must decode to at least {size} bytes")
    return value


def _active_version(version: int | None, info: ValidationInfo, *, keys_variable: str, variable: str) -> int | None:
    keys = info.data.get("keys")
    if keys is None:  # the keyring itself was refused
        return version
    version = max(keys) if version is None else version
    if version not in keys:
        raise ValueError(f"{variable} names a key that {keys_variable} does not hold")
    return version


Keyring = Annotated[dict[int, bytes], NoDecode]


class AppSettings(Section):
    env: str = Field("dev", validation_alias="APP_ENV")
    port: int = Field(8000, validation_alias="PORT")
    demo_data: bool = Field(False, validation_alias="DEMO_DATA")

    @classmethod
    def environ_defaults(cls, environ):
        return {"DEMO_DATA": "0" if _is_prod(environ) else "1"}

    @field_validator("env")
    @classmethod
    def _known_env(cls, env: str) -> str:
        if env not in ENVIRONMENTS:
            raise ValueError(f"APP_ENV must be one of {ENVIRONMENTS}, got {env!r}")
        return env

    @field_validator("demo_data", mode="before")
    @classmethod
    def _flag(cls, raw):
        return raw == "1" if isinstance(raw, str) else raw

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @property
    def dev_helpers(self) -> bool:
        return self.env in ("dev", "test")

    @property
    def dev_admin_token(self) -> str:
        # Operators log in with their accounts (backend/operators); this fixed token is a dev and
        # test convenience only and is never honoured in production.
        return "dev-admin-token" if self.dev_helpers else ""


class DatabaseSettings(Section):
    url: str = Field(validation_alias="DATABASE_URL")

    @classmethod
    def environ_defaults(cls, environ):
        if _is_prod(environ):
            return {}
        data_dir = Path(environ.get("DATA_DIR") or ROOT / "data")
        data_dir.mkdir(parents=True, exist_ok=True)
        return {"DATABASE_URL": f"sqlite://{data_dir / 'ehealth.sqlite3'}"}


class RedisSettings(Section):
    url: str = Field(validation_alias="REDIS_URL")  # "": the embedded in-process store
    prefix: str = Field("eh:", validation_alias="REDIS_PREFIX")
    pool_size: int = Field(64, validation_alias="REDIS_POOL_SIZE")

    @classmethod
    def environ_defaults(cls, environ):
        # production runs several workers, which share holds: REDIS_URL is required there
        return {} if _is_prod(environ) else {"REDIS_URL": ""}


class CryptoSettings(Section):
    """Identity data encryption."""

    suite: str = Field(
        "aes", validation_alias="CRYPTO_SUITE"
    )  # aes (AES-256-GCM + HMAC-SHA256) | sm (SM4-GCM + HMAC-SM3)
    keys: Keyring = Field(validation_alias="CRYPTO_KEYS", repr=False)
    active_version: int | None = Field(None, validation_alias="CRYPTO_ACTIVE_VERSION")  # None: the highest
    index_key: bytes = Field(validation_alias="INDEX_KEY", repr=False)

    @classmethod
    def environ_defaults(cls, environ):
        if _is_prod(environ):
            return {}
        return {"CRYPTO_KEYS": f"1:{_dev_key_b64('crypto')}", "INDEX_KEY": _dev_key_b64("index")}

    @field_validator("suite")
    @classmethod
    def _known_suite(cls, suite: str) -> str:
        if suite not in ("aes", "sm"):
            raise ValueError("CRYPTO_SUITE must be 'aes' or 'sm'")
        return suite

    @field_validator("keys", mode="before")
    @classmethod
    def _keyring(cls, raw, info: ValidationInfo):
        return _parse_keyring(raw, name=cls.variable(info)) if isinstance(raw, str) else raw

    @field_validator("index_key", mode="before")
    @classmethod
    def _secret(cls, raw, info: ValidationInfo):
        return _parse_secret(raw, name=cls.variable(info)) if isinstance(raw, str) else raw

    @field_validator("active_version")
    @classmethod
    def _active(cls, version, info: ValidationInfo):
        return _active_version(version, info, keys_variable="CRYPTO_KEYS", variable="CRYPTO_ACTIVE_VERSION")


class TokenSettings(Section):
    """Session tokens, and how often one address may ask for one (WeChat log-ins)."""

    ttl_s: int = Field(7 * 24 * 3600, validation_alias="TOKEN_TTL_S")
    # generous: a carrier's NAT puts many residents behind one address when slots open at 13:00
    wx_login_rate_per_ip: int = Field(300, validation_alias="WX_LOGIN_RATE_PER_IP")
    wx_login_rate_window_s: int = Field(60, validation_alias="WX_LOGIN_RATE_WINDOW_S")


class TencentSmsSettings(Section):
    """The Tencent Cloud SMS gateway (SMS_PROVIDER=tencent)."""

    secret_id: str = Field("", validation_alias="TENCENT_SMS_SECRET_ID")
    secret_key: str = Field("", validation_alias="TENCENT_SMS_SECRET_KEY", repr=False)
    sdk_app_id: str = Field("", validation_alias="TENCENT_SMS_SDK_APP_ID")
    sign_name: str = Field("", validation_alias="TENCENT_SMS_SIGN_NAME")
    template_id: str = Field("", validation_alias="TENCENT_SMS_TEMPLATE_ID")
    region: str = Field("ap-guangzhou", validation_alias="TENCENT_SMS_REGION")
    endpoint: str = Field("", validation_alias="TENCENT_SMS_ENDPOINT")  # "": the SDK's (sms.tencentcloudapi.com)


class SmsSettings(Section):
    provider: str = Field("console", validation_alias="SMS_PROVIDER")
    code_ttl_s: int = 300
    max_attempts: int = 5
    resend_interval_s: int = 60
    daily_limit_per_phone: int = 10
    hourly_limit_per_ip: int = 30
    tencent: TencentSmsSettings


class FamilySettings(Section):
    max_members: int = 10
    removal_lock_days: int = 45


class QrSettings(Section):
    """QR code keys. `QR_KEYS="2:<b64>,1:<b64>@2026-11-20T00:00:00+08:00"`: a key marked @time
    was retired then; codes made with it are still accepted for QR_RETIRED_GRACE_S after that."""

    keys: Keyring = Field(validation_alias="QR_KEYS", repr=False)
    active_version: int | None = Field(None, validation_alias="QR_ACTIVE_VERSION")  # None: the highest
    retired_grace_s: int = Field(24 * 3600, validation_alias="QR_RETIRED_GRACE_S")
    retired_at: dict[int, datetime] = {}  # from QR_KEYS

    @classmethod
    def environ_defaults(cls, environ):
        return {} if _is_prod(environ) else {"QR_KEYS": f"1:{_dev_key_b64('qr')}"}

    @model_validator(mode="before")
    @classmethod
    def _retirements(cls, data):
        raw = data.get("QR_KEYS") if isinstance(data, dict) else None
        if not isinstance(raw, str):
            return data
        plain, retired_at = [], {}
        for part in filter(None, (p.strip() for p in raw.split(","))):
            entry, _, retired = part.partition("@")
            plain.append(entry)
            if retired:
                try:
                    when = datetime.fromisoformat(retired)
                except ValueError as exc:
                    raise ValueError(f"QR_KEYS: bad retirement time {retired!r}") from exc
                if when.tzinfo is None:
                    raise ValueError("QR_KEYS: retirement times need a UTC offset")
                try:
                    retired_at[int(entry.split(":", 1)[0])] = when
                except ValueError as exc:
                    raise ValueError(f"QR_KEYS: entry {entry!r} is not <int>:<base64>") from exc
        return {**data, "QR_KEYS": ",".join(plain), "retired_at": retired_at}

    @field_validator("keys", mode="before")
    @classmethod
    def _keyring(cls, raw, info: ValidationInfo):
        return _parse_keyring(raw, name=cls.variable(info)) if isinstance(raw, str) else raw

    @field_validator("active_version")
    @classmethod
    def _active(cls, version, info: ValidationInfo):
        return _active_version(version, info, keys_variable="QR_KEYS", variable="QR_ACTIVE_VERSION")


class TerminalSettings(Section):
    master_key: bytes = Field(validation_alias="TERMINAL_MASTER_KEY", repr=False)  # terminal secrets derive from it
    clock_skew_s: int = 300
    cache_ttl_s: int = Field(30, validation_alias="TERMINAL_CACHE_TTL_S")

    @classmethod
    def environ_defaults(cls, environ):
        return {} if _is_prod(environ) else {"TERMINAL_MASTER_KEY": _dev_key_b64("terminal")}

    @field_validator("master_key", mode="before")
    @classmethod
    def _secret(cls, raw, info: ValidationInfo):
        return _parse_secret(raw, name=cls.variable(info)) if isinstance(raw, str) else raw


class BookingSettings(Section):
    hold_ttl_s: int = Field(600, validation_alias="HOLD_TTL_S")
    max_per_day: int = Field(3, validation_alias="BOOKING_MAX_PER_DAY")
    max_per_department_day: int = Field(1, validation_alias="BOOKING_MAX_PER_DEPARTMENT_DAY")
    ban_days: int = 30
    no_show_limit: int = 3
    cancel_limit: int = 3
    cancel_days_before: int = Field(1, validation_alias="CANCEL_DAYS_BEFORE")
    hold_rate_per_account: int = Field(20, validation_alias="HOLD_RATE_PER_ACCOUNT")
    hold_rate_per_ip: int = Field(600, validation_alias="HOLD_RATE_PER_IP")
    hold_rate_window_s: int = Field(60, validation_alias="HOLD_RATE_WINDOW_S")


class ReleaseRoomSettings(Section):
    """The release waiting room (backend/releases): its times, the default admission rate and the
    per-address ticket limit. Per hospital, an operator turns the room off or sets its rate."""

    default_on: bool = Field(True, validation_alias="RELEASE_ROOM_DEFAULT_ON")  # for hospitals not set by an operator
    open_before_s: int = Field(300, ge=0, le=3600, validation_alias="RELEASE_ROOM_OPEN_BEFORE_S")
    window_s: int = Field(600, ge=1, le=6 * 3600, validation_alias="RELEASE_ROOM_WINDOW_S")
    admitted_valid_s: int = Field(600, ge=1, le=6 * 3600, validation_alias="RELEASE_ROOM_ADMITTED_VALID_S")
    rate_per_s: int = Field(20, ge=0, le=100_000, validation_alias="RELEASE_ROOM_RATE_PER_S")
    ticket_rate_per_ip: int = Field(600, validation_alias="RELEASE_TICKET_RATE_PER_IP")
    ticket_rate_window_s: int = Field(60, validation_alias="RELEASE_TICKET_RATE_WINDOW_S")


class WeChatSettings(Section):
    """The mini-program's login (code2session) and API."""

    appid: str = Field(STANDIN_WECHAT_APPID, validation_alias="WECHAT_APPID")
    secret: str = Field(STANDIN_WECHAT_SECRET, validation_alias="WECHAT_SECRET", repr=False)
    api_base: str = Field("", validation_alias="WECHAT_API_BASE")  # "": the in-process stand-in (dev/test only)
    access_token: str = Field("", validation_alias="WECHAT_ACCESS_TOKEN", repr=False)

    @classmethod
    def environ_defaults(cls, environ):
        return {"WECHAT_API_BASE": "https://api.weixin.qq.com/"} if _is_prod(environ) else {}


class WeChatPaySettings(Section):
    """The WeChat Pay API v3 merchant."""

    mchid: str = Field(STANDIN_WECHAT_MCHID, validation_alias="WECHAT_MCHID")
    gateway: str = Field("", validation_alias="WECHAT_PAY_GATEWAY")  # "": the stand-in
    private_key: str = Field("", validation_alias="WECHAT_PAY_PRIVATE_KEY", repr=False)
    cert_serial: str = Field("", validation_alias="WECHAT_PAY_CERT_SERIAL")
    apiv3_key: str = Field("", validation_alias="WECHAT_PAY_APIV3_KEY", repr=False)
    public_key: str = Field("", validation_alias="WECHAT_PAY_PUBLIC_KEY")
    public_key_id: str = Field("", validation_alias="WECHAT_PAY_PUBLIC_KEY_ID")
    notify_url: str = Field(validation_alias="WECHAT_PAY_NOTIFY_URL")

    @classmethod
    def environ_defaults(cls, environ):
        port = environ.get("PORT") or "8000"
        defaults = {"WECHAT_PAY_NOTIFY_URL": f"http://127.0.0.1:{port}/api/v1/payments/wechat/notify"}
        if _is_prod(environ):
            defaults["WECHAT_PAY_GATEWAY"] = "https://api.mch.weixin.qq.com"
        return defaults


class PaymentSettings(Section):
    # WECHAT_PAY_DISABLED=1 is only for deployments (or benchmarks) that run without a merchant
    # account: paying is then refused with 503 while everything else works.
    enabled: bool = Field(True, validation_alias="WECHAT_PAY_DISABLED")
    deposit_max_fen: int = Field(5_000_000, validation_alias="DEPOSIT_MAX_FEN")  # the largest online top-up
    # a paid outpatient charge the hospital has not acknowledged after this long is counted
    # (metric ehealth_charges_unacknowledged) and marked overdue in the console
    charge_ack_overdue_minutes: int = Field(30, ge=1, validation_alias="CHARGE_ACK_OVERDUE_MINUTES")

    @field_validator("enabled", mode="before")
    @classmethod
    def _not_disabled(cls, raw):
        return raw != "1" if isinstance(raw, str) else raw


class ScheduleSettings(Section):
    horizon_days: int = Field(90, validation_alias="SCHEDULE_HORIZON_DAYS")  # how far ahead an import may reach


class StreamSettings(Section):
    """Server-sent event streams (the waiting-room display): how many may be open, and their pace."""

    # a waiting room's displays often share one address (the hospital's NAT)
    max_per_ip: int = Field(20, validation_alias="STREAM_MAX_PER_IP")
    max_per_worker: int = Field(1000, validation_alias="STREAM_MAX_PER_WORKER")
    poll_s: float = 1.0  # one database look per schedule and worker per poll, however many watch
    heartbeat_s: float = 15.0
    # a stream ends after a while and the browser's EventSource reconnects by itself: no
    # connection outlives a deploy or holds a worker's shutdown for long
    max_s: float = 300.0
    retry_after_s: int = 30  # told to a client over its address's cap


class OperatorSettings(Section):
    """Console log-in: failures allowed per account and per client address within a window, and
    how many argon2 computations a worker runs at once (each is ~0.3 s of CPU in threads) and
    lets wait beyond those before answering 503."""

    login_failures_per_account: int = Field(10, ge=1, validation_alias="OPERATOR_LOGIN_FAILURES")
    login_failures_per_ip: int = Field(50, ge=1, validation_alias="OPERATOR_LOGIN_FAILURES_PER_IP")
    login_failure_window_s: int = Field(900, ge=1, validation_alias="OPERATOR_LOGIN_WINDOW_S")
    kdf_concurrency: int = Field(2, ge=1, le=64, validation_alias="OPERATOR_KDF_CONCURRENCY")
    kdf_queue: int = Field(32, ge=0, le=10_000, validation_alias="OPERATOR_KDF_QUEUE")
    # argon2id parameters by name (backend/operators/rules.py): "cheapest" is for the test suite
    password_profile: Literal["rfc9106_low_memory", "cheapest"] = Field(
        "rfc9106_low_memory", validation_alias="OPERATOR_PASSWORD_PROFILE"
    )


def _parse_field_map(raw: str, *, name: str) -> dict[str, str]:
    """`"hospital:thing1,doctor:thing2"` -> {"hospital": "thing1", "doctor": "thing2"}."""
    out = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        value, sep, key = part.partition(":")
        if not sep or not value.strip() or not key.strip():
            raise ValueError(f"{name}: entry {part!r} is not <value>:<template field>")
        out[value.strip()] = key.strip()
    return out


class _MessageTemplateBase(Section):
    """Per kind: WECHAT_TEMPLATE_<KIND> (the template id; dev and test use `dev-<kind>`) and
    WECHAT_TEMPLATE_<KIND>_FIELDS (which template field shows which value, when the registered
    template's fields differ from the defaults in backend/notifications/kinds.py)."""

    @classmethod
    def environ_defaults(cls, environ):
        return {} if _is_prod(environ) else {template_variable(k): f"dev-{k}" for k in MESSAGE_TEMPLATE_KINDS}

    @model_validator(mode="before")
    @classmethod
    def _field_maps(cls, data):
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for kind in MESSAGE_TEMPLATE_KINDS:
            variable = template_variable(kind) + "_FIELDS"
            raw = out.get(variable)
            if isinstance(raw, str):
                out[variable] = _parse_field_map(raw, name=variable)
        return out

    def template_id(self, kind: str) -> str:
        return getattr(self, kind)

    def field_overrides(self, kind: str) -> dict[str, str]:
        return getattr(self, f"{kind}_fields")


MessageTemplateSettings = create_model(
    "MessageTemplateSettings",
    __base__=_MessageTemplateBase,
    **{
        name: definition
        for kind in MESSAGE_TEMPLATE_KINDS
        for name, definition in (
            (kind, (str, Field(validation_alias=template_variable(kind)))),
            (f"{kind}_fields", (dict[str, str], Field({}, validation_alias=template_variable(kind) + "_FIELDS"))),
        )
    },
)


def _clock_time(raw: str, *, name: str) -> str:
    hours, sep, minutes = raw.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(f"{name} must be HH:MM, got {raw!r}")
    return f"{int(hours):02d}:{int(minutes):02d}"


class MessageSettings(Section):
    """Messages to residents: templates, reminders, quiet hours, retries (docs/operations.md)."""

    templates: MessageTemplateSettings
    visit_reminder_at: str = Field("18:00", validation_alias="VISIT_REMINDER_AT")  # the evening before, Asia/Shanghai
    queue_reminder_ahead: int = Field(3, ge=1, le=50, validation_alias="QUEUE_REMINDER_AHEAD")
    balance_low_fen: int = Field(100_000, ge=0, validation_alias="INPATIENT_BALANCE_LOW_FEN")
    quiet_hours: str = Field("22:00-07:00", validation_alias="MESSAGE_QUIET_HOURS")  # "": none
    report_batch_s: int = Field(3600, ge=0, validation_alias="REPORT_BATCH_S")
    max_attempts: int = 5
    retry_base_s: int = 30  # 30 s, 1, 2, 4 min... between attempts
    reminder_page: int = 500  # bookings read (and messages written) per query by the reminder job
    dispatch_batch: int = 100

    @field_validator("visit_reminder_at")
    @classmethod
    def _at(cls, raw: str, info: ValidationInfo) -> str:
        return _clock_time(raw, name=cls.variable(info))

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, raw: str, info: ValidationInfo) -> str:
        if not raw.strip():
            return ""
        start, sep, end = raw.partition("-")
        if not sep:
            raise ValueError(f"{cls.variable(info)} must be HH:MM-HH:MM, got {raw!r}")
        name = cls.variable(info)
        return f"{_clock_time(start.strip(), name=name)}-{_clock_time(end.strip(), name=name)}"


class ObservabilitySettings(Section):
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    log_format: str = Field("text", validation_alias="LOG_FORMAT")  # text | json
    metrics_token: str = Field("", validation_alias="METRICS_TOKEN", repr=False)
    metrics_networks: Annotated[tuple[str, ...], NoDecode] = Field(
        ("127.0.0.1/32", "::1/128"), validation_alias="METRICS_NETWORKS"
    )

    @classmethod
    def environ_defaults(cls, environ):
        return {"LOG_FORMAT": "json"} if _is_prod(environ) else {}

    @field_validator("metrics_networks", mode="before")
    @classmethod
    def _comma_separated(cls, raw):
        return tuple(n.strip() for n in raw.split(",") if n.strip()) if isinstance(raw, str) else raw


class Settings(BaseModel):
    """Every section; immutable (tests change values with `with_overrides`)."""

    model_config = ConfigDict(frozen=True)

    app: AppSettings
    database: DatabaseSettings
    redis: RedisSettings
    crypto: CryptoSettings
    tokens: TokenSettings
    sms: SmsSettings
    family: FamilySettings
    qr: QrSettings
    terminals: TerminalSettings
    booking: BookingSettings
    releases: ReleaseRoomSettings
    wechat: WeChatSettings
    wechat_pay: WeChatPaySettings
    payments: PaymentSettings
    schedules: ScheduleSettings
    streams: StreamSettings
    operators: OperatorSettings
    messages: MessageSettings
    observability: ObservabilitySettings

    @property
    def is_prod(self) -> bool:
        return self.app.is_prod

    @property
    def dev_helpers(self) -> bool:
        return self.app.dev_helpers

    def with_overrides(self, **sections: Mapping[str, Any]) -> Settings:
        """A copy with values replaced, by section: `with_overrides(booking={"hold_ttl_s": 5})`."""
        return _replace(self, sections)


def _replace(model: BaseModel, changes: Mapping[str, Any]) -> Any:
    fields = type(model).model_fields
    update = {}
    for name, value in changes.items():
        if name not in fields:
            raise TypeError(f"{type(model).__name__} has no setting {name!r}")
        current = getattr(model, name)
        update[name] = (
            _replace(current, value) if isinstance(current, BaseModel) and isinstance(value, Mapping) else value
        )
    return model.model_copy(update=update)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    if _is_prod(env) and (problems := refusals(env)):  # every dev-only part at once, each naming its variable
        raise ConfigError("production refuses to start:\n  " + "\n  ".join(problems))
    sections, problems = {}, []
    for name, field in Settings.model_fields.items():
        try:
            sections[name] = field.annotation.from_environ(env)
        except ConfigError as exc:
            problems.extend(str(exc).splitlines())
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError("settings are invalid:\n  " + "\n  ".join(problems))
    return Settings(**sections)
