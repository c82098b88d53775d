"""The production app plus one benchmark-only route: a hold done the naive way, as a PostgreSQL
conditional UPDATE (session look-up, card ownership, `UPDATE ... SET used = used + 1 WHERE used <
capacity`, insert of the hold) in one transaction. Used by scripts/bench_release.py as the
baseline; never part of the product.

    python scripts/bench_server.py --workers 2      (settings from the environment, APP_ENV=prod)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sanic import Blueprint, Request, Sanic, json  # noqa: E402
from sanic.worker.loader import AppLoader  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.config import load_settings  # noqa: E402
from backend.identity.rules import bearer_token, token_hash  # noqa: E402

baseline = Blueprint("bench_baseline", url_prefix="/bench")

TABLES = """
CREATE TABLE IF NOT EXISTS bench_stock (schedule_id INT PRIMARY KEY, capacity INT NOT NULL,
    used INT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS bench_holds (id SERIAL PRIMARY KEY, schedule_id INT NOT NULL, card_pk INT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL, UNIQUE (schedule_id, card_pk));
"""


@baseline.post("/pg-hold")
async def pg_hold(request: Request):
    token = bearer_token(request.headers.get("authorization"))
    body = request.json or {}
    schedule_id, card_id = int(body.get("schedule_id", 0)), str(body.get("card_id", ""))
    if token is None:
        return json({"error": {"code": "unauthorized", "message": "token"}}, status=401)
    async with request.app.ctx.pg.acquire() as conn:
        async with conn.transaction():
            account_id = await conn.fetchval(
                "SELECT account_id FROM sessions WHERE token_hash=$1 AND revoked_at IS NULL AND expires_at > now()",
                token_hash(token),
            )
            if account_id is None:
                return json({"error": {"code": "unauthorized", "message": "token"}}, status=401)
            card_pk = await conn.fetchval(
                "SELECT c.id FROM cards c WHERE c.card_id=$1 AND (c.owner_id=$2 OR EXISTS (SELECT 1 FROM "
                "family_links f "
                "WHERE f.card_id=c.id AND f.account_id=$2 AND f.removed_at IS NULL))",
                card_id,
                account_id,
            )
            if card_pk is None:
                return json({"error": {"code": "card_not_found", "message": "card"}}, status=404)
            used = await conn.fetchval(
                "UPDATE bench_stock SET used = used + 1 WHERE schedule_id=$1 AND used < capacity RETURNING used",
                schedule_id,
            )
            if used is None:
                return json({"error": {"code": "sold_out", "message": "no slots left"}}, status=409)
            hold = await conn.fetchval(
                "INSERT INTO bench_holds (schedule_id, card_pk, expires_at) VALUES ($1, $2, now() + interval "
                "'10 minutes') "
                "ON CONFLICT DO NOTHING RETURNING id",
                schedule_id,
                card_pk,
            )
            if hold is None:
                raise AlreadyHeld()  # rolls the stock update back
    return json({"hold_id": hold, "schedule_id": schedule_id}, status=201)


@baseline.post("/post-noop")
async def post_noop(request: Request):
    """A hold-shaped no-op: same request body parsing and validation, same-sized answer, no I/O."""
    from backend.booking.views import NewHold
    from backend.http import validate_model

    body = validate_model(NewHold, request.json)
    return json(
        {
            "hold_id": "0" * 24,
            "expires_at": "2026-12-13T13:10:00+08:00",
            "amount_fen": 1500,
            "kind": "ordinary",
            "schedule_id": body.schedule_id,
            "card_id": body.card_id,
        },
        status=201,
    )


class AlreadyHeld(Exception):
    pass


def make_app() -> Sanic:
    settings = load_settings()
    app = create_app(settings)
    app.blueprint(baseline)

    @app.before_server_start
    async def open_pool(app):
        import asyncpg

        app.ctx.pg = await asyncpg.create_pool(settings.database.url.split("?")[0], min_size=4, max_size=20)

    @app.after_server_stop
    async def close_pool(app):
        await app.ctx.pg.close()

    @app.exception(AlreadyHeld)
    async def already_held(request, exc):
        return json({"error": {"code": "already_held", "message": "held"}}, status=409)

    return app


if __name__ == "__main__":
    from sanic.worker.manager import WorkerManager

    # Sanic stops the server when a worker has not started within 30 s; on a 2-core machine that
    # other work keeps busy, starting one (imports, the stock check) can take longer
    WorkerManager.THRESHOLD = 1200  # in tenths of a second
    workers = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 2
    loader = AppLoader(factory=make_app)
    app = loader.load()
    app.prepare(
        host="127.0.0.1", port=int(os.environ.get("PORT", "8000")), workers=workers, access_log=False, motd=False
    )
    Sanic.serve(primary=app, app_loader=loader)
