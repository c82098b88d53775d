"""Sanic serves the built SPA: index.html for the app's history-mode routes, the hashed assets,
a clear 503 page before the first build, and never anything under /api."""

from __future__ import annotations

import itertools

import pytest
from sanic import Sanic, json

from backend.webapp import views as webapp
from tests.asgi import AppClient

_n = itertools.count()


async def _client(dist):
    app = Sanic(f"webapp_test_{next(_n)}")

    @app.get("/api/v1/ping")
    async def ping(request):
        return json({"ok": True})

    webapp.install(app, dist=dist)
    return await AppClient(app).start()


@pytest.fixture
def dist(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><div id="app"></div>')
    (tmp_path / "assets" / "index-abc.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return tmp_path


async def test_history_routes_get_the_index_and_the_api_is_not_shadowed(dist):
    client = await _client(dist)
    try:
        for path in ("/", "/staff", "/staff/display/3", "/admin", "/admin/schedules", "/bookings/12", "/cards/abc"):
            _, response = await client.get(path)
            assert response.status == 200 and 'id="app"' in response.text, path
        _, asset = await client.get("/assets/index-abc.js")
        assert asset.status == 200 and asset.text == "console.log(1)"
        _, ping = await client.get("/api/v1/ping")
        assert ping.json == {"ok": True}
        for path in ("/api/v1/nothing", "/unknown", "/assets/missing.js"):
            _, response = await client.get(path)
            assert response.status == 404, path
        _, docs_asset = await client.get("/docs/assets/swagger-ui-bundle.js")
        assert docs_asset.status == 200 and "SwaggerUIBundle" in docs_asset.text
    finally:
        await client.close()


async def test_before_the_first_build_the_pages_say_so(tmp_path):
    client = await _client(tmp_path / "missing")
    try:
        _, response = await client.get("/staff")
        assert response.status == 503 and "scripts/run" in response.text
    finally:
        await client.close()
