import logging
import os
import re
import time
from datetime import datetime, timezone

from backend.logs import TextFormatter


def test_log_lines_are_stamped_in_utc_whatever_the_host_zone():
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hi", None, None)
        record.created = datetime(
            2026, 12, 1, 4, 59, 50, 500_000, tzinfo=timezone.utc
        ).timestamp()  # 12:59:50 in Shanghai
        record.msecs = 500
        line = TextFormatter().format(record)
    finally:
        if old is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = old
        time.tzset()
    assert line == "2026-12-01T04:59:50.500Z INFO x: hi"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO x: hi", line)
