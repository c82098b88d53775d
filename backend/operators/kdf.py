"""argon2 off the event loop, a few at a time.

One argon2id hash or verification is tens of milliseconds of CPU. Run on the event loop, a burst
of console log-ins would stall every other request of the worker for that long each; run in
threads without a bound, they would queue up without end and each take longer. Here they run in
the default executor's threads (argon2-cffi releases the GIL while it computes), at most
`kdf_concurrency` at once per worker; at most `kdf_queue` more wait, and beyond that the caller is
told to come back (503) instead of piling up.
"""

from __future__ import annotations

import asyncio
from typing import Callable, TypeVar

from backend.errors import Unavailable

T = TypeVar("T")
RETRY_AFTER_S = 1


class KdfGate:
    def __init__(self, *, concurrency: int, queue: int) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self._semaphore: asyncio.Semaphore | None = None
        self.admitted = 0  # running + waiting

    async def run(self, fn: Callable[..., T], *args) -> T:
        if self.admitted >= self.concurrency + self.queue:
            raise Unavailable(
                "too many log-ins are being checked right now; try again shortly",
                code="busy",
                retry_after=RETRY_AFTER_S,
            )
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        self.admitted += 1
        try:
            async with self._semaphore:
                return await asyncio.to_thread(fn, *args)
        finally:
            self.admitted -= 1


_default: KdfGate | None = None


def gate(deps=None) -> KdfGate:
    """The worker's gate, sized by its settings (`deps` may be None: callers without settings
    share one gate with the default size)."""
    global _default
    if deps is None:
        if _default is None:
            _default = KdfGate(concurrency=2, queue=32)
        return _default
    found = deps.extras.get("operators.kdf")
    if found is None:
        cfg = deps.settings.operators
        found = deps.extras["operators.kdf"] = KdfGate(concurrency=cfg.kdf_concurrency, queue=cfg.kdf_queue)
    return found
