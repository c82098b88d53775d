"""Test data and helpers shared by the suites (not fixtures)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from backend.cards.rules import check_digit

_seq = itertools.count(1)


def make_id_number(
    *, region: str = "420102", born: date = date(1990, 1, 1), seq: int | None = None, sex: str | None = None
) -> str:
    """A valid GB 11643 number; `seq` defaults to a fresh one so every call is a new person."""
    n = next(_seq) if seq is None else seq
    if seq is None:  # 999 sequence codes per birth date: move on to the next day after that
        born = born + timedelta(days=n // 999)
    order = f"{(n % 999) + 1:03d}"
    if sex is not None:
        last = int(order[2])
        if (last % 2 == 1) != (sex == "M"):
            last = (last + 1) % 10
        order = order[:2] + str(last)
        if order == "000":
            order = "002"
    body = f"{region}{born:%Y%m%d}{order}"
    return body + check_digit(body)


_phones = itertools.count(13800000001)


def make_phone() -> str:
    return str(next(_phones))


def masked_id_number(id_number: str) -> str:
    """The one masked form of an ID number a response may carry (SPEC: 4201**********1234)."""
    return id_number[:4] + "*" * 10 + id_number[-4:]


def masked_phone(phone: str) -> str:
    """The one masked form of a mobile number (SPEC: 138****5678)."""
    return phone[:3] + "****" + phone[-4:]


NAMES = ["张三", "李小明", "王芳", "欧阳娜娜", "赵四", "钱五", "孙六", "周七", "吴八", "郑九", "冯十", "陈一", "褚二"]


def wx_code(user: str) -> str:
    """A fresh wx.login code for `user` (the stand-in accepts each code once)."""
    import uuid

    return f"{user}#{uuid.uuid4().hex[:12]}"
