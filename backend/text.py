"""The service's one rule for text read from outside (pure; no I/O).

Digits: a value the service reads as a number, a code, a date or a time (ID numbers, phones, SMS
codes, times, dates, cursors, quantities) is NFKC-normalised first, so full-width ０-９ and the
other compatibility forms (², ①) become the ASCII digits they stand for, and must then hold
ASCII digits only: a digit of another script (Arabic-Indic ٣, Devanagari ३) is refused, never
read as a number. The same person written in full-width digits is therefore the same person.

Lone surrogates (U+D800-U+DFFF on their own) cannot be encoded as UTF-8: they are refused in every
string of a body, keys included, before anything reads it.

Lists of refusals are capped: a report names at most MAX_REPORTED problems and counts the rest.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_REPORTED = 20

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class NotAsciiDigits(ValueError):
    """A digit of another script (or a number sign NFKC does not fold) where 0-9 are required."""

    def __init__(self) -> None:
        super().__init__("digits must be 0-9")


def fold_digits(value: str) -> str:
    """NFKC of `value` (full-width and other compatibility digits become ASCII); raises
    NotAsciiDigits if a digit or number sign of another script is left."""
    if not _NON_ASCII.search(value):
        return value  # the common case, no table look-ups
    folded = unicodedata.normalize("NFKC", value)
    for ch in _NON_ASCII.findall(folded):
        if unicodedata.category(ch)[0] == "N":
            raise NotAsciiDigits()
    return folded


def has_surrogate(value: str) -> bool:
    return _SURROGATE.search(value) is not None


def first_surrogate_path(value, where: str = "body") -> str | None:
    """Where in a parsed JSON value (dicts, lists, strings; keys too) a lone surrogate is, or None.
    Iterative: the depth of a body is whatever the JSON parser let through."""
    stack = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return path
        elif isinstance(item, dict):
            for key, sub in item.items():
                if isinstance(key, str) and _SURROGATE.search(key):
                    return path
                stack.append((sub, f"{path}.{key}" if path != "body" else str(key)))
        elif isinstance(item, list):
            stack.extend((sub, f"{path}.{i}") for i, sub in enumerate(item))
    return None


@dataclass(frozen=True, slots=True)
class Problem:
    """One bad line of a batch from outside (a bill day's items, a report's results)."""

    index: int  # the line's position; -1: the batch as a whole
    field: str
    reason: str

    def as_dict(self) -> dict:
        return {"index": self.index, "field": self.field, "reason": self.reason}


def check_lines(raw, check_one, *, field: str, most: int, too_many: str) -> tuple[list, list[Problem]]:
    """Every line of a batch checked by `check_one(raw) -> (value, None) | (None, (field, reason))`;
    one problem per bad line (its first bad field). Not a list, or over `most` lines: one problem
    for the batch, and no line checked."""
    if not isinstance(raw, list):
        return [], [Problem(-1, field, "must be a list")]
    if len(raw) > most:
        return [], [Problem(-1, field, too_many)]
    good, problems = [], []
    for index, line in enumerate(raw):
        value, problem = check_one(line)
        if problem is not None:
            problems.append(Problem(index, *problem))
        else:
            good.append(value)
    return good, problems


def capped(problems: list) -> tuple[list, dict]:
    """The first MAX_REPORTED problems, and {"more_errors": n} when n more were left out."""
    if len(problems) <= MAX_REPORTED:
        return problems, {}
    return problems[:MAX_REPORTED], {"more_errors": len(problems) - MAX_REPORTED}
