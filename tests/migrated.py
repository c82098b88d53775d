"""Databases already migrated, made once per test run and copied for each server a test starts.

Migrating an empty database replays every migration through Tortoise's migration state: about
7 s of CPU on this machine. The end-to-end and fault tests start about fifteen servers, each on a
database of its own; they start from a copy of one migrated database instead (a SQLite backup, or
PostgreSQL's CREATE DATABASE ... TEMPLATE), and the migrate step each server still runs at start
finds nothing left to apply. Migrating an empty database stays tested where it is the subject:
tests/integration/core/test_migrations.py and the README's run command (tests/e2e/test_serve.py).

One test run, on any number of pytest-xdist workers, shares one folder and one template
database: the controlling process names them (`begin_run`) before the workers start, a lock
file makes the first worker that needs one build it, and the controlling process removes both at
the end (`end_run`)."""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_DSN = os.environ.get("TEST_PG_DSN", "postgres://postgres@127.0.0.1:5432/test")
_RUN = "EHEALTH_TEST_RUN"


def begin_run() -> None:
    """In the controlling process (not a pytest-xdist worker): the run's name, which the workers
    it starts inherit."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ[_RUN] = uuid.uuid4().hex[:10]


def end_run() -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") or not os.environ.get(_RUN):
        return
    shutil.rmtree(_folder(), ignore_errors=True)
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{_template_name()}" WITH (FORCE)'))


def sqlite_copy(target: Path) -> None:
    """`target` (a SQLite file, e.g. DATA_DIR/ehealth.sqlite3) becomes a migrated, empty database."""
    template = _folder() / "migrated.sqlite3"
    with _lock():
        if not template.exists():
            building = template.with_suffix(".building")
            _migrate(f"sqlite://{building}")
            _as_one_file(building)
            building.rename(template)
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(template) as source, sqlite3.connect(target) as copy:
        source.backup(copy)


async def create_postgres(name: str) -> None:
    """CREATE DATABASE `name`, migrated and empty."""
    template = _template_name()
    await asyncio.to_thread(_postgres_template, template)
    await admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def _postgres_template(template: str) -> None:
    with _lock():
        exists = asyncio.run(_admin_fetch("SELECT 1 FROM pg_database WHERE datname = $1", template))
        if not exists:
            asyncio.run(admin(f'CREATE DATABASE "{template}"'))
            _migrate(PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + template)


def _migrate(url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "APP_ENV"))}
    env.update(APP_ENV="dev", DATABASE_URL=url)
    done = subprocess.run(
        [sys.executable, "-m", "backend", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode:
        raise RuntimeError(f"migrating {url} failed:\n{done.stderr[-3000:]}")


def _as_one_file(path: Path) -> None:
    """The write-ahead log folded into the file, so that a copy of the file alone is complete."""
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("PRAGMA journal_mode=DELETE")


def _run_name() -> str:
    name = os.environ.get(_RUN)
    if not name:  # a process outside pytest's hooks (e.g. imported by a script): a run of its own
        begin_run()
        name = os.environ[_RUN]
    return name


def _folder() -> Path:
    folder = Path(tempfile.gettempdir()) / f"ehealth-test-{_run_name()}"
    folder.mkdir(exist_ok=True)
    return folder


def _template_name() -> str:
    return f"test_ehealth_migrated_{_run_name()}"


@contextmanager
def _lock():
    with open(_folder() / "lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


async def admin(*statements: str) -> None:
    """Statements run one after another on the admin connection (CREATE / DROP DATABASE)."""
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


async def _admin_fetch(sql: str, *args):
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()
