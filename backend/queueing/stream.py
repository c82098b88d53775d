"""The waiting-room display's live stream: who may open one, and one database look per schedule.

Admission. A stream holds a connection for minutes, so open streams are capped twice:
- per client address, across every worker and host: a Redis sorted set per address whose members
  are the open streams, each scored with the time its lease ends (the longest a stream lives plus
  a margin), so the streams of a worker that died stop counting once their lease ends. Beyond
  STREAM_MAX_PER_IP: 429 limit_exceeded (rule `stream_ip`).
- per worker, in memory: beyond STREAM_MAX_PER_WORKER, 503 streams_full. This one is checked
  first, so a full worker refuses without asking Redis.

Coalescing. Every open stream of one schedule in a worker watches one `Board`: a single task
reads the display from the database every poll and wakes the streams when it changed. A hundred
displays of one clinic cost one query a second, not a hundred; the task ends with its last
watcher.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager

from backend.clock import clock
from backend.errors import NotFound, TooManyRequests, Unavailable

log = logging.getLogger("ehealth.queue")
LEASE_MARGIN_S = 60
_ids = itertools.count()


class Gate:
    """The caps on open streams of one worker (and, through Redis, of one address)."""

    def __init__(self) -> None:
        self.open = 0  # this worker's open streams

    @asynccontextmanager
    async def admit(self, deps, ip: str):
        settings = deps.settings.streams
        if self.open >= settings.max_per_worker:
            raise Unavailable(
                "this server has too many live displays open, try again shortly", code="streams_full", retry_after=5
            )
        self.open += 1
        try:
            key = deps.keys("sse", "ip", ip)
            member = f"{os.getpid()}:{id(self)}:{next(_ids)}"
            now_ms = clock.now_ms()
            lease_ms = int((settings.max_s + LEASE_MARGIN_S) * 1000)
            # add, then count: transactions run one after another, so every stream admitted saw
            # at most the cap (a stream refused meanwhile may make a racing one refused too,
            # never one too many admitted)
            async with deps.redis.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(key, "-inf", now_ms)
                pipe.zadd(key, {member: now_ms + lease_ms})
                pipe.zcard(key)
                pipe.pexpire(key, lease_ms)
                _, _, count, _ = await pipe.execute()
            if count > settings.max_per_ip:
                await deps.redis.zrem(key, member)
                raise TooManyRequests(
                    "too many live displays open from this network",
                    rule="stream_ip",
                    limit=settings.max_per_ip,
                    retry_after=settings.retry_after_s,
                )
        except BaseException:
            self.open -= 1
            raise
        try:
            yield
        finally:
            self.open -= 1
            # the stream may end by cancellation (the client went away): the release must still
            # reach Redis, or the address keeps the slot until the lease ends
            try:
                await asyncio.shield(deps.redis.zrem(key, member))
            except asyncio.CancelledError:
                pass
            except Exception as exc:  # Redis away: the lease ends the entry anyway
                log.warning("stream slot not released (%s); its lease ends it", type(exc).__name__)


class Board:
    """The latest display of one schedule, and an event set when it changes."""

    def __init__(self, value: dict) -> None:
        self.value = value
        self.version = 0
        self.watchers = 0
        self._changed = asyncio.Event()

    def publish(self, value: dict) -> None:
        self.value = value
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_past(self, version: int, timeout: float) -> bool:
        """True as soon as the board is newer than `version`; False after `timeout` without."""
        if self.version != version:
            return True
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True


class Boards:
    """One polling task per watched schedule, shared by every stream of this worker."""

    def __init__(self, fetch: Callable[[int], Awaitable[dict]], *, poll_s: float) -> None:
        self._fetch = fetch
        self._poll_s = poll_s
        self._boards: dict[int, Board] = {}
        self._tasks: set[asyncio.Task] = set()
        self.polls = 0  # database looks made by the pollers (tests, benchmarks)

    def watched(self) -> int:
        return len(self._boards)

    @asynccontextmanager
    async def watching(self, schedule_id: int):
        board = self._boards.get(schedule_id)
        if board is None:
            value = await self._fetch(schedule_id)  # NotFound here: no stream at all
            board = self._boards.get(schedule_id)  # another stream may have made it meanwhile
            if board is None:
                board = self._boards[schedule_id] = Board(value)
                task = asyncio.ensure_future(self._poll(schedule_id, board))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        board.watchers += 1
        try:
            yield board
        finally:
            board.watchers -= 1

    async def _poll(self, schedule_id: int, board: Board) -> None:
        try:
            while True:
                await asyncio.sleep(self._poll_s)
                if board.watchers <= 0:
                    return
                self.polls += 1
                try:
                    latest = await self._fetch(schedule_id)
                except NotFound:
                    continue  # retired meanwhile: the streams keep the last display until they end
                except Exception as exc:  # the database away for a moment: try at the next poll
                    log.warning("queue display of schedule %s not refreshed: %s", schedule_id, type(exc).__name__)
                    continue
                if latest != board.value:
                    board.publish(latest)
        finally:
            if self._boards.get(schedule_id) is board:
                del self._boards[schedule_id]
