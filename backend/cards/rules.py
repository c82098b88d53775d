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
from backend.transitions import Transitions

_ID_RE = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# First two digits of the administrative division code (GB/T 2260): provinces, municipalities,
# autonomous regions, and the codes used for residents of Taiwan, Hong Kong and Macao.
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
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
    value = (raw or "").strip().upper()
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


def normalize_name(raw: str) -> str:
    """Real names: Chinese names (with the middle dot of minority names) or Latin letters."""
    value = unicodedata.normalize("NFKC", raw or "").strip()
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise InvalidIdentity("name", "may not contain control characters")
    value = re.sub(r"\s+", " ", value).replace("•", "·").replace("・", "·")
    if not 2 <= len(value) <= 40:
        raise InvalidIdentity("name", "must be 2 to 40 characters")
    for ch in value:
        if ch in "· " or "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or ch.isalpha() and ch.isascii():
            continue
        raise InvalidIdentity("name", "may contain only Chinese characters, Latin letters, spaces and ·")
    return value


CARD_ID_RE = re.compile(r"^[0-9a-f]{64}$")


def is_card_id(value: str) -> bool:
    return bool(CARD_ID_RE.match(value or ""))


RELATIONS = ("spouse", "child", "parent", "sibling", "grandparent", "grandchild", "relative", "other")


class CardStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"  # 注销: the holder gave the card up; its codes no longer resolve


CARD_MOVES = Transitions("card", {CardStatus.ACTIVE: {CardStatus.CANCELLED}, CardStatus.CANCELLED: set()})
