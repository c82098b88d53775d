"""A local stand-in for Tencent Cloud SMS (SendSms, API 2021-01-11) that checks what the official
SDK sends: the TC3-HMAC-SHA256 signature recomputed from the request as received, the credential
scope, timestamp, action, version and body. It answers in Tencent's response format, records
the messages it accepted, and can be told to fail."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AUTH_RE = re.compile(
    r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, SignedHeaders=([a-z0-9;-]+), "
    r"Signature=([0-9a-f]{64})"
)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_signature(
    secret_key: str,
    *,
    method: str,
    uri: str,
    query: str,
    headers: dict,
    signed: list[str],
    body: bytes,
    timestamp: str,
    date: str,
    service: str,
) -> str:
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    canonical = "\n".join([method, uri, query, canonical_headers, ";".join(signed), hashlib.sha256(body).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", timestamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class TencentSmsStandIn:
    def __init__(
        self,
        *,
        secret_id: str = "AKIDstandin0001",
        secret_key: str = "standin-secret-key",
        sdk_app_id: str = "1400000001",
        sign_name: str = "电子健康卡",
        template_id: str = "100001",
    ) -> None:
        self.secret_id, self.secret_key = secret_id, secret_key
        self.sdk_app_id, self.sign_name, self.template_id = sdk_app_id, sign_name, template_id
        self.messages: list[dict] = []
        self.refusals: list[str] = []
        self.fail_with: str | None = None  # an error code to answer with, or "http500"
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict:
        return {
            "SMS_PROVIDER": "tencent",
            "TENCENT_SMS_SECRET_ID": self.secret_id,
            "TENCENT_SMS_SECRET_KEY": self.secret_key,
            "TENCENT_SMS_SDK_APP_ID": self.sdk_app_id,
            "TENCENT_SMS_SIGN_NAME": self.sign_name,
            "TENCENT_SMS_TEMPLATE_ID": self.template_id,
            "TENCENT_SMS_ENDPOINT": self.endpoint,
        }

    def codes_for(self, phone: str) -> list[str]:
        return [m["TemplateParamSet"][0] for m in self.messages if m["PhoneNumberSet"] == ["+86" + phone]]

    def start(self) -> "TencentSmsStandIn":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status, answer = standin.handle(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, fmt, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _error(self, code: str, message: str) -> tuple[int, dict]:
        with self._lock:
            self.refusals.append(code)
        return 200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}}

    def handle(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        if self.fail_with == "http500":
            return 500, {"message": "internal error"}
        match = AUTH_RE.fullmatch(headers.get("authorization", ""))
        if not match:
            return self._error("AuthFailure.InvalidAuthorization", "Authorization header is malformed")
        secret_id, date, service, signed, given = match.groups()
        if secret_id != self.secret_id:
            return self._error("AuthFailure.SecretIdNotFound", "unknown SecretId")
        signed_headers = signed.split(";")
        if not {"content-type", "host"} <= set(signed_headers) or any(h not in headers for h in signed_headers):
            return self._error("AuthFailure.InvalidAuthorization", "content-type and host must be signed")
        timestamp = headers.get("x-tc-timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > 300:
            return self._error("AuthFailure.SignatureExpire", "timestamp too far from now")
        if datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%d") != date or service != "sms":
            return self._error("AuthFailure.InvalidAuthorization", "credential scope does not match")
        uri, _, query = path.partition("?")
        expected = tc3_signature(
            self.secret_key,
            method=method,
            uri=uri,
            query=query,
            headers=headers,
            signed=signed_headers,
            body=body,
            timestamp=timestamp,
            date=date,
            service=service,
        )
        if not hmac.compare_digest(expected, given):
            return self._error("AuthFailure.SignatureFailure", "signature does not match")
        if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
            return self._error("InvalidAction", "only SendSms 2021-01-11")
        message = json.loads(body)
        if (message.get("SmsSdkAppId"), message.get("SignName"), message.get("TemplateId")) != (
            self.sdk_app_id,
            self.sign_name,
            self.template_id,
        ):
            return self._error(
                "FailedOperation.SignatureIncorrectOrUnapproved", "app, signature or template not approved"
            )
        phones = message.get("PhoneNumberSet") or []
        if self.fail_with:
            status = {
                "Code": self.fail_with,
                "Message": "refused",
                "PhoneNumber": phones[0] if phones else "",
                "SerialNo": "",
                "Fee": 0,
                "SessionContext": "",
                "IsoCode": "CN",
            }
            return 200, {"Response": {"SendStatusSet": [status], "RequestId": str(uuid.uuid4())}}
        with self._lock:
            self.messages.append(message)
        statuses = [
            {
                "SerialNo": uuid.uuid4().hex,
                "PhoneNumber": p,
                "Fee": 1,
                "SessionContext": "",
                "Code": "Ok",
                "Message": "send success",
                "IsoCode": "CN",
            }
            for p in phones
        ]
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}}
