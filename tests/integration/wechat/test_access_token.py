"""One WeChat access token per app, shared by every worker through Redis."""

import asyncio
import threading
import time

import pytest

from backend import redis as hot
from backend.clock import clock
from backend.deps import build_deps
from backend.identity.models import Account
from backend.notifications import service as notifications
from backend.notifications.models import Notification, SubscriptionAllowance
from backend.wechat import tokens

pytestmark = pytest.mark.redis_cluster  # also on a local Redis Cluster: the shared token and its lock

PAYLOAD = {
    "hospital": "市一医院",
    "department": "内科",
    "doctor": "王医生",
    "date": "2026-12-20",
    "start": "08:00",
    "reason": "临时停诊",
    "refund_fen": 1500,
}


@pytest.fixture
def token_fetches(standin):
    """Counts the stand-in's /cgi-bin/token answers (and can make the token expire soon)."""
    original = standin._routes[("GET", "/cgi-bin/token")]
    counter = {"n": 0, "expires_in": 7200}
    lock = threading.Lock()

    def counting(**kw):
        with lock:
            counter["n"] += 1
        time.sleep(0.05)  # a real fetch takes a while: the other worker must wait, not fetch too
        status, headers, body = original(**kw)
        return status, headers, {**body, "expires_in": counter["expires_in"]}

    standin.add_route("GET", "/cgi-bin/token", counting)
    yield counter
    standin.add_route("GET", "/cgi-bin/token", original)


async def _worker(deps, redis_url):
    """A second worker: its own Redis connections and WeChat client, the same settings."""
    client = hot.connect(redis_url, pool_size=20)
    other = build_deps(deps.settings, client, standin=deps.standin)
    return other, client


@pytest.mark.postgres_only
async def test_100_notifications_from_two_workers_fetch_one_token(deps, database, standin, token_fetches):
    second, client = await _worker(deps, deps.settings.redis.url)
    try:
        now = clock.now()
        accounts = [await Account.create(openid=f"o-token-{i}", created_at=now, last_login_at=now) for i in range(10)]
        for account in accounts:  # each resident allowed ten suspension messages
            await SubscriptionAllowance.create(
                account=account, template_id="dev-schedule_suspended", remaining=10, updated_at=now
            )
        for i in range(100):
            await Notification.create(
                account=accounts[i % 10], kind="schedule_suspended", payload=PAYLOAD, created_at=now
            )
        sent_before = len(standin.messages)
        results = await asyncio.gather(*(notifications.dispatch(d, limit=100) for d in (deps, second, deps, second)))
        assert sum(results) == 100
        assert await Notification.filter(status="sent").count() == 100
        assert len(standin.messages) - sent_before == 100
        assert token_fetches["n"] == 1
    finally:
        await hot.close(client)


async def test_a_token_near_expiry_is_refreshed_once_before_it_expires(deps, database, token_fetches):
    keeper = tokens.AccessTokens(redis=deps.redis, keys=deps.keys, login=deps.wechat)
    token_fetches["expires_in"] = tokens.REFRESH_MARGIN_S - 10  # valid, but inside the refresh margin
    first = await keeper.current()
    assert token_fetches["n"] == 1
    token_fetches["expires_in"] = 7200
    again = await asyncio.gather(*(keeper.current() for _ in range(20)))
    assert token_fetches["n"] == 2 and set(again) == {first}  # the stand-in issues one token string
    await asyncio.gather(*(keeper.current() for _ in range(20)))
    assert token_fetches["n"] == 2


async def test_a_token_wechat_calls_stale_is_replaced(deps, database, token_fetches):
    keeper = tokens.AccessTokens(redis=deps.redis, keys=deps.keys, login=deps.wechat)
    token = await keeper.current()
    await keeper.invalidate("some-other-token")  # another worker's stale view: ignored
    await keeper.current()
    assert token_fetches["n"] == 1
    await keeper.invalidate(token)
    await keeper.current()
    assert token_fetches["n"] == 2


async def test_a_configured_token_is_used_as_is(deps, database, token_fetches):
    keeper = tokens.AccessTokens(redis=deps.redis, keys=deps.keys, login=deps.wechat, fixed="given-token")
    assert await keeper.current() == "given-token" and token_fetches["n"] == 0
