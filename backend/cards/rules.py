"""Pure rules of real-name cards: resident ID numbers (GB 11643-1999), mobile numbers, names.

No I/O here; `today` is always passed in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from backend.sms import rules as sms_rules
from backend.text import NotAsciiDigits, fold_digits
from backend.transitions import Transitions

_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# First two digits of the administrative division code (GB/T 2260): provinces, municipalities,
# autonomous regions, and the codes used for residents of Taiwan, Hong Kong and Macao.
PROVINCES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
    "83",
}
EARLIEST_BIRTH = date(1900, 1, 1)


class InvalidIdentity(ValueError):
    """The message names the rule; it never repeats the input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: date
    sex: str  # "M" | "F"
    region: str

    def age_on(self, day: date) -> int:
        had_birthday = (day.month, day.day) >= (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - (0 if had_birthday else 1)


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]


def parse_id_number(raw: str, *, today: date) -> IdNumber:
    """The service's digit rule (backend.text) first: full-width digits (and X) are the same
    number, so the same person; digits of other scripts are refused."""
    try:
        value = fold_digits(raw or "").strip().upper()
    except NotAsciiDigits:
        raise InvalidIdentity("id_number", "must be 18 characters: 17 digits 0-9 and a digit or X") from None
    if not _ID_RE.match(value):
        raise InvalidIdentity("id_number", "must be 18 characters: 17 digits and a digit or X")
    if value[:2] not in PROVINCES or value[2:6] == "0000":
        raise InvalidIdentity("id_number", "the region code is not a valid administrative division")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdentity("id_number", "the birth date is not a real date") from None
    if born > today:
        raise InvalidIdentity("id_number", "the birth date is in the future")
    if born < EARLIEST_BIRTH:
        raise InvalidIdentity("id_number", "the birth date is implausibly early")
    if value[14:17] == "000":
        raise InvalidIdentity("id_number", "the sequence code cannot be 000")
    if check_digit(value[:17]) != value[17]:
        raise InvalidIdentity("id_number", "the check digit does not match")
    return IdNumber(value=value, birth_date=born, sex="M" if int(value[16]) % 2 else "F", region=value[:6])


def normalize_phone(raw: str) -> str:
    """Mainland mobile number (the SMS rule), refused as an identity field."""
    try:
        return sms_rules.normalize_phone(raw)
    except sms_rules.InvalidPhone as exc:
        raise InvalidIdentity("phone", str(exc)) from None


# Every block of CJK ideographs (the basic block, Extensions A to I, the compatibility blocks)
# and 〇: millions of residents carry rare characters (生僻字) on their ID cards. Ranges rather
# than unicodedata, whose tables (Unicode 14 in Python 3.11) predate Extensions H and I.
CJK_IDEOGRAPH_RANGES = (
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0x3400, 0x4DBF),  # Extension A
    (0x20000, 0x2A6DF),  # Extension B
    (0x2A700, 0x2B73F),  # Extension C
    (0x2B740, 0x2B81F),  # Extension D
    (0x2B820, 0x2CEAF),  # Extension E
    (0x2CEB0, 0x2EBEF),  # Extension F
    (0x2EBF0, 0x2EE5F),  # Extension I
    (0x30000, 0x3134F),  # Extension G
    (0x31350, 0x323AF),  # Extension H
    (0xF900, 0xFAFF),  # Compatibility Ideographs
    (0x2F800, 0x2FA1F),  # Compatibility Ideographs Supplement
    (0x3007, 0x3007),  # 〇 (ideographic number zero)
)
COMPATIBILITY_RANGES = ((0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
# An ideographic variation sequence (a glyph variant registered for ID-card systems) is the
# ideograph followed by one of these selectors; together they are one character of the name.
VARIATION_SELECTOR_RANGES = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))


def _in(ch: str, ranges) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in ranges)


def is_cjk_ideograph(ch: str) -> bool:
    return _in(ch, CJK_IDEOGRAPH_RANGES)


def is_variation_selector(ch: str) -> bool:
    return _in(ch, VARIATION_SELECTOR_RANGES)


def name_characters(name: str) -> list[str]:
    """The characters of a name as a reader counts them: code points, with a variation
    selector kept together with the ideograph before it."""
    chars: list[str] = []
    for ch in name:
        if chars and is_variation_selector(ch):
            chars[-1] += ch
        else:
            chars.append(ch)
    return chars


def _normalize_keeping_ideographs(raw: str) -> str:
    # NFKC folds full-width letters and odd dots, but would also replace a compatibility
    # ideograph by its unified twin: the name would no longer be the one on the ID card.
    return "".join(
        ch if _in(ch, COMPATIBILITY_RANGES) or is_variation_selector(ch) else unicodedata.normalize("NFKC", ch)
        for ch in raw
    )


def normalize_name(raw: str) -> str:
    """Real names: Chinese names in any CJK ideograph block (with the middle dot of minority
    names) or Latin letters. Lengths count characters, not UTF-16 units."""
    value = _normalize_keeping_ideographs(raw or "").strip()
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise InvalidIdentity("name", "may not contain control characters")
    value = re.sub(r"\s+", " ", value).replace("•", "·").replace("・", "·")
    chars = name_characters(value)
    if not 2 <= len(chars) <= 40:
        raise InvalidIdentity("name", "must be 2 to 40 characters")
    for char in chars:
        ch = char[0]
        if len(char) > 2 or len(char) == 2 and not is_cjk_ideograph(ch):
            raise InvalidIdentity("name", "a single variation selector may only follow a Chinese character")
        if ch in "· " or is_cjk_ideograph(ch) or ch.isalpha() and ch.isascii():
            continue
        raise InvalidIdentity("name", "may contain only Chinese characters, Latin letters, spaces and ·")
    if value[0] in "·" or value[-1] in "·":
        raise InvalidIdentity("name", "may not begin or end with ·")
    return value


CARD_ID_RE = re.compile(r"^[0-9a-f]{64}$")


def is_card_id(value: str) -> bool:
    return bool(CARD_ID_RE.match(value or ""))


RELATIONS = ("spouse", "child", "parent", "sibling", "grandparent", "grandchild", "relative", "other")


class CardStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"  # 注销: the holder gave the card up; its codes no longer resolve


CARD_MOVES = Transitions("card", {CardStatus.ACTIVE: {CardStatus.CANCELLED}, CardStatus.CANCELLED: set()})
