"""A real Redis restart in the middle of a release room: a redis-server of this test's own,
without persistence, killed and started again (it comes back empty). The room falls back to open
for that release, with a warning in the log (docs/operations.md, the release waiting room)."""

import asyncio
import logging
from datetime import date, timedelta

import pytest

from backend import redis as hot
from backend.app import create_app
from backend.clock import clock
from backend.deps import build_deps
from backend.errors import Conflict, Forbidden
from backend.identity import rules as identity_rules
from backend.identity import service as identity
from backend.releases import service
from tests.integration.conftest import ADMIN, Catalog, at

D = date(2026, 12, 20)
R = at(date(2026, 12, 13), "13:00")


@pytest.fixture
async def own_redis(tmp_path, database, standin, make_client):
    from tests.conftest import test_settings
    from tests.faults.live import RedisServer, redis_server_binary

    try:
        redis_server_binary()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    server = RedisServer(tmp_path).start()
    settings = test_settings(database={"url": database.url}, redis={"url": server.url})
    deps = build_deps(settings, hot.connect(server.url), standin=standin)
    await deps.scripts.load()
    client = await make_client(create_app(deps=deps))
    yield server, deps, client
    await deps.pay.aclose()
    await hot.close(deps.redis)
    server.stop()
    from tortoise.contrib.test import truncate_all_models

    await truncate_all_models()


async def signed_in(deps, account_id: int) -> str:
    """A session of the account in Redis (as a login leaves it); returns its token hash."""
    th = identity_rules.token_hash(f"token-of-{account_id}")
    await identity.cache_session(deps, th=th, account_id=account_id, expires_ms=clock.now_ms() + 86_400_000)
    return th


async def test_a_redis_restart_mid_release_opens_the_room_for_that_release(own_redis, caplog):
    server, deps, client = own_redis
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    s = await Catalog(client).schedule(day=D)
    hid = s["hospital"]["id"]
    _, r = await client.put(
        f"/api/v1/admin/hospitals/{hid}/release-room", json={"enabled": True, "rate_per_s": 1}, headers=ADMIN
    )
    assert r.status == 200, r.json
    clock.freeze(R - timedelta(seconds=30))
    first, _ = await service.ticket_for_account(deps=deps, account_id=1, hospital_id=hid)
    await service.ticket_for_account(deps=deps, account_id=2, hospital_id=hid)
    clock.freeze(R + timedelta(milliseconds=500))
    with pytest.raises(Forbidden):  # nobody is admitted yet
        await service.gate_hold(deps, token_hash=await signed_in(deps, 2), schedule_id=s["id"], now_ms=clock.now_ms())

    server.kill()
    server.start()  # empty: no persistence
    await asyncio.sleep(0.2)  # the event loop sees the old connections closed (backend/redis.py, _CheckedPool)

    clock.freeze(R + timedelta(seconds=1))
    with caplog.at_level(logging.WARNING, logger="ehealth.releases"):
        await service.gate_hold(deps, token_hash=await signed_in(deps, 2), schedule_id=s["id"], now_ms=clock.now_ms())
    assert "falls back to open" in caplog.text
    assert (await service.ticket_status(deps=deps, hospital_id=hid, ticket=first["ticket"]))["status"] == "admitted"
    with pytest.raises(Conflict):
        await service.ticket_for_account(deps=deps, account_id=3, hospital_id=hid)
    # the next day's release has its room again
    clock.freeze(R + timedelta(days=1, minutes=-4))
    ticket, created = await service.ticket_for_account(deps=deps, account_id=3, hospital_id=hid)
    assert created and ticket["status"] == "waiting"
