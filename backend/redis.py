"""Redis wiring: the shared hot store for tokens, SMS codes, rate limits, QR single-use and holds.

Production talks to a real Redis through a BlockingConnectionPool (the default pool raises past
its size instead of waiting). The embedded default (no REDIS_URL) uses an in-process server,
fakeredis with real Lua (lupa), so the very same Lua scripts give the same semantics for one worker.
"""

from __future__ import annotations

import logging
from pathlib import Path

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

log = logging.getLogger("ehealth.redis")


def connect(url: str, *, pool_size: int = 64) -> aioredis.Redis:
    if url:
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=pool_size, timeout=10, decode_responses=True
        )
        return aioredis.Redis(connection_pool=pool)
    import fakeredis

    return fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer(), decode_responses=True)


def is_embedded(client) -> bool:
    return type(client).__module__.startswith("fakeredis")


class KeySpace:
    """Every key this service writes starts with one prefix, so deployments and test runs can
    share a Redis without touching each other's keys."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)


class Scripts:
    """Lua scripts as files, loaded once at start-up, called by name with EVALSHA."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._source: dict[str, str] = {}
        self._sha: dict[str, str] = {}

    def add(self, name: str, path: Path) -> None:
        self._source[name] = path.read_text()

    async def load(self) -> None:
        for name, source in self._source.items():
            self._sha[name] = await self._client.script_load(source)

    async def __call__(self, name: str, keys: list[str], args: list[object]):
        sha = self._sha.get(name)
        if sha is None:
            sha = self._sha[name] = await self._client.script_load(self._source[name])
        try:
            return await self._client.evalsha(sha, len(keys), *keys, *args)
        except NoScriptError:
            # Redis restarted (or SCRIPT FLUSH): load again and retry once.
            self._sha[name] = await self._client.script_load(self._source[name])
            return await self._client.evalsha(self._sha[name], len(keys), *keys, *args)


async def ping(client) -> bool:
    try:
        return bool(await client.ping())
    except Exception:  # health reports it; callers decide
        log.warning("redis ping failed", exc_info=True)
        return False


async def close(client) -> None:
    await client.aclose()
