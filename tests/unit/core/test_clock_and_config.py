from datetime import date, datetime, timedelta, timezone

import pytest

from backend.clock import SHANGHAI, Clock, from_ms, iso, iso_ms
from backend.config import ConfigError, load_settings


def test_frozen_clock_and_business_date():
    c = Clock()
    c.set(datetime(2026, 11, 23, 16, 30, tzinfo=timezone.utc), frozen=True)  # 00:30 next day in Shanghai
    assert c.today() == date(2026, 11, 24)
    c.advance(seconds=61)
    assert c.now() == datetime(2026, 11, 23, 16, 31, 1, tzinfo=timezone.utc)
    assert iso(c.now()) == "2026-11-24T00:31:01+08:00"


def test_freezing_now_stops_at_a_whole_second():
    c = Clock()
    c.set(datetime(2030, 1, 1, 12, 0, 0, 750_000, tzinfo=SHANGHAI))
    c.freeze()
    assert c.now().microsecond == 0 and c.now_ms() % 1000 == 0
    assert datetime(2030, 1, 1, 12, tzinfo=SHANGHAI) <= c.now() < datetime(2030, 1, 1, 12, 0, 2, tzinfo=SHANGHAI)
    assert c.now().timestamp() == int(c.now().timestamp())
    exact = datetime(2030, 1, 1, 12, 0, 0, 250_000, tzinfo=SHANGHAI)
    c.freeze(exact)  # a time given is kept as it is
    assert c.now() == exact


def test_running_clock_keeps_moving_from_the_set_time():
    c = Clock()
    c.set(datetime(2030, 1, 1, 12, tzinfo=SHANGHAI))
    first = c.now()
    assert abs(first - datetime(2030, 1, 1, 12, tzinfo=SHANGHAI)) < timedelta(seconds=1)
    c.reset()
    assert c.is_real


def test_milliseconds_follow_the_set_advanced_and_frozen_clock():
    from backend.clock import to_ms

    c = Clock()
    set_at = datetime(2030, 1, 1, 12, tzinfo=SHANGHAI)
    c.set(set_at)
    assert 0 <= c.now_ms() - to_ms(set_at) < 1000
    c.advance(minutes=10)
    assert 600_000 <= c.now_ms() - to_ms(set_at) < 601_000
    c.set(set_at, frozen=True)
    assert c.now_ms() == to_ms(set_at)
    c.reset()
    assert abs(c.now_ms() - to_ms(datetime.now(timezone.utc))) < 1000


@pytest.mark.parametrize(
    "ms", [0, 999, 1_000, 1_796_054_400_000, 1_796_054_400_999, 1_796_054_399_500, 253_402_271_999_999]
)
def test_iso_ms_is_iso_of_from_ms_for_every_millisecond_of_a_second(ms):
    assert iso_ms(ms) == iso(from_ms(ms))
    assert (
        iso_ms(1_796_054_400_999) == "2026-12-01T00:00:00+08:00"
        and iso_ms(1_796_054_399_999) == "2026-11-30T23:59:59+08:00"
    )


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        Clock().set(datetime(2030, 1, 1))


def test_prod_refuses_dev_secrets():
    with pytest.raises(ConfigError):
        load_settings({"APP_ENV": "prod", "DATABASE_URL": "postgres://x/y", "REDIS_URL": "redis://x"})


def test_prod_needs_database_and_redis():
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings({"APP_ENV": "prod"})


def test_bad_env():
    with pytest.raises(ConfigError):
        load_settings({"APP_ENV": "staging"})


def test_keyring_parsing_and_active_version(tmp_path):
    import base64

    k1, k2 = base64.b64encode(b"1" * 32).decode(), base64.b64encode(b"2" * 32).decode()
    s = load_settings({"DATA_DIR": str(tmp_path), "CRYPTO_KEYS": f"1:{k1},2:{k2}", "CRYPTO_SUITE": "sm"})
    assert s.crypto.active_version == 2 and s.crypto.suite == "sm"
    with pytest.raises(ConfigError):
        load_settings({"DATA_DIR": str(tmp_path), "CRYPTO_KEYS": f"1:{k1}", "CRYPTO_ACTIVE_VERSION": "3"})
    with pytest.raises(ConfigError):
        load_settings({"DATA_DIR": str(tmp_path), "CRYPTO_KEYS": "1:short"})
