"""Browser tests of the web app: the real dev server (SQLite temp file, free port) driven through
Debian's chromium by Playwright. Every visited page is saved as a screenshot at 375 px and at
1280 px under artifacts/web/, and every page is checked for console errors and failed requests."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests import migrated

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("WEB_ARTIFACTS", ROOT / "artifacts" / "web"))
CHROMIUM = "/usr/bin/chromium"
WIDTHS = (375, 1280)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _has_chinese_font() -> bool:
    found = (
        subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
        if shutil.which("fc-list")
        else None
    )
    return bool(found and found.stdout.strip())


def _ensure_chromium() -> None:
    missing = [] if Path(CHROMIUM).exists() else ["chromium"]
    if not _has_chinese_font():
        missing.append("fonts-noto-cjk")  # the screenshots are of a Chinese UI
    if not missing:
        return
    # Playwright's own browser download is not reachable here; Debian's packages are.
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=False, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=False, env=env, capture_output=True)
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed and apt-get could not install it")


@pytest.fixture(scope="session")
def web_server(tmp_path_factory):
    if not (ROOT / "web" / "dist" / "index.html").exists():
        subprocess.run([str(ROOT / "scripts" / "build_web")], check=True)
    port = _free_port()
    data = tmp_path_factory.mktemp("webdata")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env.update(APP_ENV="dev", PORT=str(port), DATA_DIR=str(data))
    # the flows hold at a release moment without a ticket; the release room's own browser test
    # turns the room on for its hospital
    env["RELEASE_ROOM_DEFAULT_ON"] = "0"
    migrated.sqlite_copy(data / "ehealth.sqlite3")  # the server seeds the demo data on it
    log = open(data / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "backend"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(base + "/api/v1/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError((data / "server.log").read_text())
            time.sleep(0.25)
        else:
            raise RuntimeError("server did not come up\n" + (data / "server.log").read_text()[-3000:])
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def api(web_server):
    with httpx.Client(base_url=web_server + "/api/v1", timeout=15) as client:
        yield client


@pytest.fixture(scope="package")
def playwright():
    """Playwright's sync API, for this package only (rather than pytest-playwright's session-wide
    fixture): while it lives it marks an asyncio loop as running in this thread, which the async
    tests that run after this package could not share."""
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    yield manager
    manager.stop()
    asyncio.set_event_loop(None)


@pytest.fixture(scope="package")
def launch(playwright):
    """launch(extra_args) -> a headless Debian chromium; closed when this package's tests end.
    Without extra arguments every test gets the same browser (each test's pages in contexts of
    their own): starting a chromium costs more than most of the tests that use it."""
    _ensure_chromium()
    started, plain = [], []

    def start(args=()):
        if not args and plain:
            return plain[0]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", *args])
        started.append(browser)
        if not args:
            plain.append(browser)
        return browser

    yield start
    for browser in started:
        browser.close()


class Watched:
    """A page whose console errors, page errors and failed requests are collected, with a
    screenshot helper that shoots it at every width."""

    def __init__(self, page, prefix: str):
        self.page = page
        self.prefix = prefix
        # a loaded 2-core machine (CI next to other work) can take longer than Playwright's 30 s
        page.set_default_timeout(60_000)
        self.problems: list[str] = []
        self.count = 0
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self._failed(r))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status} {r.request.method} {r.url}"),
        )

    def _failed(self, request):
        # a request cut short by leaving the page (the favicon, an EventSource) is not a failure
        # of the app; answers with an error status are caught by the response listener
        if request.failure and "ERR_ABORTED" in request.failure:
            return
        self.problems.append(f"request failed: {request.method} {request.url} {request.failure}")

    def wait(self, locator) -> None:
        """locator.wait_for(), and on a time-out a screenshot and the page's text as evidence."""
        try:
            locator.wait_for()
        except Exception:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(ARTIFACTS / f"{self.prefix}-FAILED.png"), full_page=True)
            raise AssertionError(
                f"{locator} never showed; the page said: {self.page.inner_text('body')[:2000]!r}; problems: "
                f"{self.problems}"
            ) from None

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.count += 1
        page = self.page
        original = page.viewport_size
        slug = re.sub(r"[^a-z0-9-]+", "-", name.lower())
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.wait_for_timeout(150)
            page.screenshot(path=str(ARTIFACTS / f"{self.prefix}-{self.count:02d}-{slug}-{width}.png"), full_page=True)
        page.set_viewport_size(original)
        self.assert_clean()

    def assert_clean(self) -> None:
        assert not self.problems, f"{self.prefix}: " + "\n".join(self.problems)


@pytest.fixture
def watch():
    pages: list[Watched] = []

    def make(page, prefix):
        w = Watched(page, prefix)
        pages.append(w)
        return w

    yield make
    try:
        for w in pages:
            w.assert_clean()
    finally:
        # the browser lives on for the next test: its pages (polling, streams) must not
        for w in pages:
            w.page.context.close()


def set_clock(api, iso: str | None) -> None:
    response = api.post("/dev/clock", json={"now": iso} if iso else {})
    assert response.status_code == 200, response.text
