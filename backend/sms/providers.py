"""SMS delivery. A real gateway (Tencent Cloud SMS, Aliyun) implements `SmsSender`; the console
provider writes the message to the log for development."""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("ehealth.sms")


class SmsSender(Protocol):
    async def send(self, *, phone: str, text: str) -> None: ...


class ConsoleSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, *, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        # the log scrubber masks the number; the text holds the code, which is the point in dev
        log.info("SMS to %s: %s", phone, text)


def make_sender(name: str) -> SmsSender:
    if name == "console":
        return ConsoleSender()
    raise ValueError(f"unknown SMS provider {name!r}")
