"""A local stand-in for the WeChat endpoints this service calls, for dev and test only.

It speaks the same request/response formats as WeChat (code2Session, access tokens, subscribe
messages, and - see backend.dev.standins.pay - WeChat Pay API v3 with its RSA signatures and AES-GCM
notifications), over real HTTP on 127.0.0.1, so wechatpy's and wechatpayv3's real clients talk to
it unchanged. It refuses to start in production mode.

Login codes: any code made of letters, digits, `_` or `-` (up to 64) is accepted once; the part
before an optional `#` names the WeChat user, so `alice#1` and `alice#2` log in the same person.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

log = logging.getLogger("ehealth.wechat.standin")

_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}(#[A-Za-z0-9_-]{1,32})?$")


class StandInRefused(RuntimeError):
    pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when many clients arrive at once
    # (a burst of residents paying); the kernel caps this at net.core.somaxconn.
    request_queue_size = 1024


class WeChatStandIn:
    def __init__(self, *, env: str, appid: str, secret: str):
        if env not in ("dev", "test"):
            raise StandInRefused("the WeChat stand-in only runs in dev and test")
        self.appid = appid
        self.secret = secret
        self._lock = threading.Lock()
        self._used_codes: set[str] = set()
        self.access_token = "standin-" + secrets.token_hex(16)
        self.messages: list[dict] = []
        # WeChat's refusals of subscribe messages, to test them: errcode by openid (43101: the
        # user has no allowance, 45009: quota used), and the template ids the mini-program has
        # registered (None: any; another id is refused with 40037)
        self.subscribe_refusals: dict[str, int] = {}
        self.subscribe_templates: set[str] | None = None
        self.pay = None  # the WeChat Pay v3 stand-in (backend.dev.standins.pay.PayStandIn), once attached
        self._routes: dict[tuple[str, str], object] = {
            ("GET", "/sns/jscode2session"): self._code2session,
            ("GET", "/cgi-bin/token"): self._token,
            ("POST", "/cgi-bin/message/subscribe/send"): self._subscribe_send,
        }
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("stand-in not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def add_route(self, method: str, path: str, handler) -> None:
        self._routes[(method, path)] = handler

    def start(self) -> "WeChatStandIn":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _dispatch(self, method: str) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                handler = standin._match(method, url.path)
                if handler is None:
                    status, headers, payload = 404, {}, {"code": "NOT_FOUND", "message": "no such API"}
                else:
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    status, headers, payload = handler(
                        method=method, path=url.path, query=query, headers=self.headers, body=raw, target=self.path
                    )
                data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout test)
                    self.close_connection = True

            def do_GET(self):
                self._dispatch("GET")

            def do_POST(self):
                self._dispatch("POST")

            def log_message(self, fmt, *args):  # keep test output quiet
                log.debug("standin: " + fmt, *args)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="wechat-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _match(self, method: str, path: str):
        handler = self._routes.get((method, path))
        if handler is not None:
            return handler
        # prefix routes: "/v3/refund/domestic/refunds/{out_refund_no}"
        for (m, route), candidate in self._routes.items():
            if m == method and route.endswith("/*") and path.startswith(route[:-1]):
                return candidate
        return None

    # --- mini-program login ------------------------------------------------------------------
    def openid_for(self, user: str) -> str:
        digest = hashlib.sha256(f"{self.appid}:{user}".encode()).digest()
        return "o" + base64.urlsafe_b64encode(digest).decode()[:27]

    def _code2session(self, *, query, **_):
        if query.get("appid") != self.appid:
            return 200, {}, {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.secret:
            return 200, {}, {"errcode": 40125, "errmsg": "invalid appsecret"}
        if query.get("grant_type") != "authorization_code":
            return 200, {}, {"errcode": 40002, "errmsg": "invalid grant_type"}
        code = query.get("js_code", "")
        if not _CODE_RE.match(code):
            return 200, {}, {"errcode": 40029, "errmsg": "invalid code"}
        with self._lock:
            if code in self._used_codes:
                return 200, {}, {"errcode": 40163, "errmsg": "code been used"}
            self._used_codes.add(code)
        user = code.split("#", 1)[0]
        return (
            200,
            {},
            {"openid": self.openid_for(user), "session_key": base64.b64encode(secrets.token_bytes(16)).decode()},
        )

    def _token(self, *, query, **_):
        if query.get("appid") != self.appid or query.get("secret") != self.secret:
            return 200, {}, {"errcode": 40125, "errmsg": "invalid appsecret"}
        return 200, {}, {"access_token": self.access_token, "expires_in": 7200}

    # --- subscribe messages ------------------------------------------------------------------
    def _subscribe_send(self, *, query, body, **_):
        if query.get("access_token") != self.access_token:
            return 200, {}, {"errcode": 40001, "errmsg": "invalid credential"}
        try:
            message = json.loads(body)
        except ValueError:
            return 200, {}, {"errcode": 47001, "errmsg": "data format error"}
        if not message.get("touser") or not message.get("template_id"):
            return 200, {}, {"errcode": 47003, "errmsg": "argument invalid"}
        if self.subscribe_templates is not None and message["template_id"] not in self.subscribe_templates:
            return 200, {}, {"errcode": 40037, "errmsg": "invalid template_id"}
        refusal = self.subscribe_refusals.get(message["touser"])
        if refusal:
            return 200, {}, {"errcode": refusal, "errmsg": "refused by the stand-in"}
        with self._lock:
            self.messages.append(message)
        return 200, {}, {"errcode": 0, "errmsg": "ok", "msgid": len(self.messages)}

    # --- WeChat Pay ----------------------------------------------------------------------------
    def pay_merchant(self, *, appid: str, mchid: str, notify_url: str | None):
        """The merchant keys of this stand-in's WeChat Pay (made on first call), for make_pay."""
        from backend.dev.standins.pay import PayStandIn  # pay.py builds on this module

        return PayStandIn.attach(self, appid=appid, mchid=mchid, notify_url=notify_url).merchant()
