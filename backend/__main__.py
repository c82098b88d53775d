"""`python -m backend [serve|migrate|seed] ...`

serve (default): in dev, applies migrations and seeds demo data first, then serves on PORT.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from functools import partial

from backend import logs
from backend.config import ConfigError, ObservabilitySettings, load_settings

# The app, Sanic and the ORM are imported by the commands that use them: a start that the
# settings refuse (production with a development part) stops in a fraction of the time.


def _serve(settings, *, host: str, workers: int) -> None:
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    # each worker is a process; their metrics meet in one directory (backend.metrics)
    from backend import metrics
    from backend.app import create_app

    metrics.prepare_multiprocess(
        os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        or os.path.join(tempfile.gettempdir(), f"ehealth-metrics-{os.getpid()}")
    )
    loader = AppLoader(factory=partial(create_app, settings))
    app = loader.load()
    app.prepare(host=host, port=settings.app.port, workers=workers, access_log=settings.app.env != "prod", motd=False)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(
        f"\n  E-health service ({settings.app.env}) on http://{shown}:{settings.app.port}/\n"
        f"  API docs:  http://{shown}:{settings.app.port}/docs\n"
        f"  health:    http://{shown}:{settings.app.port}/api/v1/health\n",
        flush=True,
    )
    Sanic.serve(primary=app, app_loader=loader)


async def _prepare_dev(settings) -> None:
    from backend import db

    await db.migrate(settings.database.url)
    if settings.app.demo_data:
        from backend.demo import seed

        await seed(settings)


async def _rebuild(settings) -> None:
    from backend import db
    from backend import redis as hot
    from backend.booking.service import rebuild_stock
    from backend.deps import build_deps

    if not settings.redis.url:
        print("the embedded store lives inside the server; it rebuilds itself at start-up", file=sys.stderr)
        return
    await db.init(settings.database.url)
    client = hot.connect(settings.redis.url)
    try:
        deps = build_deps(settings, client)
        await deps.scripts.load()
        print(await rebuild_stock(deps))
    finally:
        await hot.close(client)
        await db.close()


async def _reencrypt(settings) -> None:
    import json

    from backend import db
    from backend.cards.reencrypt import reencrypt_cards
    from backend.privacy.crypto import from_settings

    await db.init(settings.database.url)
    try:
        print(json.dumps(await reencrypt_cards(from_settings(settings))))
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend")
    parser.add_argument(
        "command", nargs="?", default="serve", choices=["serve", "migrate", "seed", "rebuild-stock", "reencrypt"]
    )
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "1")))
    args = parser.parse_args(argv)
    observability = ObservabilitySettings.from_environ(os.environ)  # logs are set up before the rest is checked
    logs.setup(observability.log_level, observability.log_format)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2

    if args.command == "migrate":
        from backend import db

        asyncio.run(db.migrate(settings.database.url))
        return 0
    if args.command == "seed":
        from backend.demo import seed

        asyncio.run(seed(settings))
        return 0
    if args.command == "reencrypt":  # after a CRYPTO_KEYS rotation
        asyncio.run(_reencrypt(settings))
        return 0
    if args.command == "rebuild-stock":
        asyncio.run(_rebuild(settings))
        return 0
    if settings.app.env == "dev":
        asyncio.run(_prepare_dev(settings))
    if settings.app.env != "prod" and args.workers > 1 and not settings.redis.url:
        print("the embedded hold store serves one worker; set REDIS_URL for more", file=sys.stderr)
        return 2
    _serve(settings, host=args.host, workers=args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
