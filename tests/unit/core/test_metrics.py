"""Request metrics are counted per worker and flushed in bulk: the export must be the same as
observing each request one by one."""

import re
from types import SimpleNamespace

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from backend import metrics

SECONDS = [0.0005, 0.002, 0.0021, 0.005, 0.01, 0.3, 7.0, 2.5, 1.0, 0.002]


def _without_created(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "_created" not in line)


def test_bulk_flush_exports_what_one_by_one_observation_would(monkeypatch):
    direct, bulk = CollectorRegistry(), CollectorRegistry()
    one_by_one = Histogram(
        "ehealth_http_request_duration_seconds", "x", ["route"], buckets=metrics.LATENCY_BUCKETS, registry=direct
    )
    flushed = Histogram(
        "ehealth_http_request_duration_seconds", "x", ["route"], buckets=metrics.LATENCY_BUCKETS, registry=bulk
    )
    metrics.flush()  # whatever earlier tests' requests left goes to the real metrics first
    monkeypatch.setattr(metrics, "LATENCY", flushed)
    monkeypatch.setattr(metrics, "FLUSH_S", 3600.0)
    request = SimpleNamespace(method="GET")
    for s in SECONDS:
        one_by_one.labels("/api/v1/ping").observe(s)
        metrics.observe_request(request, route="/api/v1/ping", status=200, seconds=s, response=None)
    assert _without_created(generate_latest(bulk).decode()) != _without_created(
        generate_latest(direct).decode()
    )  # not yet flushed
    metrics.flush()
    assert _without_created(generate_latest(bulk).decode()) == _without_created(generate_latest(direct).decode())


def test_refused_holds_are_counted_by_their_error_code(monkeypatch):
    monkeypatch.setattr(metrics, "FLUSH_S", 3600.0)
    metrics.flush()

    def value(outcome):
        match = re.search(rf'ehealth_holds_total{{outcome="{outcome}"}} (\S+)', metrics.exposition().decode())
        return float(match.group(1)) if match else 0.0

    before_sold_out, before_placed = value("sold_out"), value("placed")
    post = SimpleNamespace(method="POST")
    metrics.observe_request(
        post,
        route=metrics.HOLD_ROUTE,
        status=409,
        seconds=0.01,
        response=SimpleNamespace(status=409, body=b'{"error": {"code": "sold_out", "message": "x"}}'),
    )
    metrics.observe_request(
        post, route=metrics.HOLD_ROUTE, status=201, seconds=0.01, response=SimpleNamespace(status=201, body=b"{}")
    )
    assert value("sold_out") == before_sold_out + 1 and value("placed") == before_placed + 1
    # the hold view names its refusal on the request; the body is then not read again
    before_limit = value("limit_exceeded")
    named = SimpleNamespace(method="POST", ctx=SimpleNamespace(refusal="limit_exceeded"))
    metrics.observe_request(
        named,
        route=metrics.HOLD_ROUTE,
        status=429,
        seconds=0.01,
        response=SimpleNamespace(status=429, body=b"not json"),
    )
    assert value("limit_exceeded") == before_limit + 1
