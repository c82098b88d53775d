"""QR images rendered off the event loop, with small caches.

Drawing a code is 12-32 ms of pure Python; on the event loop it would stall every other request
of the worker for that long. Rendering runs in a small thread pool instead (the loop keeps
serving while a thread draws; qrcode holds the GIL in bursts, so two threads are plenty), and
what was drawn is kept: a static code per card and format until the card is reissued (its
payload changes), a dynamic code for its 60-s step (the payload names the step, so a new step
is a new entry and old ones age out of the LRU).
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from backend.qr import service

STATIC_CACHE_SIZE = 2048
DYNAMIC_CACHE_SIZE = 1024
RENDER_THREADS = 2


class LruCache:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


_static = LruCache(STATIC_CACHE_SIZE)
_dynamic = LruCache(DYNAMIC_CACHE_SIZE)
_pool: ThreadPoolExecutor | None = None
renders = 0  # images actually drawn (tests count cache hits by it)


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=RENDER_THREADS, thread_name_prefix="qr-render")
    return _pool


def _render(payload: str, fmt: str, size: str) -> tuple[bytes, str]:
    global renders
    renders += 1
    return service.image(payload, fmt=fmt, size=size)


async def image(payload: str, *, kind: str, fmt: str, size: str) -> tuple[bytes, str]:
    cache = _static if kind == "static" else _dynamic
    key = (payload, fmt, size)
    found = cache.get(key)
    if found is not None:
        return found
    drawn = await asyncio.get_running_loop().run_in_executor(_executor(), _render, payload, fmt, size)
    cache.put(key, drawn)
    return drawn
