"""0002_arch on a database that already has payments: every existing payment becomes a booking
payment whose subject is its hold, a paid one ('booked' before) is 'paid', and bookings checked in
before statuses existed become checked_in / called."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from tortoise.context import TortoiseContext
from tortoise.migrations.api.migrate import migrate as migrate_api

from backend import db


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_existing_payments_get_purpose_and_subject(kind, tmp_path):
    import asyncpg

    from tests.conftest import PG_ADMIN_DSN, RUN_ID

    if kind == "sqlite":
        url, mark = f"sqlite://{tmp_path / 'm2.sqlite3'}", "?"
    else:
        name = f"test_migrate2_{RUN_ID}"
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url, mark = PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name, "$"
    config = db.tortoise_config(url)
    try:
        async with TortoiseContext() as ctx:
            await ctx.init(config=config)
            await migrate_api(config=config, target="models.0001_initial")
            conn = ctx.connections.get("default")
            p = (lambda n: f"${n}") if mark == "$" else (lambda n: "?")
            now = datetime(2026, 12, 13, 5, tzinfo=timezone.utc)
            now = now if mark == "$" else now.isoformat(" ")
            await conn.execute_query(
                f"INSERT INTO accounts (openid, status, created_at, last_login_at) VALUES ({p(1)}, 'active', "
                f"{p(2)}, {p(3)})",
                ["o1", now, now],
            )
            await conn.execute_query(
                "INSERT INTO cards (card_id, id_hash, id_enc, name_hash, name_enc, phone_hash, phone_enc, "
                "pii_ref, status, created_at, card_id_issued_at)"
                f" VALUES ({p(1)}, 'h', 'e', 'h', 'e', 'h', 'e', 'aes/1', 'active', {p(2)}, {p(3)})",
                ["c" * 64, now, now],
            )
            await conn.execute_query(
                "INSERT INTO hospitals (code, name, release_time, status, created_at) VALUES ('H', 'h', "
                "'13:00', 'active', " + p(1) + ")",
                [now],
            )
            await conn.execute_query(
                "INSERT INTO departments (hospital_id, code, name, status) VALUES (1, 'D', 'd', 'active')"
            )
            await conn.execute_query(
                "INSERT INTO doctors (hospital_id, department_id, code, name, title) VALUES (1, 1, 'DR', 'x', '')"
            )
            await conn.execute_query(
                'INSERT INTO schedules (hospital_id, department_id, doctor_id, date, start, "end", capacity, '
                "referral_quota, fee_fen, status, release_at, referral_release_at, created_at)"
                f" VALUES (1, 1, 1, '2026-12-20', '08:00', '08:30', 10, 0, 1500, 'open', {p(1)}, {p(2)}, {p(3)})",
                [now, now, now],
            )
            for n, entry in ((1, None), (2, "waiting"), (3, "done")):
                await conn.execute_query(
                    "INSERT INTO bookings (schedule_id, card_id, account_id, hold_id, kind, visit_number, "
                    "status, amount_fen, visit_date, created_at)"
                    f" VALUES (1, 1, 1, 'b{n}', 'ordinary', {n}, 'confirmed', 1500, '2026-12-20', {p(1)})",
                    [now],
                )
                if entry:
                    await conn.execute_query(
                        f"INSERT INTO queue_entries (booking_id, schedule_id, rank, status, checked_in_at) "
                        f"VALUES ({n}, 1, {n * 1000}, '{entry}', {p(1)})",
                        [now],
                    )
            await conn.execute_query(
                "INSERT INTO payments (out_trade_no, hold_id, account_id, card_id, schedule_id, kind, "
                "amount_fen, hold_expires_at, status, created_at)"
                f" VALUES ('EH1', 'hold123', 1, 1, 1, 'ordinary', 1500, {p(1)}, 'booked', {p(2)})",
                [now, now],
            )
        await db.migrate(url)  # the rest, as `python -m backend migrate` does (its own context)
        async with TortoiseContext() as ctx:
            await ctx.init(config=config)
            _, rows = await ctx.connections.get("default").execute_query(
                "SELECT purpose, subject, hold_id, status FROM payments"
            )
            assert [tuple(dict(r).values()) for r in rows] == [("booking", "hold123", "hold123", "paid")]
            _, rows = await ctx.connections.get("default").execute_query(
                "SELECT hold_id, status FROM bookings ORDER BY id"
            )
            assert [tuple(dict(r).values()) for r in rows] == [
                ("b1", "confirmed"),
                ("b2", "checked_in"),
                ("b3", "called"),
            ]
    finally:
        if kind == "postgres":
            admin = await asyncpg.connect(PG_ADMIN_DSN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
