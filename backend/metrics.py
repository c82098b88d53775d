"""Prometheus metrics (prometheus-client), served at GET /metrics to the networks in
METRICS_NETWORKS or to a bearer METRICS_TOKEN.

Several workers are several processes: `python -m backend serve` points PROMETHEUS_MULTIPROC_DIR
at a fresh directory before the workers start, each worker writes its samples there, and
/metrics (on whichever worker answers) adds them up. Without that variable (tests, one
process) the default in-process registry is used.

Labels are route patterns, statuses and outcome codes: never a path, an id or anything a
resident typed, so the number of series stays small and no identity data is exported.
"""

from __future__ import annotations

import bisect
import hmac
import ipaddress
import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

REQUESTS = Counter(
    "ehealth_http_requests", "HTTP requests by route pattern, method and status", ["route", "method", "status"]
)
LATENCY = Histogram(
    "ehealth_http_request_duration_seconds", "HTTP request latency by route pattern", ["route"], buckets=LATENCY_BUCKETS
)
HOLDS = Counter("ehealth_holds", "Hold attempts by outcome (placed, or the refusal code)", ["outcome"])
PAYMENTS = Counter(
    "ehealth_payments", "Settled payment notifications by outcome (booked, duplicate, refund reason)", ["outcome"]
)
REFUNDS = Counter("ehealth_refunds", "Refund steps by resulting status", ["status"])
NOTIFICATIONS = Counter(
    "ehealth_notifications",
    "Subscribe messages by outcome (sent, retry, failed, refused, no_allowance, batched, deferred)",
    ["outcome"],
)
NOTIFICATION_REFUSALS = Counter(
    "ehealth_notification_refusals", "Subscribe messages WeChat refused, by errcode", ["errcode", "reason"]
)
SMS = Counter("ehealth_sms", "SMS sends by outcome (sent, failed)", ["outcome"])
WECHAT_TOKEN_FETCHES = Counter(
    "ehealth_wechat_token_fetches", "Access tokens fetched from WeChat (2,000 a day allowed)"
)
JOB_LAG = Gauge(
    "ehealth_job_lag_seconds", "How late the periodic jobs loop started its last round", multiprocess_mode="max"
)
JOB_STEP = Histogram("ehealth_job_step_seconds", "Duration of one periodic job step", ["step"], buckets=LATENCY_BUCKETS)
JOB_FAILURES = Counter("ehealth_job_failures", "Periodic job steps that raised", ["step"])
CHARGES_UNACKNOWLEDGED = Gauge(
    "ehealth_charges_unacknowledged",
    "Paid outpatient charges the hospital has not acknowledged within CHARGE_ACK_OVERDUE_MINUTES",
    multiprocess_mode="max",
)
AUDIT_BACKLOG = Gauge(
    "ehealth_audit_backlog", "Scan audit rows acknowledged but not yet in the database", multiprocess_mode="max"
)

HOLD_ROUTE = "/api/v1/holds"


# Per request, counts go into plain dicts of this worker; at most every FLUSH_S (and before an
# exposition) they are added to the shared metrics in one go. Writing the multiprocess values
# (a locked write to a memory-mapped file per sample) on every request cost more than a no-op
# request itself.
FLUSH_S = 1.0
_requests: dict[tuple, int] = {}
_latency: dict[str, list] = {}  # route -> [count per bucket (+Inf last)..., sum]
_holds: dict[str, int] = {}
_flushed_at = 0.0


def observe_request(request, *, route: str, status: int, seconds: float, response) -> None:
    key = (route, request.method, status)
    _requests[key] = _requests.get(key, 0) + 1
    buckets = _latency.get(route)
    if buckets is None:
        buckets = _latency[route] = [0] * (len(LATENCY_BUCKETS) + 2)
    buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
    buckets[-1] += seconds
    if route == HOLD_ROUTE and request.method == "POST":
        outcome = (
            "placed"
            if status == 201
            else getattr(getattr(request, "ctx", None), "refusal", None) or _error_code(response)
        )
        _holds[outcome] = _holds.get(outcome, 0) + 1
    if time.monotonic() - _flushed_at >= FLUSH_S:
        flush()


def flush() -> None:
    global _flushed_at
    _flushed_at = time.monotonic()
    requests, latency, holds = dict(_requests), {r: list(b) for r, b in _latency.items()}, dict(_holds)
    _requests.clear()
    _latency.clear()
    _holds.clear()
    for (route, method, status), n in requests.items():
        REQUESTS.labels(route, method, str(status)).inc(n)
    for route, counts in latency.items():
        child = LATENCY.labels(route)
        # prometheus-client keeps per-bucket (not cumulative) values and sums them when exported
        for i, n in enumerate(counts[:-1]):
            if n:
                child._buckets[i].inc(n)
        child._sum.inc(counts[-1])
    for outcome, n in holds.items():
        HOLDS.labels(outcome).inc(n)


def _error_code(response) -> str:
    # only refused holds get here; their body is a small {"error": {"code": ...}}
    import ujson

    try:
        return str(ujson.loads(response.body)["error"]["code"])[:40]
    except Exception:  # not our error shape (a proxy's, say)
        return f"http_{response.status}"


def exposition() -> bytes:
    flush()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


PATH = "/metrics"


def allowed(request, settings) -> bool:
    # Only the one spelling: the proxy's rule (docs/operations.md) denies exactly /metrics, so a
    # variant it lets through (/metrics/, /metrics//) must not reach the samples either.
    if request.path != PATH:
        return False
    token = settings.observability.metrics_token
    given = request.headers.get("authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    # The client's address: the peer's, or behind a proxy the address the proxy forwarded (a
    # request through the proxy comes from the proxy's own address, often loopback, which must
    # not pass for a scraper's; a scraper goes to the workers directly and forwards nothing).
    address = request.ip or ""
    if getattr(request.app.ctx, "behind_proxy", False) and request.remote_addr:
        address = request.remote_addr
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in settings.observability.metrics_networks:
        try:
            if peer in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def install(app) -> None:
    from sanic.response import raw

    from backend.errors import NotFound

    async def metrics_endpoint(request):
        if not allowed(request, request.app.ctx.deps.settings):
            # as if it did not exist: nothing to learn for a stranger
            raise NotFound("not found")
        return raw(exposition(), content_type=CONTENT_TYPE_LATEST)

    from sanic_ext import openapi

    # Sanic routes /metrics/ and /metrics// here too (strict_slashes does not hold once sanic-ext
    # adds its HEAD route to the path): `allowed` refuses every spelling but PATH itself.
    app.add_route(openapi.exclude()(metrics_endpoint), PATH, methods=["GET"], name="metrics")


def prepare_multiprocess(directory: str) -> None:
    """Called by the serving process before the workers start: a clean directory for their
    samples (files of a previous run would add up with this one's)."""
    import glob

    os.makedirs(directory, exist_ok=True)
    for stale in glob.glob(os.path.join(directory, "*.db")):  # only prometheus-client's own files
        os.remove(stale)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
