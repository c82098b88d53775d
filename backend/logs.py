"""Logging set-up for the main process and every worker (Sanic starts workers as new processes)."""

from __future__ import annotations

import logging

from backend.privacy.masking import install_log_scrubbing


def setup(level: str = "INFO") -> None:
    install_log_scrubbing()
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "sanic.websockets"):
        logger = logging.getLogger(name)
        if logger.handlers:  # Sanic writes these itself; do not print them twice
            logger.propagate = False
    logging.getLogger("ehealth").setLevel(level)
