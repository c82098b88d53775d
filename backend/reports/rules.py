"""Pure rules of reports: the shape of a result line, which reports residents see, the PDF
check and the signed PDF link. No I/O."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from backend.text import NotAsciiDigits, Problem, check_lines, fold_digits

KINDS = ("lab", "imaging", "pathology", "exam")
FLAGS = ("normal", "high", "low", "abnormal", "critical")
REPORT_NO = r"^[A-Za-z0-9_-]{1,32}$"
LOINC = re.compile(r"^[0-9]{1,7}-[0-9]$")
_CODE = re.compile(r"^[A-Za-z0-9_.:/-]{1,32}$")
RESULT_FIELDS = ("code", "loinc", "name", "value", "unit", "reference_range", "reference_low", "reference_high", "flag")
MAX_RESULTS = 500
MAX_VALUE_TEXT = 512
MAX_PDF_BYTES = 10 * 1024 * 1024
LINK_TTL_S = 300  # a PDF link works for at most 5 minutes


class ReportStatus(StrEnum):
    PRELIMINARY = "preliminary"  # not signed off (未审核): residents do not see it
    FINAL = "final"
    AMENDED = "amended"  # replaced after residents could see it
    CANCELLED = "cancelled"


VISIBLE = (ReportStatus.FINAL.value, ReportStatus.AMENDED.value)


def stored_status(sent: str, *, was_visible: bool) -> str:
    """The status kept for a push: a final report sent again after residents could see it is
    amended, whatever the hospital called it, so the resident is told it changed."""
    if sent == ReportStatus.FINAL and was_visible:
        return ReportStatus.AMENDED.value
    return sent


@dataclass(frozen=True, slots=True)
class ResultLine:
    code: str
    loinc: str | None
    name: str
    value_type: str  # number | text
    value: str
    unit: str | None
    reference_range: str | None
    reference_low: str | None
    reference_high: str | None
    flag: str


_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]{1,15}(?:\.[0-9]{0,9})?|\.[0-9]{1,9})")


def parse_decimal(value) -> str:
    """A JSON number or a decimal string (the service's digit rule), kept as the exact text of
    a finite decimal with at most 15 digits before and 9 after the point."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("must be a number")
    if isinstance(value, str):
        try:
            text = fold_digits(value.strip())
        except NotAsciiDigits as exc:
            raise ValueError(str(exc)) from None
    elif isinstance(value, int):
        if abs(value) >= 10**15:
            raise ValueError("at most 15 digits before the point")
        text = str(value)
    else:
        text = repr(value)
    if not _DECIMAL_TEXT.fullmatch(text):
        raise ValueError("must be a decimal number with at most 15 digits before and 9 after the point")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("must be a number") from None
    return str(number)


def _text(raw: dict, field: str, max_len: int, *, required: bool = True) -> str | None:
    value = raw.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        if not required and value == "":
            return None
        raise ValueError("required text" if required else "must be text")
    value = value.strip()
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in value):
        raise ValueError("may not contain control characters")
    if len(value) > max_len:
        raise ValueError(f"at most {max_len} characters")
    return value


def check_result(raw) -> tuple[ResultLine | None, tuple[str, str] | None]:
    """(line, None) or (None, (field, reason)) for the first thing wrong with it."""
    if not isinstance(raw, dict):
        return None, ("result", "must be an object")
    field = "result"
    try:
        extra = sorted(set(raw) - set(RESULT_FIELDS))
        if extra:
            field = str(extra[0])[:40]
            raise ValueError("unknown field")
        field = "code"
        code = _text(raw, field, 32)
        if not _CODE.match(code):
            raise ValueError("letters, digits and _ . : / - only")
        field = "loinc"
        loinc = _text(raw, field, 10, required=False)
        if loinc is not None and not LOINC.match(loinc):
            raise ValueError("a LOINC code looks like 718-7")
        field = "name"
        name = _text(raw, field, 128)
        field = "value"
        value = raw.get(field)
        if value is None:
            raise ValueError("required: a number or a text")
        if isinstance(value, str):
            value_type, value = "text", _text(raw, field, MAX_VALUE_TEXT)
        else:
            value_type, value = "number", parse_decimal(value)
        field = "unit"
        unit = _text(raw, field, 32, required=False)
        field = "reference_range"
        reference_range = _text(raw, field, 64, required=False)
        low = high = None
        for field in ("reference_low", "reference_high"):
            if raw.get(field) is not None:
                if field == "reference_low":
                    low = parse_decimal(raw[field])
                else:
                    high = parse_decimal(raw[field])
        field = "reference_high"
        if low is not None and high is not None and Decimal(low) > Decimal(high):
            raise ValueError("is below reference_low")
        field = "flag"
        flag = raw.get(field, "normal")
        if flag not in FLAGS:
            raise ValueError("must be one of " + ", ".join(FLAGS))
    except ValueError as exc:
        return None, (field, str(exc))
    return ResultLine(code, loinc, name, value_type, value, unit, reference_range, low, high, flag), None


def check_results(raw_results) -> tuple[list[ResultLine], list[Problem]]:
    """Every line checked; one problem per bad line (its first bad field)."""
    return check_lines(
        raw_results, check_result, field="results", most=MAX_RESULTS, too_many=f"at most {MAX_RESULTS} result lines"
    )


# --- the PDF ------------------------------------------------------------------------------------


def pdf_problem(content: bytes) -> str | None:
    """Why a body is not taken as the report's PDF, or None. A PDF starts with its header
    (%PDF-1.x) and ends with the end-of-file marker (%%EOF, maybe followed by line ends)."""
    if not content:
        return "the body is empty"
    if len(content) > MAX_PDF_BYTES:
        return f"at most {MAX_PDF_BYTES} bytes"
    if not re.match(rb"%PDF-[12]\.[0-9]", content[:16]):
        return "not a PDF (no %PDF- header)"
    if b"%%EOF" not in content[-1024:]:
        return "not a complete PDF (no %%EOF marker at the end)"
    return None


# --- the signed link ----------------------------------------------------------------------------


def link_key(index_key: bytes) -> bytes:
    """The links' own key, derived from the service's index key: a link's signature never
    doubles as a look-up hash of identity data."""
    return hmac.digest(index_key, b"report-pdf-link/v1", hashlib.sha256)


def link_signature(key: bytes, *, report_id: int, pdf_sha256: str, expires: int) -> str:
    """The PDF it was made for is part of the signature: a replaced PDF ends every link."""
    message = f"{report_id}\n{pdf_sha256}\n{expires}".encode()
    return hmac.digest(key, message, hashlib.sha256).hex()


def link_valid(key: bytes, *, report_id: int, pdf_sha256: str, expires: int, signature: str, now_s: int) -> bool:
    expected = link_signature(key, report_id=report_id, pdf_sha256=pdf_sha256, expires=expires)
    if not hmac.compare_digest(expected, signature.lower()):
        return False
    # a link is valid until `expires`, and never one that claims to last longer than LINK_TTL_S
    return now_s <= expires <= now_s + LINK_TTL_S
