"""Tortoise ORM wiring: one app label, models by domain, migrations in /migrations."""

from __future__ import annotations

import logging

from tortoise import Tortoise
from tortoise.context import TortoiseContext
from tortoise.migrations.api.migrate import migrate as migrate_api

log = logging.getLogger("ehealth.db")

MODEL_MODULES = [
    "backend.identity.models",
    "backend.cards.models",
    "backend.catalog.models",
    "backend.booking.models",
    "backend.payments.models",
    "backend.staff.models",
    "backend.audit.models",
    "backend.queueing.models",
    "backend.notifications.models",
]


def tortoise_config(database_url: str) -> dict:
    return {
        "connections": {"default": database_url},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init(database_url: str) -> None:
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close() -> None:
    await Tortoise.close_connections()


async def migrate(database_url: str) -> None:
    """Apply every pending migration (both SQLite and PostgreSQL)."""
    config = tortoise_config(database_url)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        await migrate_api(config=config)


async def ping() -> bool:
    try:
        conn = Tortoise.get_connection("default")
        await conn.execute_query("SELECT 1")
        return True
    except Exception:
        log.warning("database ping failed", exc_info=True)
        return False


def is_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))
