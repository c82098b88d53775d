"""The real app, served as `python -m backend` serves it, plus one slow route: for the graceful
shutdown test (a request in flight when SIGTERM arrives). Run: python -m tests.e2e.slow_app"""

import asyncio

from sanic import Sanic, json
from sanic.worker.loader import AppLoader

from backend import db, logs
from backend.app import create_app
from backend.config import load_settings


def factory():
    app = create_app(load_settings())

    @app.get("/slow")
    async def slow(request):
        await asyncio.sleep(float(request.args.get("s", "2")))
        return json({"done": True})

    return app


def main() -> None:
    settings = load_settings()
    logs.setup(settings.observability.log_level, settings.observability.log_format)
    asyncio.run(db.migrate(settings.database.url))
    import os
    import tempfile

    from backend import metrics

    metrics.prepare_multiprocess(os.path.join(tempfile.gettempdir(), f"ehealth-metrics-{os.getpid()}"))
    loader = AppLoader(factory=factory)
    app = loader.load()
    app.prepare(host="127.0.0.1", port=settings.app.port, workers=1, motd=False)
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
