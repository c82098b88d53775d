"""Browser hardening, in Debian's headless chromium against the real dev server:
- the Content-Security-Policy is enforced on the web app's pages and on /docs, and nothing they
  do violates it (securitypolicyviolation events and console messages are watched; a planted
  inline script shows the watch works);
- the staff console keeps the terminal secret only as a non-extractable CryptoKey: page script
  cannot read it back, yet scans are signed and verify on the server;
- resident and operator tokens leave storage on logout and on a 401."""

from __future__ import annotations

import json
import uuid

import httpx

from tests.e2e.web.conftest import ARTIFACTS, ROOT
from tests.integration.core.test_security_headers import inline_parts

ADMIN = {"Authorization": "Bearer dev-admin-token"}
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '')));
"""


def _csp_page(browser, base):
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    page.set_default_timeout(60_000)
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    return context, page, console


def _violations(page, console) -> list[str]:
    return list(page.evaluate("window.__csp")) + [m for m in console if "Content Security Policy" in m]


def test_pages_and_docs_load_under_the_policy_without_a_violation(web_server, launch):
    built = (ROOT / "web" / "dist" / "index.html").read_text()
    assert inline_parts(built) == [], "the built index.html must not need 'unsafe-inline'"
    browser = launch()
    context, page, console = _csp_page(browser, web_server)
    try:
        checks = {
            "/": "电子健康卡",
            "/login": "登录",
            "/staff": "诊室终端",
            "/admin/login": "登录",
            "/staff/no-such-page": "",
        }
        for path, text in checks.items():
            response = page.goto(path)
            assert "script-src 'self'" in response.headers["content-security-policy"], path
            assert response.headers["x-content-type-options"] == "nosniff"
            page.wait_for_load_state("networkidle")
            if text:
                page.get_by_text(text).first.wait_for()
            assert _violations(page, console) == [], (path, _violations(page, console))
        response = page.goto("/docs")
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.locator(".swagger-ui .info .title").wait_for()  # Swagger UI started from its file
        page.locator(".opblock").first.wait_for()  # and read the OpenAPI document
        page.wait_for_load_state("networkidle")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hardening-docs-under-csp.png"), full_page=False)
        assert _violations(page, console) == [], _violations(page, console)
        # the watch does see what the policy refuses: an inline script planted in the page
        ran = page.evaluate("""() => { const s = document.createElement('script');
            s.textContent = 'window.__inlineRan = true'; document.body.appendChild(s);
            return window.__inlineRan === true }""")
        page.wait_for_timeout(300)
        assert ran is False
        assert any(v.startswith("script-src") for v in page.evaluate("window.__csp"))
    finally:
        context.close()


def _terminal(api) -> dict:
    hospital = api.get("/hospitals").json()[0]
    r = api.post("/admin/terminals", headers=ADMIN, json={"hospital_id": hospital["id"], "name": "加固测试"})
    assert r.status_code == 201, r.text
    return r.json()


READ_BACK = """async (secret) => {
  const found = []
  for (const store of [localStorage, sessionStorage]) {
    for (let i = 0; i < store.length; i++) {
      const k = store.key(i)
      if ((store.getItem(k) || '').includes(secret) || k.includes(secret)) found.push(k)
    }
  }
  const record = await new Promise((resolve, reject) => {
    const req = indexedDB.open('ehealth-terminal')
    req.onsuccess = () => {
      const tx = req.result.transaction('keys', 'readonly')
      const get = tx.objectStore('keys').get('terminal')
      get.onsuccess = () => resolve(get.result)
      get.onerror = () => reject(get.error)
    }
    req.onerror = () => reject(req.error)
  })
  let exported = 'not tried'
  try { await crypto.subtle.exportKey('raw', record.key); exported = 'exported!' } catch (e) { exported = e.name }
  return { found, isKey: record.key instanceof CryptoKey, extractable: record.key.extractable,
           usages: record.key.usages, exported, html: document.documentElement.outerHTML.includes(secret) }
}"""


def _scan_verifies(page) -> None:
    """A scan signed by the console: the service checks the signature before the payload, so a
    payload refusal (not terminal_unauthenticated) means the signature verified."""
    page.fill("input[name=payload]", "not-a-health-card")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/staff/scan")) as caught:
        page.get_by_role("button", name="识别").click()
    answer = caught.value
    assert answer.request.headers.get("x-signature"), "the scan was not signed"
    code = answer.json()["error"]["code"]
    assert code.startswith("qr_") and code != "terminal_unauthenticated", code


def test_the_terminal_secret_cannot_be_read_back_and_scans_still_verify(web_server, api, launch):
    made = _terminal(api)
    code, secret = made["terminal_code"], made["secret"]
    browser = launch()
    context = browser.new_context(base_url=web_server, viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto("/staff")
        page.fill("input[name=terminal_code]", code)
        page.fill("input[name=terminal_secret]", secret)
        page.fill("input[name=terminal_name]", "加固测试")
        page.get_by_role("button", name="保存").click()
        page.get_by_text("扫码识别").wait_for()
        got = page.evaluate(READ_BACK, secret)
        assert got == {
            "found": [],
            "isKey": True,
            "extractable": False,
            "usages": ["sign"],
            "exported": "InvalidAccessError",
            "html": False,
        }, got
        _scan_verifies(page)
        page.reload()  # the key outlives the page
        page.get_by_text("扫码识别").wait_for()
        _scan_verifies(page)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hardening-staff-signed-scan.png"))

        # an older version left the secret's text in localStorage: imported, then erased on load
        page.evaluate(
            "() => new Promise((ok) => { const r = indexedDB.deleteDatabase('ehealth-terminal'); r.onsuccess = "
            "r.onerror = ok })"
        )
        page.evaluate(
            "([c, s]) => localStorage.setItem('ehealth.terminal', "
            "JSON.stringify({ code: c, secret: s, name: '旧版' }))",
            [code, secret],
        )
        page.reload()
        page.get_by_text("扫码识别").wait_for()
        got = page.evaluate(READ_BACK, secret)
        assert got["found"] == [] and got["extractable"] is False and got["exported"] == "InvalidAccessError", got
        assert json.loads(page.evaluate("localStorage.getItem('ehealth.terminal')")) == {"code": code, "name": "旧版"}
        _scan_verifies(page)
    finally:
        context.close()


def _stored(page, key):
    raw = page.evaluate(f"localStorage.getItem('{key}')")
    return json.loads(raw) if raw else None


def test_tokens_leave_storage_on_logout_and_on_401(web_server, api, launch):
    browser = launch()
    context = browser.new_context(base_url=web_server, viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto("/login")
        # a resident logs out: the token is revoked and gone from storage
        token = api.post("/auth/wx-login", json={"code": f"harden#{uuid.uuid4().hex[:8]}"}).json()["token"]
        page.evaluate("(t) => localStorage.setItem('ehealth.resident', JSON.stringify({ token: t }))", token)
        page.goto("/")
        page.get_by_role("button", name="退出登录").click()
        page.wait_for_url("**/login**")
        assert not (_stored(page, "ehealth.resident") or {}).get("token")
        assert api.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        # an expired (here: revoked) resident token: the 401 removes it and sends the resident to log in
        page.evaluate("(t) => localStorage.setItem('ehealth.resident', JSON.stringify({ token: t }))", token)
        page.goto("/")
        page.wait_for_url("**/login**")
        assert not (_stored(page, "ehealth.resident") or {}).get("token")

        # an operator logs out: revoked and gone from storage
        username = f"hard{uuid.uuid4().hex[:6]}"
        r = api.post(
            "/admin/operators",
            headers=ADMIN,
            json={"username": username, "password": "correct horse 42", "role": "platform"},
        )
        assert r.status_code == 201, r.text
        login = api.post("/admin/login", json={"username": username, "password": "correct horse 42"}).json()
        op_token = login["token"]
        page.evaluate(
            "(o) => localStorage.setItem('ehealth.operator', JSON.stringify(o))",
            {"token": op_token, "username": username, "role": "platform"},
        )
        page.goto("/admin/hospitals")
        page.get_by_role("button", name="退出").click()
        page.wait_for_url("**/admin/login**")
        assert not (_stored(page, "ehealth.operator") or {}).get("token")
        with httpx.Client(base_url=web_server + "/api/v1") as raw:
            assert raw.get("/admin/me", headers={"Authorization": f"Bearer {op_token}"}).status_code == 401
        # a stale operator token: the 401 to the audit page's first call removes it
        page.evaluate(
            "(o) => localStorage.setItem('ehealth.operator', JSON.stringify(o))",
            {"token": op_token, "username": username, "role": "platform"},
        )
        page.goto("/admin/audit")
        page.wait_for_url("**/admin/login**")
        assert not (_stored(page, "ehealth.operator") or {}).get("token")
        assert page.evaluate("sessionStorage.length") == 0
    finally:
        context.close()
