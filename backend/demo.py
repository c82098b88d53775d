"""Demo data for the embedded default: seeded on `python -m backend` in dev."""

from __future__ import annotations

import logging

log = logging.getLogger("ehealth.demo")


async def seed(settings) -> None:
    """Idempotent: safe on every start."""
    from backend import db

    await db.init(settings.database_url)
    try:
        log.info("demo data: nothing to seed yet")
    finally:
        await db.close()
