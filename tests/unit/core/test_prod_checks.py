"""What production refuses, as a pure function of the environment."""

import base64
import secrets

import pytest

from backend import config
from backend.config import ConfigError, load_settings
from backend.prod_checks import DEV_KEYS, MESSAGE_TEMPLATE_KINDS, dev_key, refusals, template_variable


def key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def good_env(**changes) -> dict:
    env = {
        "APP_ENV": "prod",
        "DATABASE_URL": "postgres://u@db/ehealth",
        "REDIS_URL": "redis://redis:6379/0",
        "CRYPTO_KEYS": f"1:{key()}",
        "QR_KEYS": f"1:{key()}",
        "INDEX_KEY": key(),
        "TERMINAL_MASTER_KEY": key(),
        "SMS_PROVIDER": "tencent",
        "TENCENT_SMS_SECRET_ID": "AKIDexample",
        "TENCENT_SMS_SECRET_KEY": "secret",
        "TENCENT_SMS_SDK_APP_ID": "1400000000",
        "TENCENT_SMS_SIGN_NAME": "电子健康卡",
        "TENCENT_SMS_TEMPLATE_ID": "123456",
        "WECHAT_APPID": "wx1234567890abcdef",
        "WECHAT_SECRET": secrets.token_hex(16),
        "WECHAT_PAY_DISABLED": "1",
        **{template_variable(kind): f"tmpl-{kind}" for kind in MESSAGE_TEMPLATE_KINDS},
    }
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def test_a_complete_production_environment_passes():
    assert refusals(good_env()) == []
    assert load_settings(good_env()).is_prod


def test_the_dev_key_derivation_is_the_one_config_uses():
    for label in DEV_KEYS.values():
        assert dev_key(label) == config._dev_key(label)


DEV = {name: base64.b64encode(dev_key(label)).decode() for name, label in DEV_KEYS.items()}


@pytest.mark.parametrize(
    "change, variable",
    [
        ({"SMS_PROVIDER": "console"}, "SMS_PROVIDER"),
        ({"SMS_PROVIDER": None}, "SMS_PROVIDER"),
        ({"SMS_PROVIDER": "pigeon"}, "SMS_PROVIDER"),
        ({"TENCENT_SMS_SECRET_KEY": None}, "TENCENT_SMS_SECRET_KEY"),
        ({"TENCENT_SMS_TEMPLATE_ID": ""}, "TENCENT_SMS_TEMPLATE_ID"),
        ({"WECHAT_APPID": None}, "WECHAT_APPID"),
        ({"WECHAT_APPID": "wxdevappid00000001"}, "WECHAT_APPID"),
        ({"WECHAT_SECRET": "dev-secret"}, "WECHAT_SECRET"),
        ({"WECHAT_PAY_DISABLED": None}, "WECHAT_PAY_PRIVATE_KEY"),
        ({"CRYPTO_KEYS": None}, "CRYPTO_KEYS"),
        ({"CRYPTO_KEYS": f"2:{key()},1:{DEV['CRYPTO_KEYS']}"}, "CRYPTO_KEYS"),
        ({"QR_KEYS": f"1:{DEV['QR_KEYS']}@2026-01-01T00:00:00+08:00"}, "QR_KEYS"),
        ({"INDEX_KEY": DEV["INDEX_KEY"]}, "INDEX_KEY"),
        ({"TERMINAL_MASTER_KEY": DEV["TERMINAL_MASTER_KEY"]}, "TERMINAL_MASTER_KEY"),
        ({"DATABASE_URL": None}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:///srv/ehealth.sqlite3"}, "DATABASE_URL"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
        ({"WECHAT_TEMPLATE_REPORT_READY": None}, "WECHAT_TEMPLATE_REPORT_READY"),
        ({"WECHAT_TEMPLATE_BOOKING_CONFIRMED": " "}, "WECHAT_TEMPLATE_BOOKING_CONFIRMED"),
        ({"OPERATOR_PASSWORD_PROFILE": "cheapest"}, "OPERATOR_PASSWORD_PROFILE"),
    ],
)
def test_each_dev_part_is_refused_with_one_line_naming_its_variable(change, variable):
    problems = refusals(good_env(**change))
    assert len(problems) >= 1 and all("\n" not in p for p in problems)
    assert any(p.startswith(variable + " ") for p in problems), problems
    with pytest.raises(ConfigError, match=variable):
        load_settings(good_env(**change))


def test_every_problem_is_reported_at_once():
    problems = refusals({"APP_ENV": "prod"})
    named = {p.split(" ", 1)[0] for p in problems}
    assert {
        "DATABASE_URL",
        "REDIS_URL",
        "CRYPTO_KEYS",
        "QR_KEYS",
        "INDEX_KEY",
        "TERMINAL_MASTER_KEY",
        "SMS_PROVIDER",
        "WECHAT_APPID",
        "WECHAT_SECRET",
        "WECHAT_PAY_PRIVATE_KEY",
    } <= named


def test_dev_and_test_keep_their_zero_setup_defaults():
    assert load_settings({"APP_ENV": "test", "DATABASE_URL": "sqlite://:memory:"}).sms.provider == "console"


@pytest.mark.parametrize(
    "first, second",
    [
        ("CRYPTO_KEYS", "INDEX_KEY"),
        ("CRYPTO_KEYS", "QR_KEYS"),
        ("CRYPTO_KEYS", "TERMINAL_MASTER_KEY"),
        ("QR_KEYS", "INDEX_KEY"),
        ("QR_KEYS", "TERMINAL_MASTER_KEY"),
        ("INDEX_KEY", "TERMINAL_MASTER_KEY"),
    ],
)
def test_one_key_reused_by_two_purposes_is_refused(first, second):
    shared = key()
    keyrings = ("CRYPTO_KEYS", "QR_KEYS")

    def value(name, *, older=False):
        if name not in keyrings:
            return shared
        # in a keyring, the shared key may hide as an older version next to a fresh one
        return f"3:{key()},2:{shared}" if older else f"1:{shared}"

    for older in (False, True):
        env = good_env(**{first: value(first, older=older), second: value(second)})
        problems = refusals(env)
        assert len(problems) == 1, problems
        assert first in problems[0] and second in problems[0] and "same key" in problems[0]
        if older and first in keyrings:
            assert f"{first} version 2" in problems[0]
        with pytest.raises(ConfigError, match="same key"):
            load_settings(env)


def test_a_key_kept_under_two_versions_of_one_keyring_is_not_a_reuse():
    shared = key()
    env = good_env(CRYPTO_KEYS=f"2:{shared},1:{shared}", QR_KEYS=f"2:{key()},1:{key()}@2026-01-01T00:00:00+08:00")
    assert refusals(env) == []


def test_a_retired_qr_key_reused_elsewhere_is_refused():
    shared = key()
    env = good_env(QR_KEYS=f"2:{key()},1:{shared}@2026-01-01T00:00:00+08:00", TERMINAL_MASTER_KEY=shared)
    assert refusals(env) == [
        "TERMINAL_MASTER_KEY is the same key as QR_KEYS version 1: give each of "
        "CRYPTO_KEYS, QR_KEYS, INDEX_KEY, TERMINAL_MASTER_KEY its own key"
    ]
