"""Logging set-up for the main process and every worker (Sanic starts workers as new processes),
and the per-request line: request id, route, status, latency.

Production writes JSON lines (LOG_FORMAT=json) that a log shipper can read without parsing
prose; development keeps plain text. Either way every record passes the identity scrubber of
backend.privacy.masking first, and the request line names the route pattern, never the path.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from contextvars import ContextVar
from datetime import datetime, timezone

from backend.privacy.masking import install_log_scrubbing

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
access = logging.getLogger("ehealth.access")

# An id given by the client or a proxy is kept only if it is plainly an id: anything else (long,
# spaces, quotes) could be used to forge or flood log lines.
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "sanic.websockets")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id if any, and the
    fields a record carries in `extra={"fields": {...}}`. Chinese stays readable (and is as
    scrubbed as any other text)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            line["request_id"] = rid
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Log lines are stamped in UTC, ISO-8601 with a Z, whatever the host's TZ (API times carry
    +08:00 offsets; a reader never has to guess the zone of either)."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = getattr(record, "fields", None)
        if fields:
            text += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        rid = request_id.get()
        return f"{text} [{rid}]" if rid is not None else text


def setup(level: str = "INFO", fmt: str = "text") -> None:
    install_log_scrubbing()
    root = logging.getLogger()
    formatter = JsonFormatter() if fmt == "json" else TextFormatter()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler._ehealth = True  # ours: reformatted when a worker sets up again
        root.addHandler(handler)
    for handler in root.handlers:
        if getattr(handler, "_ehealth", False):
            handler.setFormatter(formatter)
    root.setLevel(level)
    for name in SANIC_LOGGERS:
        logger = logging.getLogger(name)
        if fmt == "json":
            # Sanic's own handlers print prose (and colours): in JSON mode everything goes
            # through the root handler instead.
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            logger.propagate = True
        elif logger.handlers:  # Sanic writes these itself; do not print them twice
            logger.propagate = False
        for handler in logger.handlers:  # and in UTC too, like ours
            if handler.formatter is not None:
                handler.formatter.converter = time.gmtime
    logging.getLogger("ehealth").setLevel(level)


def _incoming_id(request) -> str:
    given = request.headers.get("x-request-id", "")
    return given if REQUEST_ID_RE.fullmatch(given) else os.urandom(16).hex()  # uuid4() costs 5x more


def route_of(request) -> str:
    route = request.route
    return "/" + route.path if route is not None else "unmatched"


def install(app, *, headers: tuple[tuple[str, str], ...] = ()) -> None:
    """Request ids (X-Request-ID accepted and returned), one log line per request, and the
    request metrics of backend.metrics, from one pair of middleware. `headers` (the browser
    hardening of backend.security_headers) are set on every response by the same middleware:
    one more middleware would cost every hold a coroutine call."""
    from backend import metrics

    @app.on_request(priority=1000)
    async def start_request(request):
        request.ctx.started = time.perf_counter()
        request.ctx.request_id = rid = _incoming_id(request)
        request_id.set(rid)

    @app.on_response(priority=-1000)
    async def finish_request(request, response):
        started = getattr(request.ctx, "started", None)
        rid = getattr(request.ctx, "request_id", None) or _incoming_id(request)
        response.headers["X-Request-ID"] = rid
        for name, value in headers:
            response.headers[name] = value
        if started is None:  # refused before the request middleware ran
            return
        seconds = time.perf_counter() - started
        route = route_of(request)
        metrics.observe_request(request, route=route, status=response.status, seconds=seconds, response=response)
        if access.isEnabledFor(logging.INFO):
            access.info(
                "%s %s %s",
                request.method,
                route,
                response.status,
                extra={
                    "fields": {
                        "method": request.method,
                        "route": route,
                        "status": response.status,
                        "latency_ms": round(seconds * 1000, 2),
                        "request_id": rid,
                    }
                },
            )
