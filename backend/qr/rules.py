"""Pure rules of card QR codes, in the national e-health card text layout.

static   <card_id>:1              identity only, long-lived, printable; revoked by reissuing
dynamic  <card_id>:0:<32 hex>     the hex is a keyed MAC (HMAC-SHA256, first 16 bytes) of the
                                   card_id and a 60-second time step, like a TOTP (RFC 6238)

A dynamic code of step s is accepted while the clock is in step s or s+1: it is refreshed every
60 s and refused after at most 120 s. Which key made it is not written in the code: every key
still accepted is tried (the active one, and retired ones during their grace period).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

STEP_S = 60
ACCEPTED_STEPS = 2  # the current step and the one before: at most 120 s
EXPIRED_LOOKBACK_STEPS = 60  # an older code made by us within the hour reads as expired, not forged

_PAYLOAD_RE = re.compile(r"^([0-9a-f]{64}):(?:(1)|0:([0-9a-f]{32}))$")

STATIC, DYNAMIC = "static", "dynamic"


class Malformed(ValueError):
    pass


@dataclass(frozen=True)
class Code:
    kind: str
    card_id: str
    mac: str | None = None


def parse(payload: str) -> Code:
    m = _PAYLOAD_RE.fullmatch(payload or "")
    if not m:
        raise Malformed("not an e-health card code")
    if m.group(2):
        return Code(STATIC, m.group(1))
    return Code(DYNAMIC, m.group(1), m.group(3))


def step_at(unix_s: float) -> int:
    return int(unix_s // STEP_S)


def mac(key: bytes, card_id: str, step: int) -> str:
    # hmac.digest: the one-shot C path, no HMAC object per code (every fetch and scan makes one)
    return hmac.digest(key, f"{card_id}:{step}".encode(), hashlib.sha256).hex()[:32]


def static_payload(card_id: str) -> str:
    return f"{card_id}:1"


def dynamic_payload(card_id: str, key: bytes, step: int) -> str:
    return f"{card_id}:0:{mac(key, card_id, step)}"


def expires_at_s(step: int) -> int:
    return (step + ACCEPTED_STEPS) * STEP_S


def refresh_in_s(step: int, unix_s: float) -> int:
    """Whole seconds until the next step, rounded up: 1..STEP_S for a code of the current step, so
    a client never reads 0 ("no hint") half a second before the code changes."""
    return max(1, math.ceil((step + 1) * STEP_S - unix_s))


OK, EXPIRED, TAMPERED = "ok", "expired", "tampered"


@dataclass(frozen=True)
class Verdict:
    result: str
    step: int | None = None


def verify(card_id: str, code_mac: str, *, unix_s: float, keys: list[bytes]) -> Verdict:
    """OK for a MAC of the current or previous step under an accepted key; EXPIRED for one of an
    older step within the hour; TAMPERED for anything else."""
    current = step_at(unix_s)
    for back in range(EXPIRED_LOOKBACK_STEPS):
        step = current - back
        for key in keys:
            if hmac.compare_digest(mac(key, card_id, step), code_mac):
                return Verdict(OK if back < ACCEPTED_STEPS else EXPIRED, step)
    return Verdict(TAMPERED)


def accepted_keys(
    keys: dict[int, bytes], *, active: int, retired_at: dict[int, datetime], now: datetime, grace: timedelta
) -> list[bytes]:
    """The active key first, then every other key not past its grace (a key in the ring with no
    retirement time stays accepted until it is taken out of the ring)."""
    accepted = [keys[active]]
    for version, key in sorted(keys.items(), reverse=True):
        if version == active:
            continue
        retired = retired_at.get(version)
        if retired is None or now < retired + grace:
            accepted.append(key)
    return accepted
