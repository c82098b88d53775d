"""0004_deposits on a database at 0003_bills with admissions, bill days and deposits: the new
columns arrive empty and no row is lost (on SQLite adding a column with a foreign key may
rebuild the table, which must not cascade-delete anything)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from tortoise.context import TortoiseContext
from tortoise.migrations.api.migrate import migrate as migrate_api

from backend import db


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_existing_deposits_survive_and_gain_empty_columns(kind, tmp_path):
    import asyncpg

    from tests.conftest import PG_ADMIN_DSN, RUN_ID

    if kind == "sqlite":
        url, mark = f"sqlite://{tmp_path / 'm4.sqlite3'}", "?"
    else:
        name = f"test_migrate4_{RUN_ID}"
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url, mark = PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name, "$"
    config = db.tortoise_config(url)
    try:
        async with TortoiseContext() as ctx:
            await ctx.init(config=config)
            await migrate_api(config=config, target="models.0003_bills")
            conn = ctx.connections.get("default")
            p = (lambda n: f"${n}") if mark == "$" else (lambda n: "?")
            now = datetime(2026, 12, 13, 5, tzinfo=timezone.utc)
            now = now if mark == "$" else now.isoformat(" ")
            await conn.execute_query(
                "INSERT INTO hospitals (code, name, release_time, status, created_at) VALUES ('H', 'h', "
                "'13:00', 'active', " + p(1) + ")",
                [now],
            )
            await conn.execute_query(
                "INSERT INTO admissions (hospital_id, admission_no, patient_id_hash, id_enc, name_enc, pii_ref, "
                "ward, bed, admitted_at,"
                f" deposit_fen, created_at, updated_at) VALUES (1, 'ZY1', 'h', 'e', 'e', 'aes/1', 'w', '1', "
                f"{p(1)}, 100000, {p(2)}, {p(3)})",
                [now, now, now],
            )
            await conn.execute_query(
                f"INSERT INTO bill_days (admission_id, date, item_count, subtotal_fen, received_at) VALUES (1, "
                f"'2026-12-13', 0, 0, {p(1)})",
                [now],
            )
            await conn.execute_query(
                "INSERT INTO inpatient_deposits (admission_id, amount_fen, status, out_trade_no, "
                "transaction_id, paid_at, acknowledged_at, created_at)"
                f" VALUES (1, 50000, 'paid', 'EH1', '4200001', {p(1)}, {p(2)}, {p(3)})",
                [now, now, now],
            )
            await conn.execute_query(
                f"INSERT INTO inpatient_deposits (admission_id, amount_fen, status, created_at) VALUES (1, "
                f"20000, 'created', {p(1)})",
                [now],
            )
        await db.migrate(url)  # the rest, as `python -m backend migrate` does (its own context)
        async with TortoiseContext() as ctx:
            await ctx.init(config=config)
            conn = ctx.connections.get("default")
            _, rows = await conn.execute_query(
                "SELECT admission_id, amount_fen, status, out_trade_no, transaction_id, account_id, card_id, "
                "refund_reason, refunded_at"
                " FROM inpatient_deposits ORDER BY id"
            )
            assert [tuple(dict(r).values()) for r in rows] == [
                (1, 50000, "paid", "EH1", "4200001", None, None, None, None),
                (1, 20000, "created", None, None, None, None, None, None),
            ]
            _, rows = await conn.execute_query("SELECT COUNT(*) AS n FROM bill_days")
            assert dict(rows[0])["n"] == 1
            _, rows = await conn.execute_query("SELECT deposit_fen FROM admissions")
            assert [dict(r)["deposit_fen"] for r in rows] == [100000]
    finally:
        if kind == "postgres":
            admin = await asyncpg.connect(PG_ADMIN_DSN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
