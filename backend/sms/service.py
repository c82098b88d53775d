"""Sending and checking SMS codes. State lives in Redis; every read-decide-write runs under
WATCH/MULTI so concurrent sends or guesses cannot slip past a limit."""

from __future__ import annotations

import hmac
import logging
from datetime import datetime, timedelta

from redis.exceptions import WatchError

from backend import metrics
from backend.clock import SHANGHAI, clock, iso_ms, to_ms
from backend.errors import AppError, BadRequest, TooManyRequests
from backend.sms import rules
from backend.sms.providers import SmsUnavailable

log = logging.getLogger("ehealth.sms")


def limits_from(settings) -> rules.Limits:
    return rules.Limits(
        code_ttl_ms=settings.sms.code_ttl_s * 1000,
        max_attempts=settings.sms.max_attempts,
        resend_interval_ms=settings.sms.resend_interval_s * 1000,
        daily_limit=settings.sms.daily_limit_per_phone,
    )


def _phone_ref(deps, phone: str) -> str:
    return deps.pii.index(phone, field="phone")


def _phone_key(deps, phone_ref: str, *parts: object) -> str:
    """One number's keys share a hash tag: the send decision watches and writes them in one
    transaction, which a Redis Cluster allows only within one slot."""
    return deps.keys.tagged(f"p{phone_ref}", "sms", *parts)


def _code_hash(deps, phone_ref: str, purpose: str, code: str) -> str:
    return hmac.new(deps.settings.crypto.index_key, f"sms|{phone_ref}|{purpose}|{code}".encode(), "sha256").hexdigest()


def _ms_to_next_day(now: datetime) -> int:
    local = now.astimezone(SHANGHAI)
    midnight = datetime(local.year, local.month, local.day, tzinfo=SHANGHAI) + timedelta(days=1)
    return to_ms(midnight) - to_ms(now)


async def send_code(*, deps, phone: str, purpose: str, ip: str) -> dict:
    if purpose not in rules.PURPOSES:
        raise BadRequest(
            f"purpose must be one of {', '.join(rules.PURPOSES)}",
            fields=[{"field": "purpose", "message": "unknown purpose"}],
        )
    try:
        phone = rules.normalize_phone(phone)
    except rules.InvalidPhone as exc:
        raise BadRequest(f"phone: {exc}", code="invalid_phone") from None

    settings = deps.settings
    now = clock.now()
    now_ms = to_ms(now)
    limits = limits_from(settings)

    # per client IP, fixed hourly window
    hour = now_ms // 3_600_000
    ip_key = deps.keys("sms", "ip", ip, hour)
    async with deps.redis.pipeline(transaction=True) as pipe:
        pipe.incr(ip_key)
        pipe.expire(ip_key, 7200)
        ip_count, _ = await pipe.execute()
    if ip_count > settings.sms.hourly_limit_per_ip:
        until = (hour + 1) * 3_600_000
        raise TooManyRequests(
            "too many SMS requests from this network, try again later",
            rule="sms_ip_hourly",
            until=iso_ms(until),
            retry_after=max(1, (until - now_ms) // 1000),
        )

    ref = _phone_ref(deps, phone)
    day = now.astimezone(SHANGHAI).strftime("%Y%m%d")
    last_key = _phone_key(deps, ref, "last")
    day_key = _phone_key(deps, ref, "day", day)
    code_key = _phone_key(deps, ref, "code", purpose)
    code = rules.new_code()
    async with deps.redis.pipeline(transaction=True) as pipe:
        while True:
            try:
                await pipe.watch(last_key, day_key)
                last, sent = await pipe.get(last_key), await pipe.get(day_key)
                state = rules.SendState(int(last) if last else None, int(sent or 0))
                decision = rules.decide_send(state, now_ms=now_ms, limits=limits, ms_to_next_day=_ms_to_next_day(now))
                if not decision.allowed:
                    await pipe.reset()
                    break
                pipe.multi()
                pipe.set(last_key, now_ms, ex=2 * 86400)
                pipe.incr(day_key)
                pipe.expire(day_key, 2 * 86400)
                pipe.hset(code_key, mapping={"h": _code_hash(deps, ref, purpose, code), "t": now_ms, "n": 0})
                pipe.expire(code_key, settings.sms.code_ttl_s + 3600)
                await pipe.execute()
                break
            except WatchError:
                continue
    if not decision.allowed:
        retry_after = max(1, -(-decision.retry_after_ms // 1000))
        message = (
            "a code was sent to this number less than a minute ago"
            if decision.reason == "resend_interval"
            else "this number has had too many codes today"
        )
        raise TooManyRequests(
            message,
            rule=f"sms_{decision.reason}",
            until=iso_ms(now_ms + decision.retry_after_ms),
            retry_after=retry_after,
        )

    minutes = str(max(1, settings.sms.code_ttl_s // 60))
    try:
        await deps.sms.send(
            phone=phone,
            text=f"【电子健康卡】验证码 {code}，{minutes}分钟内有效，请勿告诉他人。",
            params=[code, minutes],
        )
    except SmsUnavailable as exc:
        # nothing reached the resident: give back what this send counted, so a gateway outage
        # does not use up the number's sends for the minute or the day
        await _undo_send(deps, last_key=last_key, previous_last=last, day_key=day_key, code_key=code_key, ip_key=ip_key)
        metrics.SMS.labels("failed").inc()
        log.warning("SMS not sent: %s", exc)
        raise AppError(
            "the SMS service is unavailable; try again in a moment", code="sms_unavailable", status=503
        ) from None
    metrics.SMS.labels("sent").inc()
    response = {"sent": True, "retry_after": settings.sms.resend_interval_s}
    if settings.dev_helpers:
        response["dev_code"] = code
    return response


async def _undo_send(deps, *, last_key: str, previous_last, day_key: str, code_key: str, ip_key: str) -> None:
    async with deps.redis.pipeline(transaction=True) as pipe:
        if previous_last is None:
            pipe.delete(last_key)
        else:
            pipe.set(last_key, previous_last, ex=2 * 86400)
        pipe.decr(day_key)
        pipe.delete(code_key)
        await pipe.execute()
    await deps.redis.decr(ip_key)  # the network's counter is in another slot: on its own


async def consume_code(*, deps, phone: str, purpose: str, code: str) -> None:
    """Accept the code for (phone, purpose) once, or raise. `phone` is already normalized."""
    limits = limits_from(deps.settings)
    ref = _phone_ref(deps, phone)
    key = _phone_key(deps, ref, "code", purpose)
    submitted = _code_hash(deps, ref, purpose, code)
    now_ms = clock.now_ms()
    async with deps.redis.pipeline(transaction=True) as pipe:
        while True:
            try:
                await pipe.watch(key)
                raw = await pipe.hgetall(key)
                state = rules.CodeState(raw["h"], int(raw["t"]), int(raw["n"])) if raw else None
                verdict = rules.check_code(state, submitted, now_ms=now_ms, limits=limits)
                pipe.multi()
                if verdict == rules.OK:
                    pipe.delete(key)
                elif verdict == rules.WRONG:
                    pipe.hincrby(key, "n", 1)
                await pipe.execute()
                break
            except WatchError:
                continue
    if verdict == rules.OK:
        return
    if verdict == rules.WRONG:
        left = limits.max_attempts - state.attempts - 1
        raise BadRequest(f"the SMS code is wrong ({left} tries left)", code="invalid_sms_code", attempts_left=left)
    if verdict == rules.DEAD:
        raise BadRequest("this SMS code has had too many wrong tries; request a new one", code="sms_code_dead")
    raise BadRequest("no valid SMS code for this number; request a new one", code="sms_code_expired")
