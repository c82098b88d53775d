"""The terminal side of request signing (clinic software, tests, benchmarks).

    from backend.staff.signing import sign
    headers = sign(terminal_code, secret, "POST", "/api/v1/staff/scan", body_bytes)
    httpx.post(base + "/api/v1/staff/scan", content=body_bytes, headers={**headers, "Content-Type": "application/json"})

With curl, the same by hand:
    TS=$(date +%s); NONCE=$(openssl rand -hex 16); BODY='{"payload":"..."}'
    SIG=$(printf 'POST\\n/api/v1/staff/scan\\n%s\\n%s\\n%s' "$TS" "$NONCE" "$(printf %s "$BODY" | sha256sum | cut -d' ' -f1)" \\
          | openssl dgst -sha256 -hmac "$SECRET" | cut -d' ' -f2)
    curl -XPOST $API/staff/scan -H "X-Terminal-Id: $CODE" -H "X-Timestamp: $TS" -H "X-Nonce: $NONCE" \\
         -H "X-Signature: $SIG" -H 'content-type: application/json' -d "$BODY"
"""

from __future__ import annotations

import secrets
import time

from backend.staff.rules import canonical, signature


def sign(terminal_code: str, secret: str, method: str, path_with_query: str, body: bytes = b"", *, timestamp: int | None = None, nonce: str | None = None) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    return {
        "X-Terminal-Id": terminal_code,
        "X-Timestamp": ts,
        "X-Nonce": nonce,
        "X-Signature": signature(secret, canonical(method, path_with_query, ts, nonce, body)),
    }
