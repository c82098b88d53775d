"""Pure SMS code rules: 6 digits, valid 5 min, at most 5 tries, one send per 60 s and 10 per day
per number. Times are epoch milliseconds from the service clock; limits come from settings."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from backend.text import NotAsciiDigits, fold_digits

PURPOSES = ("claim_card", "add_family", "change_phone")

_PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")


class InvalidPhone(ValueError):
    """The message names the rule; it never repeats the input."""


def normalize_phone(raw: str) -> str:
    """Mainland mobile number: 11 digits starting 13-19; `+86`/`86` prefixes and spaces/dashes allowed.
    The service's digit rule (backend.text) first: one number in full-width digits is the same
    number (one SMS a minute whatever the spelling); digits of other scripts are refused."""
    try:
        value = re.sub(r"[\s-]", "", fold_digits(raw or ""))
    except NotAsciiDigits:
        raise InvalidPhone("must be a mainland mobile number (11 digits 0-9 starting 13-19)") from None
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    elif len(value) == 13 and value.startswith("86"):
        value = value[2:]
    if not _PHONE_RE.match(value):
        raise InvalidPhone("must be a mainland mobile number (11 digits starting 13-19)")
    return value


@dataclass(frozen=True)
class Limits:
    code_ttl_ms: int = 300_000
    max_attempts: int = 5
    resend_interval_ms: int = 60_000
    daily_limit: int = 10


@dataclass(frozen=True)
class SendState:
    last_sent_ms: int | None
    sent_today: int


@dataclass(frozen=True)
class SendDecision:
    allowed: bool
    reason: str | None = None
    retry_after_ms: int = 0


def decide_send(state: SendState, *, now_ms: int, limits: Limits, ms_to_next_day: int) -> SendDecision:
    if state.last_sent_ms is not None and now_ms - state.last_sent_ms < limits.resend_interval_ms:
        return SendDecision(False, "resend_interval", limits.resend_interval_ms - (now_ms - state.last_sent_ms))
    if state.sent_today >= limits.daily_limit:
        return SendDecision(False, "daily_limit", ms_to_next_day)
    return SendDecision(True)


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


@dataclass(frozen=True)
class CodeState:
    code_hash: str
    issued_ms: int
    attempts: int


# verdicts
OK, WRONG, DEAD, EXPIRED, MISSING = "ok", "wrong", "dead", "expired", "missing"


def check_code(state: CodeState | None, submitted_hash: str, *, now_ms: int, limits: Limits) -> str:
    """What a submission does to a code. WRONG counts one attempt; the attempt that reaches
    `max_attempts` kills the code, and every later one - right or not - is DEAD."""
    if state is None:
        return MISSING
    if now_ms - state.issued_ms >= limits.code_ttl_ms:
        return EXPIRED
    if state.attempts >= limits.max_attempts:
        return DEAD
    return OK if secrets.compare_digest(state.code_hash, submitted_hash) else WRONG
