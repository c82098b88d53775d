"""Accounts and sessions: WeChat login, bearer token check, logout."""

from __future__ import annotations

import logging

from tortoise.exceptions import IntegrityError

from backend.clock import clock, from_ms, iso_ms, to_ms
from backend.errors import TooManyRequests, Unauthorized, Unavailable
from backend.identity import rules
from backend.identity.models import Account, Session
from backend.wechat import tokens
from backend.wechat.login import LoginRejected, LoginUnavailable

log = logging.getLogger("ehealth.identity")


def _token_key(deps, th: str) -> str:
    return deps.keys("tok", th)


async def session_in_store(deps, th: str, now_ms: int) -> list:
    """The session's account from Redis alone, batched with the other requests of the moment
    (identity/lua/session.lua): ['ok', account_id] | ['miss', 'token'] | ['err', 'token_expired'].
    For the paths that run in steps on a Redis Cluster."""
    return await deps.scripts.batched("identity.session", call_keys=[_token_key(deps, th)], args=[now_ms])


async def cache_session(deps, *, th: str, account_id: int, expires_ms: int) -> None:
    """The hold script reads this hash inside Redis; other requests read it here."""
    key = _token_key(deps, th)
    ttl_ms = max(expires_ms - clock.now_ms(), 1000)
    async with deps.redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, mapping={"a": account_id, "e": expires_ms})
        pipe.pexpire(key, ttl_ms)
        await pipe.execute()


async def _upsert_account(openid: str, unionid: str | None) -> Account:
    now = clock.now()
    account = await Account.get_or_none(openid=openid)
    if account is None:
        try:
            account = await Account.create(openid=openid, unionid=unionid, created_at=now, last_login_at=now)
        except IntegrityError:  # two first logins of one person racing
            account = await Account.get(openid=openid)
    else:
        account.last_login_at = now
        if unionid and account.unionid != unionid:
            account.unionid = unionid
        await account.save(update_fields=["last_login_at", "unionid"])
    return account


async def check_login_rate(*, deps, ip: str) -> None:
    """WX_LOGIN_RATE_PER_IP log-in attempts per address per fixed window of
    WX_LOGIN_RATE_WINDOW_S, counted in Redis (shared by every worker) before WeChat is asked:
    each attempt costs a code2session call against the app's WeChat quota and a database write."""
    settings = deps.settings.tokens
    window_ms = settings.wx_login_rate_window_s * 1000
    now_ms = clock.now_ms()
    window = now_ms // window_ms
    key = deps.keys("wxlogin", "ip", ip, window)
    async with deps.redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.pexpire(key, 2 * window_ms)
        count, _ = await pipe.execute()
    if count > settings.wx_login_rate_per_ip:
        until = (window + 1) * window_ms
        raise TooManyRequests(
            "too many log-ins from this network, try again shortly",
            rule="wx_login_ip",
            until=iso_ms(until),
            retry_after=max(1, -(-(until - now_ms) // 1000)),
        )


async def login_with_wechat(*, deps, code: str) -> dict:
    try:
        # wechatpy sends the app's access token with every call: the one shared through Redis
        session = await deps.wechat.code_to_session(code, access_token=await tokens.for_deps(deps).current())
    except tokens.TokenUnavailable:
        raise Unavailable("WeChat login is unavailable, try again shortly", code="wechat_unavailable") from None
    except LoginRejected:
        raise Unauthorized(
            "the WeChat login code is invalid, expired or already used", code="invalid_wx_code"
        ) from None
    except LoginUnavailable:
        raise Unavailable("WeChat login is unavailable, try again shortly", code="wechat_unavailable") from None
    openid = session.get("openid")
    if not openid:
        raise Unavailable("WeChat returned no openid", code="wechat_unavailable")
    account = await _upsert_account(openid, session.get("unionid"))
    if account.status != "active":
        raise Unauthorized("this account is disabled", code="account_disabled")

    token = rules.new_token()
    th = rules.token_hash(token)
    now = clock.now()
    expires_at = rules.token_expiry(now, deps.settings.tokens.ttl_s)
    await Session.create(token_hash=th, account_id=account.id, created_at=now, expires_at=expires_at)
    await cache_session(deps, th=th, account_id=account.id, expires_ms=to_ms(expires_at))
    log.info("login account=%s", account.id)
    return {"token": token, "expires_in": deps.settings.tokens.ttl_s, "account_id": account.id}


async def session_from_db(deps, th: str) -> tuple[int, int] | None:
    """(account_id, expires_ms) of a live session, re-cached; None if unknown/revoked/expired."""
    row = await Session.get_or_none(token_hash=th).select_related("account")
    if row is None or row.revoked_at is not None or row.account.status != "active":
        return None
    if not rules.is_live(expires_at=row.expires_at, revoked=False, now=clock.now()):
        return None
    expires_ms = to_ms(row.expires_at)
    await cache_session(deps, th=th, account_id=row.account_id, expires_ms=expires_ms)
    return row.account_id, expires_ms


async def authenticate(*, deps, token: str | None) -> int:
    if token is None:
        raise Unauthorized("a valid bearer token is required", code="invalid_token")
    th = rules.token_hash(token)
    cached = await deps.redis.hmget(_token_key(deps, th), ["a", "e"])
    if cached[0] is not None:
        account_id, expires_ms = int(cached[0]), int(cached[1])
    else:
        found = await session_from_db(deps, th)
        if found is None:
            raise Unauthorized("the token is invalid, expired or logged out", code="invalid_token")
        account_id, expires_ms = found
    if clock.now() >= from_ms(expires_ms):
        raise Unauthorized("the token has expired", code="invalid_token")
    return account_id


async def logout(*, deps, token: str) -> None:
    th = rules.token_hash(token)
    await Session.filter(token_hash=th, revoked_at__isnull=True).update(revoked_at=clock.now())
    await deps.redis.delete(_token_key(deps, th))
