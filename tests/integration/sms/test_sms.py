import asyncio
from datetime import datetime, timedelta

import pytest

from backend.clock import SHANGHAI, clock
from tests.support import make_phone

pytestmark = pytest.mark.redis_cluster  # also on a local Redis Cluster: SMS codes: per-number transactions in one slot


async def test_send_returns_202_with_dev_code(client, database):
    _, r = await client.post("/api/v1/sms/codes", json={"phone": make_phone(), "purpose": "claim_card"})
    assert r.status == 202
    assert r.json["sent"] is True and r.json["retry_after"] == 60
    assert len(r.json["dev_code"]) == 6


async def test_dev_code_is_absent_outside_dev_and_test(deps, database, make_client):
    from backend.app import create_app

    deps.settings = deps.settings.with_overrides(app={"env": "prod"})
    app = create_app(deps=deps)
    _, r = await (await make_client(app)).post(
        "/api/v1/sms/codes", json={"phone": make_phone(), "purpose": "claim_card"}
    )
    assert r.status == 202 and "dev_code" not in r.json


async def test_one_send_per_minute_then_allowed(client, database):
    phone = make_phone()
    clock.freeze()
    _, first = await client.post("/api/v1/sms/codes", json={"phone": phone, "purpose": "claim_card"})
    assert first.status == 202
    clock.advance(seconds=59)
    _, second = await client.post("/api/v1/sms/codes", json={"phone": phone, "purpose": "add_family"})
    assert second.status == 429
    err = second.json["error"]
    assert err["code"] == "limit_exceeded" and err["rule"] == "sms_resend_interval" and err["retry_after"] == 1
    assert "until" in err
    clock.advance(seconds=1)
    _, third = await client.post("/api/v1/sms/codes", json={"phone": phone, "purpose": "claim_card"})
    assert third.status == 202


async def test_ten_per_day_per_number(client, database):
    phone = make_phone()
    clock.freeze(datetime(2026, 11, 23, 9, tzinfo=SHANGHAI))
    for _ in range(10):
        _, r = await client.post("/api/v1/sms/codes", json={"phone": phone, "purpose": "claim_card"})
        assert r.status == 202
        clock.advance(seconds=61)
    _, r = await client.post("/api/v1/sms/codes", json={"phone": phone, "purpose": "claim_card"})
    assert r.status == 429 and r.json["error"]["rule"] == "sms_daily_limit"
    assert r.json["error"]["until"] == "2026-11-24T00:00:00+08:00"
    clock.advance(timedelta(hours=15))  # the next business day
    _, r = await client.post("/api/v1/sms/codes", json={"phone": phone, "purpose": "claim_card"})
    assert r.status == 202


async def test_per_ip_hourly_limit(deps, database, make_client):
    from backend.app import create_app

    deps.settings = deps.settings.with_overrides(sms={"hourly_limit_per_ip": 3})
    client = await make_client(create_app(deps=deps))
    statuses = []
    for _ in range(4):
        _, r = await client.post("/api/v1/sms/codes", json={"phone": make_phone(), "purpose": "claim_card"})
        statuses.append(r.status)
    assert statuses == [202, 202, 202, 429]


async def test_forwarding_headers_count_only_behind_a_declared_proxy(deps, database, make_client, monkeypatch):
    from backend.app import create_app

    deps.settings = deps.settings.with_overrides(sms={"hourly_limit_per_ip": 2})

    async def statuses(client, forwarded_for):
        out = []
        for ip in forwarded_for:
            _, r = await client.post(
                "/api/v1/sms/codes",
                json={"phone": make_phone(), "purpose": "claim_card"},
                headers={"X-Forwarded-For": ip},
            )
            out.append(r.status)
        return out

    # no proxy declared: anyone can send X-Forwarded-For, so it must not dodge the per-IP limit
    direct = await make_client(create_app(deps=deps))
    assert await statuses(direct, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) == [202, 202, 429]

    # behind one proxy (SANIC_PROXIES_COUNT=1): the client is the address the proxy forwarded
    monkeypatch.setenv("SANIC_PROXIES_COUNT", "1")
    proxied = await make_client(create_app(deps=deps))
    assert proxied.app.ctx.behind_proxy
    assert await statuses(proxied.from_ip("192.0.2.9"), ["10.1.0.1", "10.1.0.2", "10.1.0.1", "10.1.0.1"]) == [
        202,
        202,
        202,
        429,
    ]


async def test_bad_phone_or_purpose_is_400(client, database):
    _, r = await client.post("/api/v1/sms/codes", json={"phone": "12345", "purpose": "claim_card"})
    assert r.status == 400 and r.json["error"]["code"] == "invalid_phone"
    _, r = await client.post("/api/v1/sms/codes", json={"phone": make_phone(), "purpose": "spam"})
    assert r.status == 400
    _, r = await client.post("/api/v1/sms/codes", json={"phone": make_phone(), "purpose": "claim_card", "extra": 1})
    assert r.status == 400


async def test_concurrent_sends_to_one_number_send_once(client, database):
    phone = make_phone()
    results = await asyncio.gather(
        *[client.post("/api/v1/sms/codes", json={"phone": phone, "purpose": "claim_card"}) for _ in range(20)]
    )
    statuses = sorted(r.status for _, r in results)
    assert statuses.count(202) == 1 and statuses.count(429) == 19
