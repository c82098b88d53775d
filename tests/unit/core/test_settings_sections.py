"""Settings by section: each variable lands in its section's field, numbers are checked with the
variable named, environment-dependent defaults, and overrides by section."""

import base64
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from backend.config import ConfigError, Section, Settings, load_settings
from tests.unit.core.test_prod_checks import good_env

ROOT = Path(__file__).resolve().parents[3]
BASE = {"APP_ENV": "test", "DATABASE_URL": "sqlite://:memory:"}
KEY1, KEY2 = base64.b64encode(b"1" * 32).decode(), base64.b64encode(b"2" * 32).decode()


def load(**env):
    return load_settings({**BASE, **env})


def read(settings, path: str):
    value = settings
    for part in path.split("."):
        value = getattr(value, part)
    return value


def variables() -> dict[str, tuple[str, type]]:
    """Every variable a section reads -> (its path in Settings, the field's type)."""
    found = {}

    def walk(section: type[Section], prefix: str):
        for name, field in section.model_fields.items():
            if isinstance(field.annotation, type) and issubclass(field.annotation, Section):
                walk(field.annotation, f"{prefix}{name}.")
            elif isinstance(field.validation_alias, str):
                found[field.validation_alias] = (prefix + name, field.annotation)

    for name, field in Settings.model_fields.items():
        walk(field.annotation, f"{name}.")
    return found


@pytest.mark.parametrize(
    "variable, raw, path, expected",
    [
        ("APP_ENV", "dev", "app.env", "dev"),
        ("PORT", "9001", "app.port", 9001),
        ("DEMO_DATA", "0", "app.demo_data", False),
        ("DATABASE_URL", "postgres://u@db/x", "database.url", "postgres://u@db/x"),
        ("REDIS_URL", "redis://r:6379/0", "redis.url", "redis://r:6379/0"),
        ("REDIS_PREFIX", "x:", "redis.prefix", "x:"),
        ("REDIS_POOL_SIZE", "8", "redis.pool_size", 8),
        ("CRYPTO_SUITE", "sm", "crypto.suite", "sm"),
        ("CRYPTO_KEYS", f"1:{KEY1},2:{KEY2}", "crypto.keys", {1: b"1" * 32, 2: b"2" * 32}),
        ("INDEX_KEY", KEY1, "crypto.index_key", b"1" * 32),
        ("TOKEN_TTL_S", "60", "tokens.ttl_s", 60),
        ("WX_LOGIN_RATE_PER_IP", "7", "tokens.wx_login_rate_per_ip", 7),
        ("WX_LOGIN_RATE_WINDOW_S", "30", "tokens.wx_login_rate_window_s", 30),
        ("SMS_PROVIDER", "tencent", "sms.provider", "tencent"),
        ("TENCENT_SMS_SECRET_ID", "AKID", "sms.tencent.secret_id", "AKID"),
        ("TENCENT_SMS_SECRET_KEY", "sk", "sms.tencent.secret_key", "sk"),
        ("TENCENT_SMS_SDK_APP_ID", "1400", "sms.tencent.sdk_app_id", "1400"),
        ("TENCENT_SMS_SIGN_NAME", "sign", "sms.tencent.sign_name", "sign"),
        ("TENCENT_SMS_TEMPLATE_ID", "42", "sms.tencent.template_id", "42"),
        ("TENCENT_SMS_REGION", "ap-beijing", "sms.tencent.region", "ap-beijing"),
        ("TENCENT_SMS_ENDPOINT", "http://127.0.0.1:9", "sms.tencent.endpoint", "http://127.0.0.1:9"),
        ("QR_KEYS", f"1:{KEY1}", "qr.keys", {1: b"1" * 32}),
        ("QR_RETIRED_GRACE_S", "5", "qr.retired_grace_s", 5),
        ("TERMINAL_MASTER_KEY", KEY2, "terminals.master_key", b"2" * 32),
        ("TERMINAL_CACHE_TTL_S", "3", "terminals.cache_ttl_s", 3),
        ("HOLD_TTL_S", "5", "booking.hold_ttl_s", 5),
        ("BOOKING_MAX_PER_DAY", "4", "booking.max_per_day", 4),
        ("BOOKING_MAX_PER_DEPARTMENT_DAY", "2", "booking.max_per_department_day", 2),
        ("CANCEL_DAYS_BEFORE", "0", "booking.cancel_days_before", 0),
        ("HOLD_RATE_PER_ACCOUNT", "7", "booking.hold_rate_per_account", 7),
        ("HOLD_RATE_PER_IP", "70", "booking.hold_rate_per_ip", 70),
        ("HOLD_RATE_WINDOW_S", "30", "booking.hold_rate_window_s", 30),
        ("RELEASE_ROOM_DEFAULT_ON", "0", "releases.default_on", False),
        ("RELEASE_ROOM_OPEN_BEFORE_S", "60", "releases.open_before_s", 60),
        ("RELEASE_ROOM_WINDOW_S", "120", "releases.window_s", 120),
        ("RELEASE_ROOM_ADMITTED_VALID_S", "90", "releases.admitted_valid_s", 90),
        ("RELEASE_ROOM_RATE_PER_S", "7", "releases.rate_per_s", 7),
        ("RELEASE_TICKET_RATE_PER_IP", "9", "releases.ticket_rate_per_ip", 9),
        ("RELEASE_TICKET_RATE_WINDOW_S", "30", "releases.ticket_rate_window_s", 30),
        ("WECHAT_APPID", "wx1", "wechat.appid", "wx1"),
        ("WECHAT_SECRET", "s", "wechat.secret", "s"),
        ("WECHAT_API_BASE", "http://w", "wechat.api_base", "http://w"),
        ("WECHAT_ACCESS_TOKEN", "t", "wechat.access_token", "t"),
        ("WECHAT_MCHID", "1900000009", "wechat_pay.mchid", "1900000009"),
        ("WECHAT_PAY_GATEWAY", "http://g", "wechat_pay.gateway", "http://g"),
        ("WECHAT_PAY_PRIVATE_KEY", "pem", "wechat_pay.private_key", "pem"),
        ("WECHAT_PAY_CERT_SERIAL", "serial", "wechat_pay.cert_serial", "serial"),
        ("WECHAT_PAY_APIV3_KEY", "k" * 32, "wechat_pay.apiv3_key", "k" * 32),
        ("WECHAT_PAY_PUBLIC_KEY", "pub", "wechat_pay.public_key", "pub"),
        ("WECHAT_PAY_PUBLIC_KEY_ID", "PUB_KEY_ID_1", "wechat_pay.public_key_id", "PUB_KEY_ID_1"),
        ("WECHAT_PAY_NOTIFY_URL", "https://n", "wechat_pay.notify_url", "https://n"),
        ("WECHAT_PAY_DISABLED", "1", "payments.enabled", False),  # a field named unlike its variable
        ("DEPOSIT_MAX_FEN", "100", "payments.deposit_max_fen", 100),
        ("CHARGE_ACK_OVERDUE_MINUTES", "45", "payments.charge_ack_overdue_minutes", 45),
        ("SCHEDULE_HORIZON_DAYS", "30", "schedules.horizon_days", 30),
        ("STREAM_MAX_PER_IP", "4", "streams.max_per_ip", 4),
        ("STREAM_MAX_PER_WORKER", "50", "streams.max_per_worker", 50),
        ("OPERATOR_LOGIN_FAILURES", "5", "operators.login_failures_per_account", 5),
        ("OPERATOR_LOGIN_FAILURES_PER_IP", "20", "operators.login_failures_per_ip", 20),
        ("OPERATOR_LOGIN_WINDOW_S", "60", "operators.login_failure_window_s", 60),
        ("OPERATOR_KDF_CONCURRENCY", "4", "operators.kdf_concurrency", 4),
        ("OPERATOR_KDF_QUEUE", "0", "operators.kdf_queue", 0),
        ("OPERATOR_PASSWORD_PROFILE", "cheapest", "operators.password_profile", "cheapest"),
        ("VISIT_REMINDER_AT", "18:30", "messages.visit_reminder_at", "18:30"),
        ("QUEUE_REMINDER_AHEAD", "5", "messages.queue_reminder_ahead", 5),
        ("INPATIENT_BALANCE_LOW_FEN", "50000", "messages.balance_low_fen", 50000),
        ("MESSAGE_QUIET_HOURS", "23:00-06:30", "messages.quiet_hours", "23:00-06:30"),
        ("REPORT_BATCH_S", "600", "messages.report_batch_s", 600),
        (
            "WECHAT_TEMPLATE_BOOKING_CONFIRMED",
            "T-booking_confirmed",
            "messages.templates.booking_confirmed",
            "T-booking_confirmed",
        ),
        (
            "WECHAT_TEMPLATE_BOOKING_CONFIRMED_FIELDS",
            "hospital:thing9",
            "messages.templates.booking_confirmed_fields",
            {"hospital": "thing9"},
        ),
        ("WECHAT_TEMPLATE_VISIT_REMINDER", "T-visit_reminder", "messages.templates.visit_reminder", "T-visit_reminder"),
        (
            "WECHAT_TEMPLATE_VISIT_REMINDER_FIELDS",
            "note:thing9",
            "messages.templates.visit_reminder_fields",
            {"note": "thing9"},
        ),
        ("WECHAT_TEMPLATE_QUEUE_REMINDER", "T-queue_reminder", "messages.templates.queue_reminder", "T-queue_reminder"),
        (
            "WECHAT_TEMPLATE_QUEUE_REMINDER_FIELDS",
            "ahead:thing9",
            "messages.templates.queue_reminder_fields",
            {"ahead": "thing9"},
        ),
        ("WECHAT_TEMPLATE_QUEUE_CALLED", "T-queue_called", "messages.templates.queue_called", "T-queue_called"),
        (
            "WECHAT_TEMPLATE_QUEUE_CALLED_FIELDS",
            "number:thing9",
            "messages.templates.queue_called_fields",
            {"number": "thing9"},
        ),
        (
            "WECHAT_TEMPLATE_SCHEDULE_SUSPENDED",
            "T-schedule_suspended",
            "messages.templates.schedule_suspended",
            "T-schedule_suspended",
        ),
        (
            "WECHAT_TEMPLATE_SCHEDULE_SUSPENDED_FIELDS",
            "reason:thing9",
            "messages.templates.schedule_suspended_fields",
            {"reason": "thing9"},
        ),
        ("WECHAT_TEMPLATE_REFUND_DONE", "T-refund_done", "messages.templates.refund_done", "T-refund_done"),
        (
            "WECHAT_TEMPLATE_REFUND_DONE_FIELDS",
            "amount:thing9",
            "messages.templates.refund_done_fields",
            {"amount": "thing9"},
        ),
        ("WECHAT_TEMPLATE_CARD_LINKED", "T-card_linked", "messages.templates.card_linked", "T-card_linked"),
        (
            "WECHAT_TEMPLATE_CARD_LINKED_FIELDS",
            "relation:thing9",
            "messages.templates.card_linked_fields",
            {"relation": "thing9"},
        ),
        (
            "WECHAT_TEMPLATE_DEPOSIT_CREDITED",
            "T-deposit_credited",
            "messages.templates.deposit_credited",
            "T-deposit_credited",
        ),
        (
            "WECHAT_TEMPLATE_DEPOSIT_CREDITED_FIELDS",
            "amount:thing9",
            "messages.templates.deposit_credited_fields",
            {"amount": "thing9"},
        ),
        ("WECHAT_TEMPLATE_BALANCE_LOW", "T-balance_low", "messages.templates.balance_low", "T-balance_low"),
        (
            "WECHAT_TEMPLATE_BALANCE_LOW_FIELDS",
            "balance:thing9",
            "messages.templates.balance_low_fields",
            {"balance": "thing9"},
        ),
        ("WECHAT_TEMPLATE_CHARGE_WAITING", "T-charge_waiting", "messages.templates.charge_waiting", "T-charge_waiting"),
        (
            "WECHAT_TEMPLATE_CHARGE_WAITING_FIELDS",
            "amount:thing9",
            "messages.templates.charge_waiting_fields",
            {"amount": "thing9"},
        ),
        ("WECHAT_TEMPLATE_CHARGE_PAID", "T-charge_paid", "messages.templates.charge_paid", "T-charge_paid"),
        (
            "WECHAT_TEMPLATE_CHARGE_PAID_FIELDS",
            "count:thing9",
            "messages.templates.charge_paid_fields",
            {"count": "thing9"},
        ),
        ("WECHAT_TEMPLATE_REPORT_READY", "T-report_ready", "messages.templates.report_ready", "T-report_ready"),
        (
            "WECHAT_TEMPLATE_REPORT_READY_FIELDS",
            "title:thing9",
            "messages.templates.report_ready_fields",
            {"title": "thing9"},
        ),
        ("LOG_LEVEL", "DEBUG", "observability.log_level", "DEBUG"),
        ("LOG_FORMAT", "json", "observability.log_format", "json"),
        ("METRICS_TOKEN", "m", "observability.metrics_token", "m"),
        (
            "METRICS_NETWORKS",
            "10.0.0.0/8, 192.168.0.0/16",
            "observability.metrics_networks",
            ("10.0.0.0/8", "192.168.0.0/16"),
        ),
    ],
)
def test_each_variable_lands_in_its_section(variable, raw, path, expected):
    assert variables()[variable][0] == path
    assert read(load(**{variable: raw}), path) == expected


def test_the_table_above_covers_every_variable():
    # the table's rows, however the formatter lays them out: a row starts with the variable's name
    source = re.sub(r"\(\s+", "(", Path(__file__).read_text())
    assert {v for v in variables() if f'("{v}",' not in source} == {"CRYPTO_ACTIVE_VERSION", "QR_ACTIVE_VERSION"}


def test_every_variable_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert [v for v in variables() if f"`{v}`" not in readme] == []


@pytest.mark.parametrize("variable", sorted(v for v, (_, kind) in variables().items() if kind is int))
def test_a_number_that_is_not_one_is_refused_naming_its_variable(variable):
    with pytest.raises(ConfigError, match=rf"^{variable} must be an integer, got 'lots'$"):
        load(**{variable: "lots"})


@pytest.mark.parametrize("variable", sorted(v for v, (_, kind) in variables().items() if kind is int))
def test_a_blank_number_is_its_default(variable):
    path = variables()[variable][0]
    assert read(load(**{variable: ""}), path) == read(load(), path)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as refused:
        load(PORT="x", HOLD_TTL_S="y", CRYPTO_SUITE="rot13", QR_KEYS="1:short")
    lines = str(refused.value).splitlines()
    assert lines[0] == "settings are invalid:"
    assert [line.strip().split(" ", 1)[0].rstrip(":") for line in lines[1:]] == [
        "PORT",
        "CRYPTO_SUITE",
        "QR_KEYS",
        "HOLD_TTL_S",
    ]


def test_blank_text_is_a_value_where_it_means_one():
    s = load(REDIS_PREFIX="", METRICS_NETWORKS="", WECHAT_APPID="")
    assert s.redis.prefix == "" and s.observability.metrics_networks == () and s.wechat.appid == ""
    with pytest.raises(ConfigError, match="CRYPTO_SUITE"):
        load(CRYPTO_SUITE="")
    with pytest.raises(ConfigError, match="APP_ENV"):
        load(APP_ENV="")


def test_keys_default_to_the_development_ones_outside_production_only():
    dev = load()
    assert dev.crypto.keys.keys() == {1} and dev.crypto.active_version == 1 and len(dev.crypto.index_key) == 32
    assert load(CRYPTO_KEYS="", INDEX_KEY="").crypto == dev.crypto  # blank is unset
    prod = load_settings(good_env())
    assert prod.crypto.keys != dev.crypto.keys and prod.terminals.master_key != dev.terminals.master_key


def test_defaults_that_differ_in_production():
    dev, prod = load(PORT="9001"), load_settings(good_env(PORT="9001"))
    assert (dev.app.demo_data, prod.app.demo_data) == (True, False)
    assert (dev.observability.log_format, prod.observability.log_format) == ("text", "json")
    assert (dev.wechat.api_base, prod.wechat.api_base) == ("", "https://api.weixin.qq.com/")
    assert (dev.wechat_pay.gateway, prod.wechat_pay.gateway) == ("", "https://api.mch.weixin.qq.com")
    assert dev.wechat_pay.notify_url == "http://127.0.0.1:9001/api/v1/payments/wechat/notify"
    assert (dev.app.dev_admin_token, prod.app.dev_admin_token) == ("dev-admin-token", "")
    assert load(DATABASE_URL="", DATA_DIR=str(Path("/tmp"))).database.url == "sqlite:///tmp/ehealth.sqlite3"


def test_active_versions_and_qr_retirements():
    s = load(
        CRYPTO_KEYS=f"1:{KEY1},2:{KEY2}", QR_KEYS=f"2:{KEY2},1:{KEY1}@2026-11-20T00:00:00+08:00", QR_ACTIVE_VERSION="1"
    )
    assert s.crypto.active_version == 2 and s.qr.active_version == 1
    assert s.qr.keys == {2: b"2" * 32, 1: b"1" * 32}
    assert s.qr.retired_at == {1: datetime(2026, 11, 20, tzinfo=timezone(timedelta(hours=8)))}
    with pytest.raises(ConfigError, match="QR_ACTIVE_VERSION names a key that QR_KEYS does not hold"):
        load(QR_KEYS=f"1:{KEY1}", QR_ACTIVE_VERSION="2")
    with pytest.raises(ConfigError, match="QR_KEYS: retirement times need a UTC offset"):
        load(QR_KEYS=f"1:{KEY1}@2026-11-20T00:00:00")
    with pytest.raises(ConfigError, match=re.escape("QR_KEYS: key 1 must be 32 bytes")):
        load(QR_KEYS=f"1:{base64.b64encode(b'short').decode()}")
    with pytest.raises(ConfigError, match="TERMINAL_MASTER_KEY must decode to at least 32 bytes"):
        load(TERMINAL_MASTER_KEY=base64.b64encode(b"short").decode())


def test_overrides_by_section_leave_the_original_alone():
    s = load()
    changed = s.with_overrides(
        booking={"hold_ttl_s": 5}, app={"env": "prod"}, sms={"tencent": {"region": "ap-beijing"}}
    )
    assert (changed.booking.hold_ttl_s, changed.is_prod, changed.sms.tencent.region) == (5, True, "ap-beijing")
    assert (s.booking.hold_ttl_s, s.is_prod, s.sms.tencent.region) == (600, False, "ap-guangzhou")
    assert changed.booking.max_per_day == s.booking.max_per_day and changed.redis == s.redis
    with pytest.raises(TypeError, match="hold_ttl"):
        s.with_overrides(booking={"hold_ttl": 5})
    with pytest.raises(TypeError, match="bookings"):
        s.with_overrides(bookings={"hold_ttl_s": 5})
    with pytest.raises(ValidationError):
        s.booking.hold_ttl_s = 5  # frozen
    with pytest.raises(ValidationError):
        s.booking = s.booking  # frozen


def test_secrets_stay_out_of_the_repr():
    text = repr(load_settings(good_env()))
    assert "keys=" not in text and "index_key" not in text and "master_key" not in text and "secret=" not in text
