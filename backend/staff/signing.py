"""The terminal side of request signing (clinic software, tests, benchmarks).

    from backend.staff.signing import sign
    headers = sign(terminal_code, secret, "POST", "/api/v1/staff/scan", body_bytes)
    httpx.post(base + "/api/v1/staff/scan", content=body_bytes, headers={**headers, "Content-Type": "application/json"})

With curl, the same by hand:
    TS=$(date +%s); NONCE=$(openssl rand -hex 16); BODY='{"payload":"..."}'
    HASH=$(printf %s "$BODY" | sha256sum | cut -d' ' -f1)
    SIG=$(printf 'POST\\n/api/v1/staff/scan\\n%s\\n%s\\n%s' "$TS" "$NONCE" "$HASH" \\
          | openssl dgst -sha256 -hmac "$SECRET" | cut -d' ' -f2)
    curl -XPOST $API/staff/scan -H "X-Terminal-Id: $CODE" -H "X-Timestamp: $TS" -H "X-Nonce: $NONCE" \\
         -H "X-Signature: $SIG" -H 'content-type: application/json' -d "$BODY"
"""

from __future__ import annotations

import hmac
import secrets
import time

from backend.clock import clock
from backend.errors import Unauthorized
from backend.staff import rules
from backend.staff.rules import canonical, signature


def sign(
    terminal_code: str,
    secret: str,
    method: str,
    path_with_query: str,
    body: bytes = b"",
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    return {
        "X-Terminal-Id": terminal_code,
        "X-Timestamp": ts,
        "X-Nonce": nonce,
        "X-Signature": signature(secret, canonical(method, path_with_query, ts, nonce, body)),
    }


# --- the service side: one verification for terminals and hospital systems (HIS) -------------


def check(request, *, secret: str, skew_s: int) -> None:
    """The signature over method, path with query, timestamp, nonce and body hash, and the
    timestamp within `skew_s` of the service clock. Raises 401 bad_signature or stale_timestamp."""
    timestamp = request.headers.get("x-timestamp", "")
    nonce = request.headers.get("x-nonce", "")
    given = request.headers.get("x-signature", "")
    # Headers of any other shape (unicode digits, undecodable bytes) never reach the
    # arithmetic or the encoder, where they once made 500s
    if not (
        rules.TIMESTAMP_RE.fullmatch(timestamp)
        and rules.NONCE_RE.fullmatch(nonce)
        and rules.SIGNATURE_RE.fullmatch(given)
    ):
        raise Unauthorized("the request signature does not verify", code="bad_signature")
    path = request.path + (f"?{request.query_string}" if request.query_string else "")
    expected = rules.signature(secret, rules.canonical(request.method, path, timestamp, nonce, request.body or b""))
    if not hmac.compare_digest(expected, given.lower()):
        raise Unauthorized("the request signature does not verify", code="bad_signature")
    if not rules.fresh(timestamp, now_s=clock.now().timestamp(), skew_s=skew_s):
        raise Unauthorized("the request timestamp is too far from the server's clock", code="stale_timestamp")


async def verify(request, *, deps, secret: str, nonce_key: str, nonce_ttl_s: int, skew_s: int) -> None:
    """`check`, then the nonce never seen within `nonce_ttl_s` (remembered in the shared store, so
    it holds across workers and hosts). Raises 401 with bad_signature, stale_timestamp or
    replayed_nonce."""
    check(request, secret=secret, skew_s=skew_s)
    if not await deps.redis.set(nonce_key, 1, nx=True, ex=nonce_ttl_s):
        raise Unauthorized("this request was already received (replayed nonce)", code="replayed_nonce")
