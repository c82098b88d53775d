"""Terminals kept in each worker's memory for TERMINAL_CACHE_TTL_S, so a scan does not read the
terminals table. Every terminal request already calls Redis once (its nonce, staff/lua/nonce.lua);
that call also returns the terminals' generation, which disabling, enabling or rotating any
terminal bumps. A worker holding a terminal loaded at an older generation reloads it before
deciding, so a change applies on every worker and host at the next request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from backend.staff.models import Terminal


@dataclass
class Entry:
    terminal: Terminal
    generation: int
    loaded_at: float


def _cache(deps) -> dict[str, Entry]:
    return deps.extras.setdefault("terminal_cache", {})


def generation_key(deps) -> str:
    return deps.keys.tagged("t", "gen")


def nonce_key(deps, terminal_id: int, nonce: str) -> str:
    """In the generation's slot, so that staff/lua/nonce.lua claims both in one call on a cluster
    too (every terminal's nonces then live on one shard: a scan is one small SET)."""
    return deps.keys.tagged("t", "n", terminal_id, nonce)


async def current_generation(deps) -> int:
    return int(await deps.redis.get(generation_key(deps)) or 0)


async def bump(deps) -> None:
    """After a terminal changed in the database (committed): every cached terminal is suspect."""
    await deps.redis.incr(generation_key(deps))
    _cache(deps).clear()


def cached(deps, code: str) -> Entry | None:
    entry = _cache(deps).get(code)
    if entry is None or time.monotonic() - entry.loaded_at > deps.settings.terminals.cache_ttl_s:
        return None
    return entry


async def load(deps, code: str) -> Entry | None:
    generation = await current_generation(deps)  # read before the row: a change in between is seen as newer
    terminal = await Terminal.get_or_none(terminal_code=code)
    cache = _cache(deps)
    if terminal is None:
        cache.pop(code, None)
        return None
    entry = Entry(terminal, generation, time.monotonic())
    if len(cache) > 10_000:  # a bound, however many terminals are registered
        cache.clear()
    cache[code] = entry
    return entry


async def claim_nonce(deps, *, terminal_id: int, nonce: str, ttl_s: int) -> tuple[bool, int]:
    fresh, generation = await deps.scripts.batched(
        "staff.nonce", keys=[generation_key(deps)], common=[ttl_s], call_keys=[nonce_key(deps, terminal_id, nonce)]
    )
    return bool(int(fresh)), int(generation)
