"""One WeChat access token per app id, shared by every worker and host through Redis.

WeChat allows 2,000 token fetches a day per app, and a new token voids the previous one after a
few minutes; a client built per call (as wechatpy's default in-memory session would have it)
fetches one per notification. Here the token and its expiry live in one Redis hash; when it is
within REFRESH_MARGIN_S of expiring, the one worker that wins a short Redis lock fetches a new
one, and the others keep using the current one (still valid) or wait for the new one.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

from backend import metrics

log = logging.getLogger("ehealth.wechat")

REFRESH_MARGIN_S = 300  # refresh 5 minutes before WeChat's expiry
LOCK_TTL_MS = 15_000
WAIT_STEP_S = 0.05
# errcodes meaning "this access token is no longer valid": forget it, fetch a new one once
STALE_TOKEN_ERRCODES = {40001, 40014, 42001}

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class TokenUnavailable(Exception):
    pass


class AccessTokens:
    def __init__(self, *, redis, keys, login, fixed: str = "") -> None:
        self._redis = redis
        self._login = login
        self._fixed = fixed
        self._key = keys("wx", "token", login.appid)
        self._lock_key = keys("wx", "token-lock", login.appid)

    async def current(self) -> str:
        if self._fixed:  # WECHAT_ACCESS_TOKEN: the deployment manages the token itself
            return self._fixed
        deadline = time.monotonic() + LOCK_TTL_MS / 1000 * 2
        while True:
            token, expires_at = await self._read()
            now = time.time()
            if token and expires_at - now > REFRESH_MARGIN_S:
                return token
            owner = secrets.token_hex(8)
            if await self._redis.set(self._lock_key, owner, nx=True, px=LOCK_TTL_MS):
                try:
                    token, expires_at = await self._read()  # someone may have refreshed meanwhile
                    if token and expires_at - time.time() > REFRESH_MARGIN_S:
                        return token
                    return await self._refresh()
                finally:
                    await self._redis.eval(_RELEASE, 1, self._lock_key, owner)
            if token and expires_at > now:  # another worker is refreshing; this one still works
                return token
            if time.monotonic() > deadline:
                raise TokenUnavailable("no access token: the refreshing worker did not finish")
            await asyncio.sleep(WAIT_STEP_S)

    async def invalidate(self, token: str) -> None:
        """WeChat said `token` is stale: drop it (unless another worker already replaced it)."""
        current, _ = await self._read()
        if current == token:
            await self._redis.delete(self._key)

    async def _read(self) -> tuple[str | None, float]:
        raw = await self._redis.hgetall(self._key)
        if not raw:
            return None, 0.0
        return raw.get("t"), float(raw.get("exp", 0))

    async def _refresh(self) -> str:
        login = self._login

        def fetch() -> dict:
            client = login.client()
            return client._fetch_access_token(  # wechatpy's own fetch, at the configured API host
                url=login.api_base + "cgi-bin/token",
                params={"grant_type": "client_credential", "appid": login.appid, "secret": login.secret},
            )

        try:
            result = await asyncio.to_thread(fetch)
        except Exception as exc:
            log.warning("access token fetch failed: %s", type(exc).__name__)
            raise TokenUnavailable(type(exc).__name__) from None
        metrics.WECHAT_TOKEN_FETCHES.inc()
        token = result["access_token"]
        expires_in = int(result.get("expires_in", 7200))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key, mapping={"t": token, "exp": time.time() + expires_in})
            pipe.expire(self._key, expires_in)
            await pipe.execute()
        log.info("WeChat access token refreshed (valid %s s)", expires_in)
        return token


def for_deps(deps) -> AccessTokens:
    """The worker's token keeper (made on first use, kept in deps.extras)."""
    tokens = deps.extras.get("wechat_tokens")
    if tokens is None:
        tokens = AccessTokens(
            redis=deps.redis, keys=deps.keys, login=deps.wechat, fixed=deps.settings.wechat.access_token
        )
        deps.extras["wechat_tokens"] = tokens
    return tokens
