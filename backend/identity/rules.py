"""Token rules: opaque bearer tokens, stored only as hashes."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

TOKEN_BYTES = 32
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,128}$")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None if malformed."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not _TOKEN_RE.match(value):
        return None
    return value


def token_expiry(now: datetime, ttl_s: int) -> datetime:
    return now + timedelta(seconds=ttl_s)


def is_live(*, expires_at: datetime, revoked: bool, now: datetime) -> bool:
    return not revoked and now < expires_at
