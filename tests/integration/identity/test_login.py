import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from backend.app import create_app
from backend.clock import clock
from backend.identity.models import Account, Session
from backend.identity.rules import token_hash
from tests.support import wx_code

pytestmark = pytest.mark.redis_cluster  # also on a local Redis Cluster: sessions


async def test_login_issues_an_opaque_token_and_me_works(client, database):
    _, r = await client.post("/api/v1/auth/wx-login", json={"code": wx_code("alice")})
    assert r.status == 200
    body = r.json
    assert set(body) == {"token", "expires_in", "account_id"}
    assert body["expires_in"] == 7 * 24 * 3600
    _, me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status == 200 and me.json == {"account_id": body["account_id"]}
    # only the hash is stored
    assert not await Session.filter(token_hash=body["token"]).exists()
    assert await Session.filter(account_id=body["account_id"]).count() == 1


async def test_same_wechat_user_same_account(client, database):
    _, a = await client.post("/api/v1/auth/wx-login", json={"code": wx_code("bob")})
    _, b = await client.post("/api/v1/auth/wx-login", json={"code": wx_code("bob")})
    assert a.json["account_id"] == b.json["account_id"]
    assert a.json["token"] != b.json["token"]
    assert await Account.all().count() == 1


async def test_reused_code_is_refused(client, database):
    code = wx_code("carol")
    _, first = await client.post("/api/v1/auth/wx-login", json={"code": code})
    assert first.status == 200
    _, again = await client.post("/api/v1/auth/wx-login", json={"code": code})
    assert again.status == 401
    assert again.json["error"]["code"] == "invalid_wx_code"


async def test_malformed_code_is_refused_and_nothing_written(client, database):
    _, r = await client.post("/api/v1/auth/wx-login", json={"code": "not a code!"})
    assert r.status == 401 and r.json["error"]["code"] == "invalid_wx_code"
    _, r = await client.post("/api/v1/auth/wx-login", json={})
    assert r.status == 400 and r.json["error"]["code"] == "invalid_request"
    assert await Account.all().count() == 0


async def test_missing_bad_expired_and_logged_out_tokens_get_401(client, database, login):
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer " + "x" * 43},
    ):
        _, r = await client.get("/api/v1/cards", headers=headers)
        assert r.status == 401, headers
        assert r.json["error"]["code"] in ("unauthorized", "invalid_token")

    resident = await login()
    assert (await resident.get("/api/v1/cards")).status == 200
    r = await resident.post("/api/v1/auth/logout")
    assert r.status == 204
    replayed = await resident.get("/api/v1/cards")
    assert replayed.status == 401 and replayed.json["error"]["code"] == "invalid_token"

    clock.freeze()  # on a whole second, before the session starts, so its end falls on one too
    other = await login()
    clock.advance(timedelta(days=7, seconds=-1))
    assert (await other.get("/api/v1/cards")).status == 200
    clock.advance(seconds=1)
    expired = await other.get("/api/v1/cards")
    assert expired.status == 401


async def test_token_survives_a_redis_flush(client, database, login, deps):
    resident = await login()
    await deps.redis.delete(deps.keys("tok", token_hash(resident.token)))
    assert (await resident.get("/api/v1/cards")).status == 200


async def test_wechat_unreachable_is_503_not_500(deps, database, make_client):
    from backend.app import create_app
    from backend.wechat.login import WeChatLogin

    deps.wechat = WeChatLogin(appid="wx", secret="s", api_base="http://127.0.0.1:9/", timeout=0.5)
    app = create_app(deps=deps)
    _, r = await (await make_client(app)).post("/api/v1/auth/wx-login", json={"code": wx_code("dave")})
    assert r.status == 503 and r.json["error"]["code"] == "wechat_unavailable"


async def test_wx_login_is_rate_limited_per_address(deps, database, make_client):
    """WX_LOGIN_RATE_PER_IP attempts per window and address, counted in Redis before WeChat is
    asked; beyond it 429 limit_exceeded with when to retry (body and Retry-After), nothing
    written, and other addresses are not held up."""
    clock.freeze(datetime(2026, 12, 13, 5, 0, 10, tzinfo=timezone.utc))  # 10 s into a 60 s window
    deps.settings = deps.settings.with_overrides(tokens={"wx_login_rate_per_ip": 3, "wx_login_rate_window_s": 60})
    app = create_app(deps=deps)
    one = (await make_client(app)).from_ip("198.51.100.7")
    other = one.from_ip("198.51.100.8")
    _, bad = await one.post("/api/v1/auth/wx-login", json={"code": "not a code!"})
    assert bad.status == 401  # a refused code is an attempt too
    for user in ("rl-a", "rl-b"):
        _, r = await one.post("/api/v1/auth/wx-login", json={"code": wx_code(user)})
        assert r.status == 200
    sessions = await Session.all().count()
    _, r = await one.post("/api/v1/auth/wx-login", json={"code": wx_code("rl-c")})
    assert r.status == 429
    error = r.json["error"]
    assert error["code"] == "limit_exceeded" and error["rule"] == "wx_login_ip"
    assert error["retry_after"] == 50 and r.headers["retry-after"] == "50"
    assert error["until"].startswith("2026-12-13T13:01:00")  # the window's end, Shanghai time
    assert await Session.all().count() == sessions
    _, r = await other.post("/api/v1/auth/wx-login", json={"code": wx_code("rl-d")})
    assert r.status == 200
    clock.advance(seconds=50)  # the next window
    _, r = await one.post("/api/v1/auth/wx-login", json={"code": wx_code("rl-c")})
    assert r.status == 200


@pytest.mark.postgres_only
async def test_wx_login_limit_holds_under_concurrent_attempts(deps, database, make_client):
    clock.freeze(datetime(2026, 12, 13, 5, 0, 10, tzinfo=timezone.utc))
    deps.settings = deps.settings.with_overrides(tokens={"wx_login_rate_per_ip": 5})
    one = (await make_client(create_app(deps=deps))).from_ip("198.51.100.9")
    results = await asyncio.gather(
        *[one.post("/api/v1/auth/wx-login", json={"code": wx_code(f"crowd{i}")}) for i in range(20)]
    )
    statuses = sorted(r.status for _, r in results)
    assert statuses == [200] * 5 + [429] * 15
