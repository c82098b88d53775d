"""The migrations, walked once per engine from an empty database, with rows written on the way
as a database that lived through the earlier versions would have them:

- at 0001_initial, payments and bookings (some checked in) from before payment purposes and
  booking statuses: 0002_arch makes every payment a booking payment whose subject is its hold,
  a paid one ('booked' before) 'paid', and bookings checked in before statuses existed
  'checked_in' / 'called';
- at 0003_bills, admissions, bill days and deposits: 0004_deposits adds empty columns and loses
  no row (on SQLite adding a column with a foreign key may rebuild the table, which must not
  cascade-delete anything);
- then the rest, as `python -m backend migrate` runs it (its own context), twice: the second
  run has nothing to do; and the models need no migration that is not written.

One walk per engine serves every test below (replaying the migrations through Tortoise's
migration state is seconds of CPU each time), so the module is one pytest-xdist group
(tests/conftest.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from tortoise.context import TortoiseContext
from tortoise.migrations.api.migrate import migrate as migrate_api
from tortoise.migrations.autodetector import MigrationAutodetector

from backend import db
from tests import migrated
from tests.conftest import PG_ADMIN_DSN, RUN_ID

NOW = datetime(2026, 12, 13, 5, tzinfo=timezone.utc)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def walked(request, tmp_path_factory):
    """The walk on one engine: what the tests read afterwards, by query."""
    kind = request.param
    if kind == "sqlite":
        url = f"sqlite://{tmp_path_factory.mktemp('migrations') / 'walk.sqlite3'}"
    else:
        name = f"test_migrate_{RUN_ID}"
        await migrated.admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    config = db.tortoise_config(url)
    # each step as `db.migrate` takes it: on SQLite without foreign keys enforced, or a table
    # rebuilt by a migration would cascade-delete the rows that reference it
    stepping = db.tortoise_config(url + "?foreign_keys=OFF" if kind == "sqlite" else url)
    try:
        async with TortoiseContext() as ctx:
            await ctx.init(config=stepping)
            await migrate_api(config=stepping, target="models.0001_initial")
            rows = Rows(ctx, kind)
            await rows.before_statuses()
            await migrate_api(config=stepping, target="models.0003_bills")
            await rows.before_deposit_columns()
        await db.migrate(url)
        await db.migrate(url)  # nothing left to apply
        async with TortoiseContext() as ctx:
            await ctx.init(config=config)
            conn = ctx.connections.get("default")
            found = {}
            for label, sql in READ.items():
                _, result = await conn.execute_query(sql)
                found[label] = [tuple(dict(r).values()) for r in result]
            apps = {"models": {**config["apps"]["models"]}}
            found["unwritten migrations"] = await MigrationAutodetector(ctx.apps, apps).changes()
        yield found
    finally:
        if kind == "postgres":
            await migrated.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


READ = {
    "payments": "SELECT purpose, subject, hold_id, status FROM payments",
    "bookings": "SELECT hold_id, status FROM bookings ORDER BY id",
    "deposits": "SELECT admission_id, amount_fen, status, out_trade_no, transaction_id, account_id, card_id, "
    "refund_reason, refunded_at FROM inpatient_deposits ORDER BY id",
    "bill days": "SELECT COUNT(*) AS n FROM bill_days",
    "admissions": "SELECT deposit_fen FROM admissions",
    "cards": "SELECT COUNT(*) AS n FROM cards",
}


def test_the_migrations_build_the_schema_and_the_models_need_no_new_migration(walked):
    assert walked["unwritten migrations"] == [], "models changed without a migration: run `tortoise makemigrations`"
    assert walked["cards"] == [(1,)]


def test_0002_gives_existing_payments_purpose_and_subject_and_bookings_their_status(walked):
    assert walked["payments"] == [("booking", "hold123", "hold123", "paid")]
    assert walked["bookings"] == [("b1", "confirmed"), ("b2", "checked_in"), ("b3", "called")]


def test_0004_keeps_existing_deposits_and_gives_them_empty_columns(walked):
    assert walked["deposits"] == [
        (1, 50000, "paid", "EH1", "4200001", None, None, None, None),
        (1, 20000, "created", None, None, None, None, None, None),
    ]
    assert walked["bill days"] == [(1,)]
    assert walked["admissions"] == [(100000,)]


class Rows:
    """Rows written in plain SQL, as the schema of their time had them."""

    def __init__(self, ctx, kind: str):
        self.ctx = ctx
        self.postgres = kind == "postgres"
        self.now = NOW if self.postgres else NOW.isoformat(" ")

    def p(self, n: int) -> str:
        return f"${n}" if self.postgres else "?"

    async def run(self, sql: str, times: int = 0) -> None:
        """`sql` with the walk's time as each of its `times` parameters."""
        # the context's connection of the moment: a migration step may have replaced the one before
        await self.ctx.connections.get("default").execute_query(sql, [self.now] * times if times else None)

    async def before_statuses(self) -> None:
        p = self.p
        await self.run(
            f"INSERT INTO accounts (openid, status, created_at, last_login_at) VALUES ('o1', 'active', {p(1)}, {p(2)})",
            2,
        )
        await self.run(
            "INSERT INTO cards (card_id, id_hash, id_enc, name_hash, name_enc, phone_hash, phone_enc, "
            "pii_ref, status, created_at, card_id_issued_at)"
            f" VALUES ('{'c' * 64}', 'h', 'e', 'h', 'e', 'h', 'e', 'aes/1', 'active', {p(1)}, {p(2)})",
            2,
        )
        await self.run(
            f"INSERT INTO hospitals (code, name, release_time, status, created_at) VALUES ('H', 'h', '13:00', "
            f"'active', {p(1)})",
            1,
        )
        await self.run("INSERT INTO departments (hospital_id, code, name, status) VALUES (1, 'D', 'd', 'active')")
        await self.run(
            "INSERT INTO doctors (hospital_id, department_id, code, name, title) VALUES (1, 1, 'DR', 'x', '')"
        )
        await self.run(
            'INSERT INTO schedules (hospital_id, department_id, doctor_id, date, start, "end", capacity, '
            "referral_quota, fee_fen, status, release_at, referral_release_at, created_at)"
            f" VALUES (1, 1, 1, '2026-12-20', '08:00', '08:30', 10, 0, 1500, 'open', {p(1)}, {p(2)}, {p(3)})",
            3,
        )
        for n, entry in ((1, None), (2, "waiting"), (3, "done")):
            await self.run(
                "INSERT INTO bookings (schedule_id, card_id, account_id, hold_id, kind, visit_number, "
                "status, amount_fen, visit_date, created_at)"
                f" VALUES (1, 1, 1, 'b{n}', 'ordinary', {n}, 'confirmed', 1500, '2026-12-20', {p(1)})",
                1,
            )
            if entry:
                await self.run(
                    "INSERT INTO queue_entries (booking_id, schedule_id, rank, status, checked_in_at) "
                    f"VALUES ({n}, 1, {n * 1000}, '{entry}', {p(1)})",
                    1,
                )
        await self.run(
            "INSERT INTO payments (out_trade_no, hold_id, account_id, card_id, schedule_id, kind, "
            "amount_fen, hold_expires_at, status, created_at)"
            f" VALUES ('EH1', 'hold123', 1, 1, 1, 'ordinary', 1500, {p(1)}, 'booked', {p(2)})",
            2,
        )

    async def before_deposit_columns(self) -> None:
        p = self.p
        await self.run(
            "INSERT INTO admissions (hospital_id, admission_no, patient_id_hash, id_enc, name_enc, pii_ref, ward, "
            f"bed, admitted_at, deposit_fen, created_at, updated_at) VALUES (1, 'ZY1', 'h', 'e', 'e', 'aes/1', "
            f"'w', '1', {p(1)}, 100000, {p(2)}, {p(3)})",
            3,
        )
        await self.run(
            "INSERT INTO bill_days (admission_id, date, item_count, subtotal_fen, received_at) VALUES (1, "
            f"'2026-12-13', 0, 0, {p(1)})",
            1,
        )
        await self.run(
            "INSERT INTO inpatient_deposits (admission_id, amount_fen, status, out_trade_no, transaction_id, "
            f"paid_at, acknowledged_at, created_at) VALUES (1, 50000, 'paid', 'EH1', '4200001', {p(1)}, {p(2)}, "
            f"{p(3)})",
            3,
        )
        await self.run(
            "INSERT INTO inpatient_deposits (admission_id, amount_fen, status, created_at) VALUES (1, 20000, "
            f"'created', {p(1)})",
            1,
        )
