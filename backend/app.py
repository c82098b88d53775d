"""Sanic application factory."""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import logging
import re
from functools import partial
from urllib.parse import unquote

import ujson
from sanic import Sanic
from sanic_ext import Extend
from sanic_ext.config import PRIORITY as SANIC_EXT_PRIORITY
from sanic_ext.extensions.http.extension import HTTPExtension
from sanic_ext.extensions.openapi.extension import OpenAPIExtension

from backend import db, edge, http, jobs, logs, metrics, openapi_doc, security_headers
from backend import redis as hot
from backend.api import api_v1
from backend.booking.service import rebuild_stock
from backend.config import Settings, load_settings
from backend.deps import Deps, build_deps
from backend.fhir import views as fhir
from backend.releases import service as release_rooms
from backend.text import fold_digits
from backend.webapp import views as webapp

log = logging.getLogger("ehealth")
_names = itertools.count()


ROW_ID = re.compile(r"[1-9][0-9]{0,8}")


def row_id(segment: str) -> int:
    if not ROW_ID.fullmatch(segment):
        raise ValueError("not a row id")
    return int(segment)


YMD = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def ymd_date(segment: str) -> dt.date:
    """A date in a path, by the service's digit rule (backend.text): NFKC, then ASCII digits
    only (Sanic's own `ymd` reads any script's digits). The router hands the segment over still
    percent-encoded."""
    folded = fold_digits(unquote(segment))
    if not YMD.fullmatch(folded):
        raise ValueError("not a date")
    return dt.date.fromisoformat(folded)


def _batch_auto_route_signals(app: Sanic) -> None:
    """sanic-ext adds a HEAD and an OPTIONS route per path at start-up, each inside `app.amend()`,
    which rebuilds the signal router after every single route: hundreds of rebuilds, seconds per
    worker start. With the signal router left open around those additions (the listeners right
    before and after sanic-ext's), it is built once."""
    reopened = False

    @app.before_server_start(priority=SANIC_EXT_PRIORITY + 1)
    def _open_signal_router(app):
        nonlocal reopened
        reopened = app.signal_router.finalized
        if reopened:
            app.signal_router.reset()

    @app.before_server_start(priority=SANIC_EXT_PRIORITY - 1)
    def _close_signal_router(app):
        if reopened and not app.signal_router.finalized:
            app.signalize(app.config.TOUCHUP)


def create_app(settings: Settings | None = None, *, deps: Deps | None = None) -> Sanic:
    """Build the app. With `deps` given (tests), the caller owns the database and Redis; without,
    the app opens them in each worker and closes them on shutdown."""
    settings = settings or (deps.settings if deps else load_settings())
    name = "ehealth" if deps is None else f"ehealth_test_{next(_names)}"
    # Chinese names stay readable in responses; ujson is Sanic's own fast encoder.
    app = Sanic(name, dumps=partial(ujson.dumps, ensure_ascii=False, escape_forward_slashes=False), loads=ujson.loads)
    # Only the sanic-ext parts in use: dependency injection would add a signal dispatch, and CORS
    # a response middleware, to every request, including each hold at 13:00. The web app is
    # served from this origin, so it needs no CORS.
    webapp.prepare_docs(app)  # /docs from local files
    Extend(app, built_in_extensions=False, extensions=[OpenAPIExtension, HTTPExtension], config={"cors": False})
    _batch_auto_route_signals(app)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.REQUEST_MAX_SIZE = 8 * 1024 * 1024
    app.config.OAS_UI_DEFAULT = "swagger"
    app.config.OAS_URL_PREFIX = "/docs"
    app.config.ACCESS_LOG = settings.app.env != "prod"
    app.ext.openapi.describe(
        "E-health card and appointment service",
        version="1",
        description="Residents' electronic health cards, family members, QR codes, appointments, "
        'payments, queues and inpatient bills. Errors are `{"error": {"code", "message"}}`.',
    )
    app.ext.openapi.add_security_scheme("bearer", "http", scheme="bearer")
    edge.install(app)
    # request ids, one log line and the metrics per request, and the browser-hardening headers
    logs.install(app, headers=security_headers.headers_for(settings))
    metrics.install(app)
    app.ctx.behind_proxy = http.behind_proxy(app)
    # Database ids in paths: a positive number that fits the id columns, or the route does not
    # match (404) - rather than a number too large for the database to even compare. Sanic uses
    # only the cast of a registered type to decide, so the cast itself refuses.
    app.router.register_pattern("id", row_id, ROW_ID)
    app.router.register_pattern("ymd", ymd_date, YMD)
    app.blueprint(api_v1(dev_helpers=settings.dev_helpers))
    app.blueprint(fhir.bp)  # /fhir/R4, read-only, beside the API
    webapp.install(app)  # the SPA at /, /staff, /admin and the docs' assets
    openapi_doc.install(app)  # the complete OpenAPI document at /docs

    if deps is not None:
        app.ctx.deps = deps
        return app

    @app.before_server_start
    async def open_resources(app):
        logs.setup(settings.observability.log_level, settings.observability.log_format)
        await db.init(settings.database.url)
        client = hot.connect(settings.redis.url, pool_size=settings.redis.pool_size)
        standin = None
        if settings.dev_helpers and not settings.wechat.api_base:
            from backend.dev.standins import WeChatStandIn  # dev/test only: never loaded in production

            standin = WeChatStandIn(
                env=settings.app.env, appid=settings.wechat.appid, secret=settings.wechat.secret
            ).start()
        app.ctx.deps = build_deps(settings, client, standin=standin)
        await app.ctx.deps.scripts.load()
        # Start-up check: a Redis that lost schedules (restart, flush) gets them back from the
        # database before the first hold is served.
        await rebuild_stock(app.ctx.deps, only_missing=True)
        # the release rooms' settings, before any room opens (see backend/releases/service.py)
        await release_rooms.prime(app.ctx.deps)
        jobs.start(app, app.ctx.deps)
        # Everything loaded so far lives as long as the worker: keep the cyclic GC from
        # rescanning it during request bursts. (The young generation's threshold stays the
        # default. Raised to 50,000 it saved about 3 us a hold; the Redis restart failures seen
        # with it then, a session write on a connection the old server had closed, came from the
        # Redis pool, fixed in backend/redis.py: with it raised the restart test of
        # tests/faults/test_store_outages.py now passes 20 runs of 20.)
        gc.freeze()

    @app.before_server_stop
    async def stop_jobs(app):
        app.ctx.draining = True  # /ready answers 503 from now on
        await jobs.stop(app)

    @app.after_server_stop
    async def close_resources(app):
        deps = app.ctx.deps
        if deps.pay is not None:
            await deps.pay.aclose()
        await hot.close(deps.redis)
        if deps.standin is not None:
            deps.standin.stop()
        await db.close()

    return app
