"""The limits of an online top-up, and where the maximum comes from."""

import pytest

from backend.config import ConfigError, load_settings
from backend.inpatient.rules import check_deposit_amount


@pytest.mark.parametrize(
    "amount, reason",
    [
        (1, None),
        (5_000_000, None),
        (0, "must be positive"),
        (-1, "must be positive"),
        (5_000_001, "must be at most 5000000 fen"),
        (True, "must be a whole number of fen"),
        (100.0, "must be a whole number of fen"),
        ("100", "must be a whole number of fen"),
    ],
)
def test_a_top_up_is_positive_whole_fen_at_most_the_maximum(amount, reason):
    assert check_deposit_amount(amount, max_fen=5_000_000) == reason


def test_the_maximum_is_a_setting_with_a_default():
    assert load_settings({"APP_ENV": "test"}).payments.deposit_max_fen == 5_000_000
    assert load_settings({"APP_ENV": "test", "DEPOSIT_MAX_FEN": "20000"}).payments.deposit_max_fen == 20000
    with pytest.raises(ConfigError):
        load_settings({"APP_ENV": "test", "DEPOSIT_MAX_FEN": "lots"})
