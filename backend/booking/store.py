"""The hold store: Redis calls of the booking Lua scripts (backend/booking/lua/*.lua).

In production this is the shared Redis; in the embedded default it is the in-process server of
backend.redis.connect, running the same scripts.
"""

from __future__ import annotations

from datetime import datetime

from backend.clock import local_datetime, to_ms


def _prefix(deps) -> str:
    return deps.settings.redis.prefix


async def take(deps, *, token_hash: str, card_id: str, schedule_id: int, ip: str, now_ms: int, hold_id: str) -> list:
    s = deps.settings
    common = [
        _prefix(deps), s.booking.hold_ttl_s * 1000, s.booking.max_per_day, s.booking.max_per_department_day,
        s.booking.hold_rate_per_account, s.booking.hold_rate_per_ip, s.booking.hold_rate_window_s * 1000,
    ]
    return await deps.scripts.batched("booking.hold", common, [now_ms, token_hash, card_id, schedule_id, ip, hold_id])


async def confirm(deps, *, hold_id: str, now_ms: int, schedule_id: int, card_pk: int, expires_ms: int, kind: str, date: str, department_id: int) -> list:
    return await deps.scripts(
        "booking.confirm", [], [_prefix(deps), now_ms, hold_id, schedule_id, card_pk, expires_ms, kind, date, department_id]
    )


async def release(deps, *, mode: str, schedule_id: int, card_pk: int, date: str, department_id: int, hold_id: str = "") -> int:
    return await deps.scripts("booking.release", [], [_prefix(deps), mode, schedule_id, card_pk, date, department_id, hold_id])


async def suspend(deps, *, schedule_id: int, now_ms: int) -> list[str]:
    return await deps.scripts("booking.suspend", [], [_prefix(deps), schedule_id, now_ms])


async def load(deps, *, schedule, department_id: int, hospital_id: int, booked: list[tuple[int, str]], ttl_ms: int) -> int:
    args = [
        _prefix(deps), schedule.id, ttl_ms, schedule.status, schedule.capacity, schedule.referral_quota,
        to_ms(schedule.release_at), to_ms(schedule.referral_release_at), schedule.date.strftime("%Y%m%d"),
        department_id, hospital_id, schedule.fee_fen, to_ms(local_datetime(schedule.date, schedule.start)),
    ]
    for card_pk, kind in booked:
        args += [card_pk, kind]
    return await deps.scripts("booking.load", [], args)


async def hold_record(deps, hold_id: str) -> dict:
    return await deps.redis.hgetall(deps.keys("hold", hold_id))


async def used_slots(deps, schedule_ids: list[int], now_ms: int) -> dict[int, int | None]:
    """Slots in use per schedule (live holds and bookings); None where Redis has not loaded it."""
    pipe = deps.redis.pipeline(transaction=False)
    for sid in schedule_ids:
        pipe.exists(deps.keys("sched", sid))
        pipe.zcount(deps.keys("sh", sid), f"({now_ms}", "+inf")
    raw = await pipe.execute()
    return {sid: raw[2 * i + 1] if raw[2 * i] else None for i, sid in enumerate(schedule_ids)}


async def set_ban(deps, *, card_pk: int, rule: str, until_ms: int, now_ms: int) -> None:
    key = deps.keys("ban", card_pk)
    current = await deps.redis.get(key)
    if current and int(current.split("|")[1]) >= until_ms:
        return
    await deps.redis.set(key, f"{rule}|{until_ms}", px=max(until_ms - now_ms, 1000) + 86_400_000)


async def set_referral(deps, *, card_pk: int, field: str, valid_to_ms: int) -> None:
    key = deps.keys("ref", card_pk)
    current = await deps.redis.hget(key, field)
    if current is None or int(current) < valid_to_ms:
        await deps.redis.hset(key, field, valid_to_ms)


def day_key(when: datetime) -> str:
    return when.strftime("%Y%m%d")
