"""Quiet hours, backoff and the templates: pure rules of the messages residents get."""

from datetime import datetime, timedelta

import pytest

from backend.clock import SHANGHAI
from backend.config import ConfigError, load_settings
from backend.notifications.kinds import KINDS, TemplateError, templates
from backend.notifications.service import quiet_until, retry_delay
from backend.prod_checks import MESSAGE_TEMPLATE_KINDS


def local(hhmm: str, day: int = 10) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(2026, 12, day, h, m, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    "now, until",
    [
        (local("21:59"), None),
        (local("22:00"), local("07:00", day=11)),
        (local("23:30"), local("07:00", day=11)),
        (local("00:00"), local("07:00")),
        (local("06:59"), local("07:00")),
        (local("07:00"), None),
        (local("18:00"), None),
    ],
)
def test_quiet_hours_run_from_22_to_7_shanghai_time(now, until):
    assert quiet_until(now, "22:00-07:00") == until
    # the same moment given in UTC
    assert quiet_until(now.astimezone(tz=None), "22:00-07:00") == until


def test_quiet_hours_within_one_day_and_none():
    assert quiet_until(local("13:30"), "12:00-14:00") == local("14:00")
    assert quiet_until(local("14:00"), "12:00-14:00") is None
    assert quiet_until(local("23:00"), "") is None


def test_retries_back_off_doubling():
    assert [retry_delay(n, base_s=30) for n in (1, 2, 3, 4)] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]


def settings(**env):
    return load_settings({"APP_ENV": "test", "DATABASE_URL": "sqlite://:memory:", "REDIS_URL": "", **env})


def test_every_kind_with_a_template_is_configured_and_each_default_value_exists():
    assert set(KINDS) == set(MESSAGE_TEMPLATE_KINDS)
    table = templates(settings())
    for name, kind in KINDS.items():
        assert table[name].template_id == f"dev-{name}"
        assert set(kind.fields) <= set(kind.values({})), name


SAMPLES = {
    "booking_confirmed": {
        "booking_id": 7,
        "hospital": "市第一人民医院",
        "department": "心血管内科",
        "doctor": "王医生",
        "date": "2026-12-20",
        "start": "08:30",
        "visit_number": 12,
        "ahead": 3,
        "reason": "医生外出会诊",
        "refund_fen": 1500,
        "admission_no": "ZY1",
        "amount_fen": 50000,
        "paid_at": "2026-12-10T10:00:00+08:00",
        "balance_fen": 3000,
    },
    "refund_done": {"purpose": "deposit", "amount_fen": 50000, "refunded_at": "2026-12-10T10:00:00+08:00"},
    "charge_waiting": {
        "hospital": "市第一人民医院",
        "card_id": "C1",
        "charge_no": "CF1",
        "department": "内科",
        "total_fen": 12345,
    },
    "charge_paid": {"hospital": "市第一人民医院", "card_id": "C1", "amount_fen": 12345, "charge_count": 2},
    "report_ready": {"report_id": 9, "card_id": "C1", "hospital": "市一", "title": "血常规", "critical": True},
    "card_linked": {
        "account_masked": "微信用户 ****abcd",
        "relation": "parent",
        "linked_at": "2026-12-10T10:00:00+08:00",
    },
}


def test_template_data_fits_wechat_limits_for_every_kind():
    table = templates(settings())
    for name in KINDS:
        data = table[name].data(SAMPLES.get(name, SAMPLES["booking_confirmed"]))
        assert data, name
        for key, entry in data.items():
            value = entry["value"]
            assert isinstance(value, str) and value, (name, key)
            if key.startswith("thing"):
                assert len(value) <= 20, (name, key, value)
            if key.startswith("phrase"):
                assert len(value) <= 5, (name, key, value)
            if key.startswith("amount"):
                assert value.endswith("元"), (name, key, value)
    assert table["charge_waiting"].data(SAMPLES["charge_waiting"])["amount3"]["value"] == "123.45元"
    assert table["report_ready"].data(SAMPLES["report_ready"])["thing3"]["value"] == "有危急值，请尽快就医"
    batched = {**SAMPLES["report_ready"], "critical": False, "batch_count": 3}
    assert table["report_ready"].data(batched)["thing2"]["value"] == "3份报告已出"
    assert KINDS["report_ready"].page(SAMPLES["report_ready"]) == "pages/reports/detail/index?report_id=9"
    assert KINDS["booking_confirmed"].page(SAMPLES["booking_confirmed"]) == "pages/booking/detail/index?id=7"


def test_a_field_mapping_replaces_the_default_and_names_only_offered_values():
    table = templates(settings(WECHAT_TEMPLATE_CHARGE_PAID="TPL9", WECHAT_TEMPLATE_CHARGE_PAID_FIELDS="amount:amount7"))
    assert table["charge_paid"].template_id == "TPL9"
    assert table["charge_paid"].data(SAMPLES["charge_paid"]) == {"amount7": {"value": "123.45元"}}
    with pytest.raises(TemplateError, match="WECHAT_TEMPLATE_CHARGE_PAID_FIELDS"):
        templates(settings(WECHAT_TEMPLATE_CHARGE_PAID_FIELDS="price:amount7"))
    with pytest.raises(ConfigError, match="WECHAT_TEMPLATE_CHARGE_PAID_FIELDS"):
        settings(WECHAT_TEMPLATE_CHARGE_PAID_FIELDS="amount7")


def test_message_settings_are_checked():
    with pytest.raises(ConfigError, match="VISIT_REMINDER_AT"):
        settings(VISIT_REMINDER_AT="25:00")
    with pytest.raises(ConfigError, match="MESSAGE_QUIET_HOURS"):
        settings(MESSAGE_QUIET_HOURS="22:00")
    assert settings(MESSAGE_QUIET_HOURS="").messages.quiet_hours == ""
    assert settings(QUEUE_REMINDER_AHEAD="5").messages.queue_reminder_ahead == 5
