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
    "backend.actions.models",
    "backend.queueing.models",
    "backend.notifications.models",
    "backend.inpatient.models",
    "backend.his.models",
    "backend.operators.models",
    "backend.reports.models",
    "backend.outpatient.models",
    "backend.releases.models",
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
    config = tortoise_config(database_url)
    config["connections"]["default"] = runtime_connection(database_url)
    await Tortoise.init(config=config, _enable_global_fallback=True)


def runtime_connection(database_url: str):
    """PostgreSQL: a pool of DB_POOL_SIZE, and no session reset query on every release (asyncpg
    sends RESET ALL, CLOSE ALL, UNLISTEN *, pg_advisory_unlock_all: a second round trip for every
    query, while the service keeps no session state; an open transaction is still rolled back)."""
    if not is_postgres(database_url):
        return database_url
    from tortoise.backends.base.config_generator import expand_db_url

    connection = expand_db_url(with_pool_size(database_url))
    connection["credentials"]["reset"] = _keep_session
    return connection


async def _keep_session(connection) -> None:
    return None


# Tortoise's asyncpg pool holds 5 connections unless told otherwise; a worker
# serving dozens of concurrent scans queued for them. DB_POOL_SIZE (or ?maxsize= in the URL).
def with_pool_size(database_url: str) -> str:
    import os

    if not is_postgres(database_url) or "maxsize=" in database_url:
        return database_url
    size = int(os.environ.get("DB_POOL_SIZE", "20"))
    return database_url + ("&" if "?" in database_url else "?") + f"maxsize={size}"


async def close() -> None:
    await Tortoise.close_connections()


async def migrate(database_url: str) -> None:
    """Apply every pending migration (both SQLite and PostgreSQL)."""
    if database_url.startswith("sqlite") and "foreign_keys" not in database_url:
        # SQLite alters a column by rebuilding its table; with foreign keys enforced, dropping the
        # old table would cascade-delete every row that references it (SQLite's own procedure
        # for such changes turns them off first).
        database_url += ("&" if "?" in database_url else "?") + "foreign_keys=OFF"
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
