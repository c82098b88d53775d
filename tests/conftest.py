"""Fixtures: the real PostgreSQL and Redis of this machine, and SQLite for persistence tests.

- `database` is parametrised per test: postgres and sqlite, or postgres only for tests marked
  `postgres_only` (row locks and concurrency are only meaningful there).
- Every test session uses its own PostgreSQL database and its own Redis key prefix, so runs never
  see each other's data; both are removed at the end.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass

import asyncpg
import pytest
from tortoise.context import tortoise_test_context

from backend import db as dbmod
from backend import redis as hot
from backend.app import create_app
from backend.clock import clock
from backend.config import load_settings
from backend.deps import build_deps
from backend.dev.standins.login import WeChatStandIn
from backend.privacy.masking import install_log_scrubbing
from backend.wechat.pay import make_pay
from tests import migrated
from tests.asgi import AppClient

PG_ADMIN_DSN = os.environ.get("TEST_PG_DSN", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:8]

install_log_scrubbing()


def pytest_configure(config):
    migrated.begin_run()
    config.addinivalue_line("markers", "postgres_only: needs PostgreSQL (row locks, real concurrency)")
    config.addinivalue_line("markers", "redis_cluster: starts a local 3-shard Redis Cluster (redis-server, redis-cli)")


def pytest_unconfigure(config):
    migrated.end_run()


def pytest_generate_tests(metafunc):
    if "database" in metafunc.fixturenames:
        kinds = ["postgres"] if metafunc.definition.get_closest_marker("postgres_only") else ["postgres", "sqlite"]
        metafunc.parametrize("database", kinds, indirect=True, scope="session")
        if metafunc.definition.get_closest_marker("redis_cluster") and "redis_mode" in metafunc.fixturenames:
            # once more on a local Redis Cluster (per test, so that the session's database
            # order stays PostgreSQL then SQLite; the SQLite runs on a cluster are left out below)
            metafunc.parametrize("redis_mode", ["redis", "cluster"], indirect=True)


def pytest_collection_modifyitems(config, items):
    """On a cluster, PostgreSQL only: the store is what differs there."""

    def on_cluster_with_sqlite(item) -> bool:
        params = getattr(getattr(item, "callspec", None), "params", {})
        return params.get("redis_mode") == "cluster" and params.get("database") == "sqlite"

    dropped = [item for item in items if on_cluster_with_sqlite(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not on_cluster_with_sqlite(item)]


def xdist_group(nodeid: str) -> str | None:
    """Which tests one pytest-xdist worker runs together, one after another; None: any worker.

    - the browser tests (tests/e2e/web): one worker runs them all, one after another, with one
      dev server, one Playwright and one chromium (session and package fixtures; starting
      Playwright and a chromium costs about 1.3 s of CPU, a dev server about 3 s), and the
      Playwright package fixture must not interleave with async tests (pytest tears it down
      before the worker's next test outside the package);
    - the fault tests: each starts the service as production runs it, loads it with a burst of
      a thousand residents and breaks Redis, PostgreSQL or a worker under it: one at a time,
      so that their bursts never compete with each other for the two cores;
    - every other end-to-end module: its tests share a server process of the module's own,
      started once, as in a run on one process;
    - the migration walk: its tests share one walk through the migrations per engine.
    Everything else spreads freely: the session fixtures (database, key prefix, WeChat
    stand-in, Redis Cluster) are set up by each worker for itself."""
    path = nodeid.split("::", 1)[0]
    if path == "tests/integration/core/test_migrations.py":
        return path
    if path.startswith("tests/faults/"):
        return "faults"
    if path.startswith("tests/e2e/web/"):
        return "tests/e2e/web"
    if path.startswith("tests/e2e/"):
        return path
    return None


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` (scripts/test) with the groups of `xdist_group`. They are given here,
    by node id, rather than by `xdist_group` marks: pytest-xdist 3.8 marks a group by rewriting
    `item._nodeid`, which pytest 9's node ids no longer read, so the marks would be ignored."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class Grouped(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid) or nodeid

    return Grouped(config, log)


def test_settings(**overrides):
    """The test environment's settings, with overrides by section: `test_settings(redis={"url": ""})`."""
    env = {
        "APP_ENV": "test",
        "DATABASE_URL": "sqlite://:memory:",
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": f"t{RUN_ID}:",
        # holds at a release moment are what most booking tests do: the waiting room is off
        # unless a test turns it on (tests/integration/releases)
        "RELEASE_ROOM_DEFAULT_ON": "0",
        # argon2id at RFC 9106's parameters is 0.3 s of CPU per hash: tests of the log-in's
        # cost (tests/integration/operators/test_login_limits.py) set it back
        "OPERATOR_PASSWORD_PROFILE": "cheapest",
    }
    return load_settings(env).with_overrides(**overrides)


@dataclass
class Database:
    kind: str
    url: str


@pytest.fixture(scope="session")
async def database(request, tmp_path_factory):
    kind = request.param
    name = ""
    if kind == "postgres":
        name = f"test_ehealth_{RUN_ID}"
        url = PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    else:
        # a scratch file: no waiting for the disk on every commit
        url = f"sqlite://{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}?synchronous=OFF"
    async with tortoise_test_context(dbmod.MODEL_MODULES, db_url=url, app_label="models"):
        # the app's code path (Tortoise.get_connection, Model queries) must see this context
        from tortoise.context import get_current_context, set_global_context

        set_global_context(get_current_context())
        try:
            yield Database(kind, url)
        finally:
            import tortoise.context as tc

            tc._global_context = None
    if kind == "postgres":
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture(scope="session")
async def redis_client():
    client = hot.connect(REDIS_URL, pool_size=200)
    yield client
    await _flush_prefix(client, f"t{RUN_ID}:")
    await hot.close(client)


async def _flush_prefix(client, prefix: str) -> None:
    batch = []
    async for key in client.scan_iter(match=prefix + "*", count=1000):
        batch.append(key)
        if len(batch) >= 500:
            await client.delete(*batch)
            batch.clear()
    if batch:
        await client.delete(*batch)


@pytest.fixture(scope="session")
def standin():
    settings = test_settings()
    server = WeChatStandIn(env="test", appid=settings.wechat.appid, secret=settings.wechat.secret).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shared_pay(standin):
    """One WeChat Pay client for the tests that use the default settings; each test still closes
    its connections (`aclose`), and the client opens new ones on next use."""
    return make_pay(test_settings(), standin)


@pytest.fixture
def redis_mode(request):
    """'redis' (this machine's Redis), or 'cluster' for modules marked `redis_cluster`, which
    run once more against a local 3-shard Redis Cluster (see pytest_generate_tests)."""
    return getattr(request, "param", "redis")


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory):
    """A local Redis Cluster of 3 primaries on free loopback ports (tests/faults/live.py), for
    the whole session, started on first use and stopped at the end."""
    from tests.faults.live import redis_cli_binary, redis_server_binary, start_cluster

    try:
        redis_server_binary(), redis_cli_binary()
    except RuntimeError as exc:  # the one reason to skip: present here and in CI
        pytest.skip(str(exc))
    nodes = start_cluster(tmp_path_factory.mktemp("redis_cluster"), shards=3)
    yield "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in nodes)
    for node in nodes:
        node.stop()


@pytest.fixture
async def deps(request, database, redis_mode, redis_client, standin, shared_pay):
    client, redis_url = redis_client, REDIS_URL
    if redis_mode == "cluster":
        redis_url = request.getfixturevalue("redis_cluster_url")
        client = hot.connect(redis_url, pool_size=200)
    settings = test_settings(database={"url": database.url}, redis={"url": redis_url})
    built = build_deps(settings, client, standin=standin, pay=shared_pay)
    await built.scripts.load()
    yield built
    if built.pay is not None:
        await built.pay.aclose()
    await _flush_prefix(client, settings.redis.prefix)
    if client is not redis_client:
        await hot.close(client)
    await empty_all_tables()


async def empty_all_tables() -> None:
    """Every table emptied after a test. On PostgreSQL each table's rows are deleted, children
    first, in one round trip: TRUNCATE gives every table new files, about a third of a second
    per test on this machine, while deleting the few rows a test leaves takes milliseconds."""
    from tortoise import Tortoise
    from tortoise.contrib.test import _topological_sort_models, truncate_all_models

    models = list(Tortoise.apps.get_models_iterable())
    db = models[0]._meta.db
    if db.capabilities.dialect != "postgres":
        await truncate_all_models()
        return
    await db.execute_script("".join(f'DELETE FROM "{m._meta.db_table}";' for m in _topological_sort_models(models)))


@pytest.fixture(autouse=True)
def _reset_clock():
    yield
    clock.reset()


@pytest.fixture(autouse=True)
def _sql_not_left_logged():
    """Tests that read Tortoise's SQL log set its level with caplog, which puts it back: a level
    left at DEBUG would make every later test on the worker log (and scrub) each statement."""
    yield
    assert logging.getLogger("tortoise.db_client").getEffectiveLevel() > logging.DEBUG, "Tortoise left at DEBUG"


@pytest.fixture(scope="session")
async def _shared_client(redis_client, standin, shared_pay):
    # Starting a Sanic app costs ~0.5 s (routing, OpenAPI); one app serves every test that does
    # not need its own settings, with each test's `deps` swapped in.
    app = create_app(deps=build_deps(test_settings(), redis_client, standin=standin, pay=shared_pay))
    started = await AppClient(app).start()
    yield started
    await started.close()


@pytest.fixture
def app(deps, _shared_client):
    _shared_client.app.ctx.deps = deps
    return _shared_client.app


@pytest.fixture
def client(app, _shared_client):
    return _shared_client


@pytest.fixture
async def make_client():
    """Build and start a client for an app made inside a test (e.g. with other settings)."""
    started = []

    async def make(app):
        c = await AppClient(app).start()
        started.append(c)
        return c

    yield make
    for c in started:
        await c.close()


# --- resident flows over HTTP -------------------------------------------------------------------


class Resident:
    """A logged-in resident driving the API like the mini-program does."""

    def __init__(self, client, token: str, account_id: int, user: str = ""):
        self.client = client
        self.token = token
        self.account_id = account_id
        self.user = user

    async def relogin(self) -> None:
        """A fresh session for the same WeChat user (sessions last 7 days of service time)."""
        _, r = await self.client.post("/api/v1/auth/wx-login", json={"code": f"{self.user}#{uuid.uuid4().hex[:8]}"})
        assert r.status == 200 and r.json["account_id"] == self.account_id, r.json
        self.token = r.json["token"]

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path, **kw):
        _, r = await self.client.get(path, headers=self.headers, **kw)
        return r

    async def post(self, path, json=None, **kw):
        _, r = await self.client.post(path, json=json, headers=self.headers, **kw)
        return r

    async def put(self, path, json=None, **kw):
        _, r = await self.client.put(path, json=json, headers=self.headers, **kw)
        return r

    async def delete(self, path, **kw):
        _, r = await self.client.delete(path, headers=self.headers, **kw)
        return r

    async def sms_code(self, phone: str, purpose: str) -> str:
        r = await self.post("/api/v1/sms/codes", {"phone": phone, "purpose": purpose})
        assert r.status == 202, r.json
        return r.json["dev_code"]

    async def claim(self, *, name: str, id_number: str, phone: str):
        code = await self.sms_code(phone, "claim_card")
        return await self.post(
            "/api/v1/cards", {"name": name, "id_number": id_number, "phone": phone, "sms_code": code}
        )

    async def add_member(
        self, *, name: str, id_number: str, phone: str, relation: str = "child", code: str | None = None
    ):
        code = code or await self.sms_code(phone, "add_family")
        return await self.post(
            "/api/v1/family",
            {"name": name, "id_number": id_number, "phone": phone, "relation": relation, "sms_code": code},
        )


_users = iter(range(1, 10**9))


@pytest.fixture
def login(client):
    async def do_login(user: str | None = None) -> Resident:
        user = user or f"user{next(_users)}"
        _, r = await client.post("/api/v1/auth/wx-login", json={"code": f"{user}#{uuid.uuid4().hex[:8]}"})
        assert r.status == 200, r.json
        return Resident(client, r.json["token"], r.json["account_id"], user)

    return do_login
