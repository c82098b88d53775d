"""FHIR search parameters (pure): token, reference and date values, paging. No I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.clock import SHANGHAI
from backend.text import NotAsciiDigits, fold_digits

DEFAULT_COUNT = 20
MAX_COUNT = 100
MAX_OFFSET = 10_000
DATE_PREFIXES = ("eq", "ge", "le", "gt", "lt")
FHIR_ID = re.compile(r"^[A-Za-z0-9.-]{1,64}$")
_DATE = re.compile(
    r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?(Z|[+-][0-9]{2}:[0-9]{2}))?)?)?$"
)


class SearchError(ValueError):
    """A search the interface cannot run: `code` is the OperationOutcome issue type."""

    def __init__(self, message: str, *, code: str = "invalid", status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status or (404 if code == "not-found" else 400)


@dataclass(frozen=True, slots=True)
class Token:
    system: str | None  # None: any system
    code: str


def token(value: str) -> Token:
    """`code`, `system|code` or `|code` (no system)."""
    if not value or len(value) > 200:
        raise SearchError("a token is `code` or `system|code`")
    system, bar, code = value.rpartition("|")
    if not code:
        raise SearchError("a token needs a code after `|`")
    return Token(system if bar else None, code)


def reference_id(value: str, resource_type: str) -> str:
    """`Patient/<id>`, `<id>` or an absolute URL ending in Patient/<id>: the id."""
    tail = value.rstrip("/")
    prefix = f"{resource_type}/"
    if prefix in tail:
        tail = tail[tail.rindex(prefix) + len(prefix) :]
    if not FHIR_ID.match(tail):
        raise SearchError(f"not a {resource_type} reference")
    return tail


def _number(value: str, name: str, *, low: int, high: int) -> int:
    try:
        folded = fold_digits(value)
    except NotAsciiDigits:
        raise SearchError(f"{name}: digits must be 0-9") from None
    if not re.fullmatch(r"[0-9]{1,6}", folded):
        raise SearchError(f"{name}: a whole number from {low} to {high}")
    number = int(folded)
    if not low <= number <= high:
        raise SearchError(f"{name}: a whole number from {low} to {high}")
    return number


def count(value: str | None) -> int:
    return DEFAULT_COUNT if value is None else _number(value, "_count", low=0, high=MAX_COUNT)


def offset(value: str | None) -> int:
    return 0 if value is None else _number(value, "_offset", low=0, high=MAX_OFFSET)


def _interval(text: str) -> tuple[datetime, datetime]:
    """The time span a date value stands for: a year, a month, a day (Asia/Shanghai, the
    service's business time) or a second."""
    m = _DATE.match(text)
    if not m:
        raise SearchError("a date is YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss]+hh:mm")
    year, month, day, hour, minute, second, zone = m.groups()
    try:
        if hour is not None:
            if zone is None:
                raise SearchError("a time needs its offset (Z or +08:00)")
            tz = "+00:00" if zone == "Z" else zone
            start = datetime.fromisoformat(f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}{tz}")
            return start, start + timedelta(seconds=1 if second is not None else 60)
        start = datetime(int(year), int(month or 1), int(day or 1), tzinfo=SHANGHAI)
    except ValueError as exc:
        if isinstance(exc, SearchError):
            raise
        raise SearchError("not a date that exists") from None
    if not 2000 <= start.year <= 2100:
        raise SearchError("a date between the years 2000 and 2100")
    if day is not None:
        return start, start + timedelta(days=1)
    if month is not None:
        following = datetime(start.year + (start.month == 12), start.month % 12 + 1, 1, tzinfo=SHANGHAI)
        return start, following
    return start, datetime(start.year + 1, 1, 1, tzinfo=SHANGHAI)


def date_bounds(value: str) -> list[tuple[str, datetime]]:
    """A date search value with its prefix as conditions on the time: (">=" | "<", time)."""
    prefix, text = ("eq", value)
    if value[:2] in DATE_PREFIXES:
        prefix, text = value[:2], value[2:]
    start, end = _interval(text)
    if prefix == "eq":
        return [(">=", start), ("<", end)]
    if prefix == "ge":
        return [(">=", start)]
    if prefix == "gt":
        return [(">=", end)]
    if prefix == "le":
        return [("<", end)]
    return [("<", start)]  # lt


def in_bounds(when: datetime | None, bounds) -> bool:
    if when is None:
        return not bounds
    return all(when >= at if op == ">=" else when < at for op, at in bounds)
