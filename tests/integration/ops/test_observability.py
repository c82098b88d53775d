"""Request ids, the per-request log line, /metrics and its access rule, /ready, the embedded
store's sweep of expired keys."""

import asyncio
import json
import logging

import pytest

from backend import logs
from backend import redis as hot
from backend.app import create_app


async def test_request_id_is_returned_and_a_given_one_is_kept(client, database):
    _, r = await client.get("/api/v1/ping")
    generated = r.headers["x-request-id"]
    assert len(generated) == 32
    _, again = await client.get("/api/v1/ping")
    assert again.headers["x-request-id"] != generated
    _, r = await client.get("/api/v1/ping", headers={"X-Request-ID": "lb-7f3a.42"})
    assert r.headers["x-request-id"] == "lb-7f3a.42"
    # not plainly an id (a forged log line, say): replaced
    _, r = await client.get("/api/v1/ping", headers={"X-Request-ID": 'x" level=ERROR'})
    assert r.headers["x-request-id"] != 'x" level=ERROR' and len(r.headers["x-request-id"]) == 32
    # errors too
    _, r = await client.get("/api/v1/nope", headers={"X-Request-ID": "err-1"})
    assert r.status == 404 and r.headers["x-request-id"] == "err-1"


async def test_one_json_line_per_request_with_route_status_latency_and_id(client, database, caplog):
    formatter = logs.JsonFormatter()
    with caplog.at_level(logging.INFO, logger="ehealth.access"):
        _, r = await client.get("/api/v1/schedules/999999999", headers={"X-Request-ID": "trace-abc"})
    assert r.status == 404
    lines = [json.loads(formatter.format(rec)) for rec in caplog.records if rec.name == "ehealth.access"]
    assert len(lines) == 1
    line = lines[0]
    assert line["route"] == "/api/v1/schedules/<schedule_id:id>" or line["route"].startswith("/api/v1/schedules/<")
    assert line["status"] == 404 and line["method"] == "GET" and line["request_id"] == "trace-abc"
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    assert "999999999" not in json.dumps(line)  # the pattern, never the path


def test_json_formatter_keeps_chinese_readable_and_carries_the_request_id():
    token = logs.request_id.set("rid-1")
    try:
        record = logging.LogRecord("ehealth.x", logging.INFO, __file__, 1, "停诊 %s", ("通知",), None)
        line = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.request_id.reset(token)
    assert line["msg"] == "停诊 通知" and line["request_id"] == "rid-1" and line["level"] == "INFO"
    assert "停诊" in logs.JsonFormatter().format(record)


async def test_metrics_count_requests_by_route_and_status(client, database):
    for _ in range(3):
        await client.get("/api/v1/ping")
    _, r = await client.get("/metrics")
    assert r.status == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    line = next(
        row
        for row in text.splitlines()
        if row.startswith("ehealth_http_requests_total{") and 'route="/api/v1/ping"' in row and 'status="200"' in row
    )
    before = float(line.rsplit(" ", 1)[1])
    await client.get("/api/v1/ping")
    _, r = await client.get("/metrics")
    line = next(
        row
        for row in r.text.splitlines()
        if row.startswith("ehealth_http_requests_total{") and 'route="/api/v1/ping"' in row and 'status="200"' in row
    )
    assert float(line.rsplit(" ", 1)[1]) == before + 1
    assert "ehealth_http_request_duration_seconds_bucket" in r.text
    for name in (
        "ehealth_holds",
        "ehealth_payments",
        "ehealth_refunds",
        "ehealth_notifications",
        "ehealth_job_lag_seconds",
    ):
        assert f"# TYPE {name}" in r.text, name


async def test_refused_holds_are_counted_by_their_code(client, database):
    def count(text):
        line = next(
            (row for row in text.splitlines() if row.startswith('ehealth_holds_total{outcome="invalid_token"}')), None
        )
        return float(line.rsplit(" ", 1)[1]) if line else 0.0

    _, r = await client.get("/metrics")
    before = count(r.text)
    for _ in range(2):
        _, refused = await client.post("/api/v1/holds", json={"schedule_id": 1, "card_id": "a" * 64})
        assert refused.status == 401 and refused.json["error"]["code"] == "invalid_token"
    _, r = await client.get("/metrics")
    assert count(r.text) == before + 2


async def test_metrics_only_for_configured_networks_or_the_token(deps, database, make_client):
    deps.settings = deps.settings.with_overrides(
        observability={"metrics_networks": ("10.0.0.0/8",), "metrics_token": "scrape-secret-1234"}
    )
    app = create_app(deps=deps)
    local = await make_client(app)  # 127.0.0.1: not in 10.0.0.0/8
    _, r = await local.get("/metrics")
    assert r.status == 404
    _, r = await local.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert r.status == 404
    _, r = await local.get("/metrics", headers={"Authorization": "Bearer scrape-secret-1234"})
    assert r.status == 200 and "ehealth_http_requests_total" in r.text
    _, r = await local.from_ip("10.1.2.3").get("/metrics")
    assert r.status == 200


async def test_metrics_answers_only_its_one_spelling(deps, database, make_client):
    """The proxy denies exactly /metrics (docs/operations.md): every other spelling Sanic would
    route to the same handler must be a stranger's 404 too, even from an allowed address or with
    the token."""
    deps.settings = deps.settings.with_overrides(observability={"metrics_token": "scrape-secret-1234"})
    local = await make_client(create_app(deps=deps))  # 127.0.0.1: in the default networks
    token = {"Authorization": "Bearer scrape-secret-1234"}
    _, r = await local.get("/metrics")
    assert r.status == 200 and "ehealth_http_requests_total" in r.text
    for path in ("/metrics/", "/metrics//", "/metrics///"):
        for headers in ({}, token):
            _, r = await local.get(path, headers=headers)
            assert r.status == 404 and r.json["error"]["code"] == "not_found", (path, r.status)
            assert "ehealth_" not in r.text


async def test_metrics_through_the_proxy_is_judged_by_the_forwarded_client(deps, database, make_client):
    """Behind a proxy on the same host every request comes from loopback; the address the proxy
    forwards is the one the networks are checked against."""
    app = create_app(deps=deps)
    app.config.PROXIES_COUNT = 1
    app.ctx.behind_proxy = True
    local = await make_client(app)
    _, r = await local.get("/metrics")  # a scraper on the host, straight to the worker
    assert r.status == 200
    _, r = await local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert r.status == 404
    _, r = await local.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
    assert r.status == 200


async def test_ready_checks_database_redis_and_draining(client, app, database):
    _, r = await client.get("/api/v1/ready")
    assert r.status == 200 and r.json == {"ready": True, "database": True, "redis": True, "draining": False}
    app.ctx.draining = True
    try:
        _, r = await client.get("/api/v1/ready")
        assert r.status == 503 and r.json["draining"] is True
        _, health = await client.get("/api/v1/health")
        assert health.status == 200  # alive, just not taking new traffic
    finally:
        app.ctx.draining = False


async def test_ready_fails_when_redis_is_unreachable(deps, database, make_client):
    deps.redis = hot.connect("redis://127.0.0.1:1/0", pool_size=2)
    client = await make_client(create_app(deps=deps))
    _, r = await client.get("/api/v1/ready")
    assert r.status == 503 and r.json["redis"] is False and r.json["database"] is True


async def test_embedded_store_sweeps_keys_nobody_reads_again():
    client = hot.connect("")
    server = client.connection_pool.connection_kwargs["server"]
    for i in range(500):
        await client.set(f"eh:sms:ip:{i}", 1, px=30)
    await client.set("eh:keep", 1, ex=60)
    await asyncio.sleep(0.1)
    db = server.dbs[0]
    assert len(db._dict) == 501  # expired, yet still held: nothing touched them
    assert await hot.sweep_expired(client) == 1
    assert len(db._dict) == 1 and await client.get("eh:keep") == "1"
    await client.aclose()


async def test_sweep_leaves_a_real_redis_alone(redis_client):
    assert await hot.sweep_expired(redis_client) == 0


def test_without_the_embedded_extra_the_store_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "fakeredis", None)  # as in a production install: not there
    with pytest.raises(RuntimeError, match=r"\.\[embedded\]"):
        hot.connect("")


def test_fakeredis_is_not_a_production_dependency():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parents[3] / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith("fakeredis")]
    assert any(d.startswith("fakeredis") for d in project["optional-dependencies"]["embedded"])
    assert not [
        d for d in project["dependencies"] if d.split("=")[0].split("[")[0] in ("pytest", "hypothesis", "sanic-testing")
    ]
