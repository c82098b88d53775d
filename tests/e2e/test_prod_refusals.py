"""`APP_ENV=prod python -m backend` as an operator starts it: each development part in the
environment stops it before it serves, with one line naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.core.test_prod_checks import DEV, good_env

ROOT = Path(__file__).resolve().parents[2]


def start(env: dict, *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    return subprocess.run(
        [sys.executable, "-m", "backend", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "change, variable",
    [
        ({"SMS_PROVIDER": "console"}, "SMS_PROVIDER"),
        ({"WECHAT_APPID": "wxdevappid00000001"}, "WECHAT_APPID"),
        ({"WECHAT_SECRET": None}, "WECHAT_SECRET"),
        ({"CRYPTO_KEYS": f"1:{DEV['CRYPTO_KEYS']}"}, "CRYPTO_KEYS"),
        ({"INDEX_KEY": None}, "INDEX_KEY"),
        ({"DATABASE_URL": "sqlite:///tmp/x.sqlite3"}, "DATABASE_URL"),
        ({"REDIS_URL": None}, "REDIS_URL"),
    ],
)
def test_prod_refuses_to_start(change, variable):
    done = start(good_env(**change))
    assert done.returncode == 2, done.stderr
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip().startswith(variable + " ")]
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_prod_lists_everything_missing_in_one_go():
    done = start({"APP_ENV": "prod"})
    assert done.returncode == 2
    for variable in ("DATABASE_URL", "REDIS_URL", "CRYPTO_KEYS", "SMS_PROVIDER", "WECHAT_APPID"):
        assert f"  {variable} " in done.stderr, done.stderr
