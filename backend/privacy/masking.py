"""Masked forms of identity data: the only forms that leave the service."""

from __future__ import annotations

import logging
import re


def _characters(name: str) -> list[str]:
    # code points, a variation selector staying with its ideograph (same rule as
    # backend.cards.rules.name_characters; masking must not depend on the cards domain)
    chars: list[str] = []
    for ch in name:
        cp = ord(ch)
        if chars and (0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF):
            chars[-1] += ch
        else:
            chars.append(ch)
    return chars


def mask_name(name: str) -> str:
    """张三丰 -> 张*丰, 张三 -> 张*, 欧阳娜娜 -> 欧**娜, 王𠈌 -> 王*: one star per character, a
    character being a code point (never half of a UTF-16 surrogate pair)."""
    if not name:
        return ""
    chars = _characters(name)
    if len(chars) == 1:
        return "*"
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]


def mask_id_number(id_number: str) -> str:
    """420101199001011234 -> 4201**********1234; all stars when too short to hide anything."""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; all stars when too short to hide anything."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# Defence in depth for logs: whatever a log line says, an 18-character resident ID or a mainland
# mobile number in it is masked before any handler writes it.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def scrub(text: str) -> str:
    text = _ID_RE.sub(lambda m: m.group(1)[:4] + "*" * 10 + m.group(3)[-4:], text)
    return _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


_installed = False


def install_log_scrubbing() -> None:
    """Scrub every log record as it is created, whichever logger or handler it goes to."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def scrubbed_record(*args, **kwargs):
        record = make_record(*args, **kwargs)
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception texts can quote input: format now, scrubbed, and drop the live traceback.
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return record

    logging.setLogRecordFactory(scrubbed_record)
    _installed = True
