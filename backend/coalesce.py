"""Look-ups made at the same moment, answered by one query.

Under load, requests arrive in waves: the Redis replies of one pipelined batch (see
`backend.redis.Scripts`) wake dozens of handlers in the same event-loop turn, and each then
wants one row. A database round trip costs the service and PostgreSQL far more than a row
(about 45 us of server CPU for `SELECT 1` on the machine this was measured on, plus the driver's
own cost), so the keys asked for in one turn go out together, one query per group, and every
caller gets its own answer. A lone request pays nothing extra: its batch leaves at the end of
the turn it was made in (no timer, no waiting for company).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from itertools import chain
from typing import Generic, TypeVar

Group = TypeVar("Group", bound=Hashable)
Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")

# fetch(group, keys) -> {key: value}; keys missing from the answer get `None`
FetchMany = Callable[[Group, list[Key]], Awaitable[dict[Key, Value]]]


class Coalescer(Generic[Group, Key, Value]):
    def __init__(self, fetch_many: FetchMany, *, max_batch: int = 200) -> None:
        self._fetch_many = fetch_many
        self._max_batch = max_batch
        self._waiting: dict[Group, dict[Key, list[asyncio.Future]]] = {}
        self._scheduled = False
        self._in_flight: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks
        self.batches = 0  # queries sent, for tests and benchmarks

    async def get(self, group: Group, key: Key) -> Value | None:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.setdefault(group, {}).setdefault(key, []).append(future)
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._send_all)  # after every handler woken in this turn has asked
        return await future

    def _send_all(self) -> None:
        self._scheduled = False
        waiting, self._waiting = self._waiting, {}
        for group, by_key in waiting.items():
            keys = list(by_key)
            for start in range(0, len(keys), self._max_batch):
                chunk = {k: by_key[k] for k in keys[start : start + self._max_batch]}
                task = asyncio.ensure_future(self._answer(group, chunk))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)

    async def _answer(self, group: Group, chunk: dict[Key, list[asyncio.Future]]) -> None:
        self.batches += 1
        try:
            found = await self._fetch_many(group, list(chunk))
        except Exception as exc:  # the database is down, say: every caller in the batch hears it
            for future in chain.from_iterable(chunk.values()):
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # cancelled (shutting down): so are the callers
            for future in chain.from_iterable(chunk.values()):
                future.cancel()
            raise
        for key, futures in chunk.items():
            for future in futures:
                if not future.done():  # its caller may have gone (client disconnected)
                    future.set_result(found.get(key))
