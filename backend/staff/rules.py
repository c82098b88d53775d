"""Pure rules of terminal authentication: HMAC-signed requests with a timestamp and a nonce.

Every request carries
    X-Terminal-Id  the terminal code
    X-Timestamp    unix seconds
    X-Nonce        16-64 characters of [A-Za-z0-9_-], never reused
    X-Signature    hex HMAC-SHA256(secret, canonical)
where canonical = METHOD \\n path-with-query \\n timestamp \\n nonce \\n hex SHA-256 of the body.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from enum import StrEnum

from backend.transitions import Transitions

NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CODE_RE = re.compile(r"^T[0-9A-F]{16}$")
TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
SIGNATURE_RE = re.compile(r"[0-9a-fA-F]{64}")


def new_terminal_code() -> str:
    return "T" + secrets.token_hex(8).upper()


def derive_secret(master_key: bytes, terminal_code: str, version: int) -> str:
    return hmac.new(master_key, f"terminal:{terminal_code}:{version}".encode(), hashlib.sha256).hexdigest()


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def canonical(method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join([method.upper(), path_with_query, timestamp, nonce, hashlib.sha256(body).hexdigest()]).encode(
        "utf-8", "surrogateescape"
    )


def signature(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def fresh(timestamp: str, *, now_s: float, skew_s: int) -> bool:
    return TIMESTAMP_RE.fullmatch(timestamp) is not None and abs(now_s - int(timestamp)) <= skew_s


class TerminalStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


# An operator may disable a terminal and enable it again; the only state with two ways out.
TERMINAL_MOVES = Transitions(
    "terminal", {TerminalStatus.ACTIVE: {TerminalStatus.DISABLED}, TerminalStatus.DISABLED: {TerminalStatus.ACTIVE}}
)
