from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend import db
from backend import redis as hot
from backend.clock import clock, iso

bp = Blueprint("health")


@bp.get("/health")
@openapi.summary("Service status: database and Redis reachability")
async def health(request: Request):
    deps = request.app.ctx.deps
    database_ok = await db.ping()
    redis_ok = await hot.ping(deps.redis)
    body = {
        "status": "ok" if database_ok and redis_ok else "degraded",
        "env": deps.settings.app.env,
        "database": {
            "ok": database_ok,
            "engine": "postgresql" if db.is_postgres(deps.settings.database.url) else "sqlite",
        },
        "redis": {"ok": redis_ok, "mode": hot.mode(deps.redis)},
        "time": iso(clock.now()),
    }
    return json(body, status=200 if database_ok and redis_ok else 503)


@bp.get("/ping")
@openapi.summary("No-op: the request-handling ceiling, for benchmarks")
async def ping(request: Request):
    return json({"ok": True})


@bp.get("/ready")
@openapi.summary("Readiness: 200 when the database and Redis answer and the worker is not shutting down")
async def ready(request: Request):
    # /health says the process lives; /ready says send it traffic. A load balancer takes a
    # worker out as soon as it starts draining, before its in-flight requests are done.
    deps = getattr(request.app.ctx, "deps", None)
    if deps is None:  # still starting: not ready, rather than an error
        return json({"ready": False, "database": False, "redis": False, "draining": False}, status=503)
    draining = bool(getattr(request.app.ctx, "draining", False))
    database_ok = await db.ping()
    redis_ok = await hot.ping(deps.redis)
    ok = database_ok and redis_ok and not draining
    body = {"ready": ok, "database": database_ok, "redis": redis_ok, "draining": draining}
    return json(body, status=200 if ok else 503)
