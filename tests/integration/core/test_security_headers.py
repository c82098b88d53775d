"""Browser-hardening headers on every response (pages, files, docs, API, errors), HSTS in
production only, and pages without inline scripts or styles (the policy would refuse them)."""

from __future__ import annotations

from html.parser import HTMLParser

from backend.app import create_app
from backend.security_headers import CONTENT_SECURITY_POLICY

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PATHS = (
    "/",
    "/staff",
    "/admin/schedules",
    "/docs",
    "/docs/",
    "/docs/swagger",
    "/docs/openapi.json",
    "/docs/assets/swagger-ui-bundle.js",
    "/docs/assets/swagger-ui.css",
    "/docs/page/swagger-init.js",
    "/docs/page/swagger-page.css",
    "/api/v1/health",
    "/api/v1/no-such-route",
    "/api/v1/auth/me",
    "/metrics/",
)


def directives(policy: str) -> dict[str, str]:
    out = {}
    for part in filter(None, (p.strip() for p in policy.split(";"))):
        name, _, value = part.partition(" ")
        out[name] = value.strip()
    return out


class InlineFinder(HTMLParser):
    """Whatever in a page would need 'unsafe-inline': script elements with content or without a
    src, style elements, style attributes, on* handlers and javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not named.get("src"):
                self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"{tag} {name}= attribute")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}=javascript:")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append("inline script text")


def inline_parts(page: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(page)
    return finder.found


def test_the_policy_is_the_strict_one():
    got = directives(CONTENT_SECURITY_POLICY)
    for name, value in POLICY.items():
        assert got[name] == value, name
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY


def test_the_inline_finder_finds_what_the_policy_refuses():
    assert inline_parts('<script src="/a.js"></script><link rel="stylesheet" href="/a.css">') == []
    assert inline_parts("<script>alert(1)</script>")
    assert inline_parts('<script type="module">import "/a.js"</script>')
    assert inline_parts("<style>body{}</style>")
    assert inline_parts('<body style="margin:0">')
    assert inline_parts('<img src="x" onerror="alert(1)">')
    assert inline_parts('<a href="javascript:alert(1)">x</a>')


async def test_every_response_carries_the_headers(client, database):
    for path in PATHS:
        _, r = await client.get(path)
        assert r.headers.get("content-security-policy") == CONTENT_SECURITY_POLICY, (path, r.status)
        assert r.headers.get("x-content-type-options") == "nosniff", path
        assert r.headers.get("referrer-policy") == "no-referrer", path
        assert "strict-transport-security" not in r.headers, path  # not in development or tests
    # refusals too: a body the API does not read, a method a route does not have
    _, r = await client.post("/api/v1/auth/wx-login", content=b"x", headers={"Content-Type": "text/plain"})
    assert r.status == 415 and r.headers["x-content-type-options"] == "nosniff"
    _, r = await client.request("DELETE", "/api/v1/health")
    assert r.status == 405 and r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_the_docs_page_has_no_inline_script_or_style(client, database):
    for path in ("/docs", "/docs/swagger"):
        _, r = await client.get(path)
        assert r.status == 200 and "html" in r.headers["content-type"]
        assert inline_parts(r.text) == [], path
        assert 'data-spec-url="/docs/openapi.json"' in r.text
        assert '<script src="/docs/page/swagger-init.js">' in r.text
    _, script = await client.get("/docs/page/swagger-init.js")
    assert script.status == 200 and "javascript" in script.headers["content-type"]
    assert "SwaggerUIBundle(" in script.text and "data-spec-url" in script.text
    _, css = await client.get("/docs/page/swagger-page.css")
    assert css.status == 200 and css.headers["content-type"].startswith("text/css")


async def test_the_web_app_page_has_no_inline_script_or_style(client, database):
    _, r = await client.get("/")
    # the built app (web/dist/index.html) or the page saying it is not built yet: neither inline
    assert r.status in (200, 503)
    assert inline_parts(r.text) == []


async def test_production_adds_strict_transport_security(deps, database, make_client):
    deps.settings = deps.settings.with_overrides(app={"env": "prod"})
    prod = await make_client(create_app(deps=deps))
    for path in ("/", "/docs", "/api/v1/health", "/api/v1/no-such-route"):
        _, r = await prod.get(path)
        assert r.headers.get("strict-transport-security") == "max-age=31536000; includeSubDomains", path
        assert r.headers.get("content-security-policy") == CONTENT_SECURITY_POLICY
