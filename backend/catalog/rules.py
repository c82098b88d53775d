"""Pure catalog rules: release times and the shape of a schedule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from backend.clock import local_datetime
from backend.text import NotAsciiDigits, fold_digits
from backend.transitions import Transitions

ORDINARY_RELEASE_DAYS = 7
REFERRAL_EXTRA_DAYS = 3
EARLIEST_RELEASE = "06:00"
LATEST_RELEASE = "22:00"
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
MAX_CAPACITY = 500
MAX_FEE_FEN = 1_000_000


class InvalidSchedule(ValueError):
    def __init__(self, field: str, message: str, *, line: int | None = None):
        super().__init__(message)
        self.field = field
        self.line = line


def _digits(value: str, field: str) -> str:
    """The service's digit rule (backend.text): NFKC, then ASCII digits only."""
    try:
        return fold_digits(value)
    except NotAsciiDigits as exc:
        raise InvalidSchedule(field, str(exc)) from None


def parse_hhmm(value: str, *, field: str) -> tuple[int, int]:
    m = _HHMM.match(value or "")
    if not m:
        raise InvalidSchedule(field, "must be a time HH:MM")
    return int(m.group(1)), int(m.group(2))


def validate_release_time(value: str) -> str:
    """Slots are never released at night: 22:00-06:00 is refused (both ends allowed). Returns the
    time as stored: ASCII digits (full-width ones are read as such, other scripts refused)."""
    value = _digits(value or "", "release_time")
    parse_hhmm(value, field="release_time")
    if not EARLIEST_RELEASE <= value <= LATEST_RELEASE:
        raise InvalidSchedule(
            "release_time", f"must be between {EARLIEST_RELEASE} and {LATEST_RELEASE}; no releases at night"
        )
    return value


@dataclass(frozen=True)
class ReleaseTimes:
    ordinary: datetime
    referral: datetime


def release_times(visit_date: date, release_time: str) -> ReleaseTimes:
    """Ordinary slots of date D open at the release time 7 days before D; referral slots 3 days
    earlier (10 days before D), both Asia/Shanghai."""
    ordinary = local_datetime(visit_date - timedelta(days=ORDINARY_RELEASE_DAYS), validate_release_time(release_time))
    return ReleaseTimes(ordinary=ordinary, referral=ordinary - timedelta(days=REFERRAL_EXTRA_DAYS))


def validate_period(start: str, end: str) -> None:
    """Half-hour precision: 08:00-08:30, 08:00-11:30; start before end."""
    for field, value in (("start", start), ("end", end)):
        _, minute = parse_hhmm(value, field=field)
        if minute not in (0, 30):
            raise InvalidSchedule(field, "must be on the hour or half hour (HH:00 or HH:30)")
    if start >= end:
        raise InvalidSchedule("end", "must be after start")


def validate_stock(*, capacity: int, referral_quota: int, fee_fen: int) -> None:
    if not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidSchedule("capacity", f"must be 1 to {MAX_CAPACITY}")
    if not 0 <= referral_quota <= capacity:
        raise InvalidSchedule("referral_quota", "must be between 0 and the capacity")
    if not 0 <= fee_fen <= MAX_FEE_FEN:
        raise InvalidSchedule("fee_fen", "must be a whole number of fen between 0 and 1,000,000")


class ScheduleStatus(StrEnum):
    """What is stored: a session is open until an operator suspends it (停诊), for good, or
    retires it while nobody has booked it (withdrawn from every list)."""

    OPEN = "open"
    SUSPENDED = "suspended"
    RETIRED = "retired"


SCHEDULE_MOVES = Transitions(
    "schedule",
    {
        ScheduleStatus.OPEN: {ScheduleStatus.SUSPENDED, ScheduleStatus.RETIRED},
        ScheduleStatus.SUSPENDED: set(),
        ScheduleStatus.RETIRED: set(),
    },
    refusal_code="schedule_closed",
)


class CatalogStatus(StrEnum):
    """Hospitals, departments, doctors: listed while active; retired ones stay for history."""

    ACTIVE = "active"
    RETIRED = "retired"


class SeenStatus(StrEnum):
    """What a caller sees of a session at a moment (GET .../schedules `status`)."""

    NOT_RELEASED = "not_released"
    OPEN = "open"
    FULL = "full"
    ENDED = "ended"
    SUSPENDED = "suspended"
    RETIRED = "retired"  # withdrawn: only the operator console lists it


def seen_status(
    *,
    stored: str,
    now: datetime,
    release_at: datetime,
    referral_release_at: datetime,
    closes_at: datetime,
    remaining: int,
    referral_remaining: int = 0,
    has_referral: bool = False,
) -> SeenStatus:
    """Suspended and ended win (ended: the session has started, so it can no longer be booked -
    the hold store closes it at its start); before its release a session is not_released, except to a
    referral holder once referral slots are out (and while some are left); then full or open.
    `remaining`: slots left to this caller (ordinary callers cannot take referral slots
    before the ordinary release)."""
    if stored == ScheduleStatus.SUSPENDED:
        return SeenStatus.SUSPENDED
    if stored == ScheduleStatus.RETIRED:
        return SeenStatus.RETIRED
    if now >= closes_at:
        return SeenStatus.ENDED
    if now < release_at:
        if not (has_referral and now >= referral_release_at):
            return SeenStatus.NOT_RELEASED
        return SeenStatus.OPEN if referral_remaining > 0 else SeenStatus.FULL
    return SeenStatus.OPEN if remaining > 0 else SeenStatus.FULL


# --- bulk schedule import ------------------------------------------------------------------------

SCHEDULE_COLUMNS = (
    "external_id",
    "department_code",
    "doctor_code",
    "date",
    "start",
    "end",
    "capacity",
    "referral_quota",
    "fee_fen",
)
_OPTIONAL = {"external_id": None, "referral_quota": 0}
_SCHEDULE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class ScheduleRow:
    external_id: str | None
    department_code: str
    doctor_code: str
    date: date
    start: str
    end: str
    capacity: int
    referral_quota: int
    fee_fen: int


def _whole(value, field: str) -> int:
    if isinstance(value, bool):
        raise InvalidSchedule(field, "must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,9}\s*", value):
        return int(value)
    raise InvalidSchedule(field, "must be a whole number")


def parse_schedule_row(raw, *, today: date, horizon_days: int) -> ScheduleRow:
    """One row of an import (JSON object or CSV line, all text in CSV): every field checked, the
    date within [today, today + horizon_days]. Raises InvalidSchedule naming the first bad field."""
    if not isinstance(raw, dict):
        raise InvalidSchedule("row", "must be an object")
    unknown = sorted(k for k in raw if k not in SCHEDULE_COLUMNS)
    if unknown:
        raise InvalidSchedule(str(unknown[0])[:40], "unknown field")
    values = {}
    for field in SCHEDULE_COLUMNS:
        value = raw.get(field)
        if isinstance(value, str):
            value = _digits(value, field).strip()  # every column is a code, a date, a time or a number
        if value in (None, ""):
            if field not in _OPTIONAL:
                raise InvalidSchedule(field, "required")
            value = _OPTIONAL[field]
        values[field] = value
    if values["external_id"] is not None and not (
        isinstance(values["external_id"], str) and _EXTERNAL_ID.match(values["external_id"])
    ):
        raise InvalidSchedule("external_id", "1-64 of letters, digits and _ . : -")
    for field in ("department_code", "doctor_code"):
        if not (isinstance(values[field], str) and _SCHEDULE_CODE.match(values[field])):
            raise InvalidSchedule(field, "1-32 of letters, digits, _ and -")
    raw_date = values["date"]
    try:
        if not (isinstance(raw_date, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw_date)):
            raise ValueError
        day = date.fromisoformat(raw_date)
    except ValueError:
        raise InvalidSchedule("date", "must be a date YYYY-MM-DD") from None
    if day < today:
        raise InvalidSchedule("date", "is in the past")
    if day > today + timedelta(days=horizon_days):
        raise InvalidSchedule("date", f"is beyond the booking horizon ({horizon_days} days ahead)")
    for field in ("start", "end"):
        if not isinstance(values[field], str):
            raise InvalidSchedule(field, "must be a time HH:MM")
    validate_period(values["start"], values["end"])
    numbers = {f: _whole(values[f], f) for f in ("capacity", "referral_quota", "fee_fen")}
    validate_stock(**numbers)
    return ScheduleRow(
        external_id=values["external_id"],
        department_code=values["department_code"],
        doctor_code=values["doctor_code"],
        date=day,
        start=values["start"],
        end=values["end"],
        **numbers,
    )


MAX_CSV_CELL = 1024  # the longest legal cell is 64 characters; far below csv's own 128 kB limit
MAX_CSV_COLUMNS = 64


def parse_schedule_csv(text: str, *, max_rows: int) -> tuple[list[dict], list[int]]:
    """CSV with a header line naming the columns -> (rows as text dicts, their line numbers).

    Strict: a NUL character, a carriage return outside quotes (old Mac line ends), a quote left
    open or stray after a closing quote, a cell over MAX_CSV_CELL characters and a line of more
    than MAX_CSV_COLUMNS cells are refused as InvalidSchedule("csv", ..., line=n), never left to
    the csv module's own errors. A byte order mark is taken off the start by the UTF-8 decoding;
    one anywhere else stays in its cell, where that cell's rule refuses it."""
    import csv
    import io

    if "\x00" in text:
        raise InvalidSchedule("csv", "may not contain NUL characters", line=text.count("\n", 0, text.index("\x00")) + 1)
    reader = csv.reader(io.StringIO(text), strict=True)  # lines end at LF (CRLF too): a bare CR is an error
    rows, lines = [], []
    header: list[str] | None = None
    try:
        for cells in reader:
            line = reader.line_num
            if len(cells) > MAX_CSV_COLUMNS:
                raise InvalidSchedule("csv", f"at most {MAX_CSV_COLUMNS} cells per line", line=line)
            if any(len(cell) > MAX_CSV_CELL for cell in cells):
                raise InvalidSchedule("csv", f"a cell is longer than {MAX_CSV_CELL} characters", line=line)
            if header is None:
                header = cells
                continue
            if not cells:
                continue  # a blank line
            record = dict(zip(header, cells))
            if len(cells) < len(header):
                record.update({name: None for name in header[len(cells) :]})
            elif len(cells) > len(header):  # more cells than header names
                record["extra column"] = ",".join(cells[len(header) :])
            rows.append(record)
            lines.append(line)
            if len(rows) > max_rows:
                break
    except csv.Error as exc:
        raise InvalidSchedule("csv", _csv_reason(str(exc)), line=max(reader.line_num, 1)) from None
    if not header:
        raise InvalidSchedule("csv", "needs a header line naming its columns", line=1)
    return rows, lines


def _csv_reason(message: str) -> str:
    if "new-line character" in message:
        return "a carriage return outside quotes; end lines with LF or CRLF"
    if "field larger" in message:
        return f"a cell is longer than {MAX_CSV_CELL} characters"
    if "expected after" in message or "end of data" in message:
        return "a quote is not closed, or text follows a closing quote"
    return "not valid CSV"
