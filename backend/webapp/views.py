"""The web app (web/, built by Vite into web/dist) and the offline API docs, served by Sanic.

The single-page app uses history-mode routes: `/`, `/staff/...` and `/admin/...` all answer
index.html and the app's router takes over. `/api/...` and `/docs...` are never shadowed."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from sanic import Request, Sanic, html
from sanic.response import file
from sanic_ext import openapi

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
SWAGGER = Path(swagger_ui_bundle.swagger_ui_path)
SPA_PREFIXES = (
    "staff",
    "admin",
    "cards",
    "family",
    "book",
    "bookings",
    "bills",
    "scans",
    "messages",
    "login",
    "reports",
)

# no inline style: the Content-Security-Policy (backend/security_headers.py) would refuse it
NOT_BUILT = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>电子健康卡</title>
<body><h1>网页端尚未构建</h1>
<p>Run <code>scripts/run</code> (it builds <code>web/</code>), or
<code>cd web &amp;&amp; npm ci &amp;&amp; npx vite build</code>.</p>
<p>API: <a href="/api/v1/health">/api/v1/health</a> · docs: <a href="/docs">/docs</a></p></body></html>"""


def prepare_docs(app: Sanic) -> None:
    """Before sanic-ext starts: its Swagger page loads from a CDN; ours loads the same Swagger UI
    from the swagger-ui-bundle package, so /docs works without internet."""
    app.config.OAS_PATH_TO_SWAGGER_HTML = str(Path(__file__).with_name("swagger.html"))
    app.config.OAS_UI_REDOC = False  # Redoc only comes from a CDN
    app.config.OAS_UI_DEFAULT = "swagger"


HERE = Path(__file__).resolve().parent
# the docs page's own script and style, as files (the policy allows no inline ones)
DOCS_PAGE_FILES = {"swagger-init.js": "text/javascript", "swagger-page.css": "text/css"}


def install(app: Sanic, *, dist: Path = DIST) -> None:
    @app.before_server_start
    async def serve_oauth2_redirect_locally(app):
        # sanic-ext answers its Swagger OAuth2 redirect page by downloading it from a CDN at run
        # time; the swagger-ui-bundle package ships the same page
        for route in app.router.routes:
            if route.name.endswith("oauth2-redirect"):
                route.handler = _oauth2_redirect

    app.static("/docs/assets", SWAGGER, name="docs_assets")
    for filename, content_type in DOCS_PAGE_FILES.items():
        app.static(
            f"/docs/page/{filename}",
            HERE / filename,
            name=f"docs_page_{filename.split('.')[0]}",
            content_type=content_type,
        )
    if (dist / "assets").is_dir():
        app.static("/assets", dist / "assets", name="web_assets")
    index = dist / "index.html"

    @openapi.exclude()  # pages, not API: kept out of the OpenAPI document
    async def spa(request: Request, rest: str = ""):
        if not index.is_file():
            return html(NOT_BUILT, status=503)
        return await file(index, headers={"Cache-Control": "no-cache"})

    app.add_route(spa, "/", name="web_index")
    for prefix in SPA_PREFIXES:
        app.add_route(spa, f"/{prefix}", name=f"web_{prefix}")
        app.add_route(spa, f"/{prefix}/<rest:path>", name=f"web_{prefix}_deep")

    @openapi.exclude()
    async def favicon(request: Request):
        return await file(dist / "favicon.svg", headers={"Cache-Control": "max-age=86400"})

    if (dist / "favicon.svg").is_file():
        app.add_route(favicon, "/favicon.svg", name="web_favicon")


async def _oauth2_redirect(request: Request, **_):
    return await file(SWAGGER / "oauth2-redirect.html", headers={"Cache-Control": "max-age=86400"})
