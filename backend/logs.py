"""Logging set-up for the main process and every worker (Sanic starts workers as new processes)."""

from __future__ import annotations

import logging
import time

from backend.privacy.masking import install_log_scrubbing


def setup(level: str = "INFO") -> None:
    install_log_scrubbing()
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(utc_formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "sanic.websockets"):
        logger = logging.getLogger(name)
        if logger.handlers:  # Sanic writes these itself; do not print them twice
            logger.propagate = False
        for handler in logger.handlers:  # and in UTC too, like ours
            if handler.formatter is not None:
                handler.formatter.converter = time.gmtime
    logging.getLogger("ehealth").setLevel(level)


def utc_formatter(fmt: str) -> logging.Formatter:
    """Log lines are stamped in UTC, ISO-8601 with a Z, whatever the host's TZ (API times carry
    +08:00 offsets; a reader never has to guess the zone of either)."""
    formatter = logging.Formatter(fmt)
    formatter.converter = time.gmtime
    formatter.default_time_format = "%Y-%m-%dT%H:%M:%S"
    formatter.default_msec_format = "%s.%03dZ"
    return formatter
