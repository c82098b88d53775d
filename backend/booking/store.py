"""The hold store: Redis calls of the booking Lua scripts (backend/booking/lua/*.lua).

In production this is the shared Redis (one server, or a Redis Cluster); in the embedded
default it is the in-process server of backend.redis.connect, running the same scripts.

Keys (docs/operations.md, section 4), each group under one hash tag so that a script touching
a group stays on one shard of a cluster:
  schedule {s<id>}:  sched (release data), sh (cards holding or booked, scored by expiry or
                     +inf), shr (the same for referral slots), shid (card -> hold id),
                     hold:<hold_id> (the hold's record; the hold id names its schedule)
  card {c<pk>}:      cd:<date> and cdd:<date>:<department> (its sessions of a day, scored like
                     sh), ban, ref (referral rights)
  account {a<id>}:   cards (backend/cards/service.py), rl:hold:<window> (hold rate)
  untagged:          tok:<token hash> (the session), rl:hold:ip:<ip>:<window>
On one Redis a hold is one call of hold.lua, which touches all of them. On a cluster it runs in
steps, one slot each (take_in_steps). Confirming, releasing, suspending and loading run in
steps everywhere: the schedule's slot first, then each card's.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from backend.booking import rules
from backend.cards import service as cards
from backend.clock import local_datetime, to_ms
from backend.identity import service as identity


def schedule_key(deps, schedule_id: int, *parts: object) -> str:
    return deps.keys.tagged(f"s{schedule_id}", *parts)


def card_key(deps, card_pk: int, *parts: object) -> str:
    return deps.keys.tagged(f"c{card_pk}", *parts)


def hold_key(deps, schedule_id: int, hold_id: str) -> str:
    return schedule_key(deps, schedule_id, "hold", hold_id)


def _schedule_keys(deps, sid: int) -> list[str]:
    return [schedule_key(deps, sid, name) for name in ("sched", "sh", "shr", "shid")]


def _day_keys(deps, card_pk: int, date: str, department_id: int) -> list[str]:
    """The card's sessions of the visit day, and of that day in that department."""
    return [card_key(deps, card_pk, "cd", date), card_key(deps, card_pk, "cdd", date, department_id)]


async def take(deps, *, token_hash: str, card_id: str, schedule_id: int, ip: str, now_ms: int, hold_id: str) -> list:
    if deps.scripts.cluster:
        return await take_in_steps(
            deps, token_hash=token_hash, card_id=card_id, schedule_id=schedule_id, ip=ip, now_ms=now_ms, hold_id=hold_id
        )
    return await deps.scripts.batched(
        "booking.hold",
        common=_hold_settings(deps.settings),
        args=[now_ms, token_hash, card_id, schedule_id, ip, hold_id],
    )


_hold_settings_of: tuple = (None, ())


def _hold_settings(settings) -> tuple:
    """hold.lua's leading arguments, built once per settings object (not on every hold; tests
    swap the settings for others)."""
    global _hold_settings_of
    if _hold_settings_of[0] is not settings:
        s = settings.booking
        _hold_settings_of = (
            settings,
            (
                settings.redis.prefix,
                s.hold_ttl_s * 1000,
                s.max_per_day,
                s.max_per_department_day,
                s.hold_rate_per_account,
                s.hold_rate_per_ip,
                s.hold_rate_window_s * 1000,
            ),
        )
    return _hold_settings_of[1]


async def _count(deps, key: str, window_ms: int) -> int:
    return int(await deps.scripts.batched("booking.rate", call_keys=[key], args=[window_ms * 2]))


async def take_in_steps(
    deps, *, token_hash: str, card_id: str, schedule_id: int, ip: str, now_ms: int, hold_id: str
) -> list:
    """hold.lua's decision and reply, for a Redis Cluster: the session, the account, the card and
    the schedule are in different slots, so the hold is four batched calls, each atomic on one
    slot, in three or four round trips:
      1. the session (tok:<hash>) and the schedule's release data and use (peek.lua), together;
      2. the rate counters (account, client IP) and the card's ownership ({a<id>}:cards);
      3. the card's checks and its place in its per-day sets, reserved (card_hold.lua);
      4. the slot itself (take.lua), decided alone on the schedule's slot, so never oversold;
    and, only when step 4 refuses a reservation, its release (card_free.lua). card_hold.lua
    explains why the per-card limits stay exact. Refusals come in hold.lua's order (the client
    IP's counter, read in the same trip as the account's, also counts a request the account's
    limit refuses)."""
    s = deps.settings.booking
    sid = schedule_id
    window_ms = s.hold_rate_window_s * 1000
    sched_keys = _schedule_keys(deps, sid)
    session, meta = await asyncio.gather(
        identity.session_in_store(deps, token_hash, now_ms),
        deps.scripts.batched("booking.peek", keys=sched_keys[:2], args=[now_ms]),
    )
    if session[0] == "miss":
        return session
    if session[0] != "ok":
        return ["err", "unauthorized"]
    account_id = int(session[1])

    window = now_ms // window_ms
    window_end = (window + 1) * window_ms
    by_account, by_ip, owned = await asyncio.gather(
        _count(deps, deps.keys.tagged(f"a{account_id}", "rl", "hold", window), window_ms),
        _count(deps, deps.keys("rl", "hold", "ip", ip, window), window_ms),
        cards.owned_in_store(deps, account_id, card_id),
    )
    if by_account > s.hold_rate_per_account:
        return ["err", "limit_exceeded", "rate_account", window_end]
    if by_ip > s.hold_rate_per_ip:
        return ["err", "limit_exceeded", "rate_ip", window_end]
    if owned[0] == "miss":
        return ["miss", "cards", account_id]
    if owned[0] != "ok":
        return owned
    if owned[2] != "active":
        return ["err", "card_inactive"]
    card_pk = int(owned[1])
    if meta[0] == "miss":
        return ["miss", "schedule"]

    status, cap, _rq, rel, rrel, date, dept, hosp, _fee, start, used, keep = meta
    expires_ms = now_ms + s.hold_ttl_s * 1000
    day_keys = _day_keys(deps, card_pk, date, int(dept))
    card = await deps.scripts(
        "booking.card_hold",
        [card_key(deps, card_pk, "ban"), card_key(deps, card_pk, "ref"), *day_keys],
        [
            now_ms,
            expires_ms,
            sid,
            s.max_per_day,
            s.max_per_department_day,
            status,
            rel,
            rrel,
            start,
            dept,
            hosp,
            1 if int(used) >= int(cap) else 0,
            max(int(keep), 0),
        ],
    )
    if card[0] == "err":
        return card
    reserved, kind = card[0] == "reserved", card[1]
    deny = "" if reserved or not card[2] else f"{card[2]}|{card[3]}"
    result = await deps.scripts.batched(
        "booking.take",
        keys=sched_keys,
        common=[s.hold_ttl_s * 1000, sid],
        call_keys=[hold_key(deps, sid, hold_id)],
        args=[now_ms, card_pk, card_id, account_id, hold_id, kind, deny],
    )
    if result[0] == "ok":
        if not reserved:
            await deps.scripts("booking.card_adopt", day_keys, [sid, result[2]])
    elif reserved and result[1] not in ("already_held", "already_booked"):
        # the entry written in step 3 is this request's alone (card_hold.lua): give it back
        await deps.scripts("booking.card_free", day_keys, [sid, expires_ms])
    return result


async def _book_cards(deps, *, schedule_id: int, date: str, department_id: int, card_pks, keep_ms: int = 0) -> None:
    await asyncio.gather(
        *[
            deps.scripts("booking.card_book", _day_keys(deps, pk, date, department_id), [schedule_id, keep_ms])
            for pk in card_pks
        ]
    )


async def _free_cards(deps, *, schedule_id: int, date: str, department_id: int, card_pks, which: object) -> None:
    await asyncio.gather(
        *[
            deps.scripts("booking.card_free", _day_keys(deps, pk, date, department_id), [schedule_id, which])
            for pk in card_pks
        ]
    )


async def confirm(
    deps,
    *,
    hold_id: str,
    now_ms: int,
    schedule_id: int,
    card_pk: int,
    expires_ms: int,
    kind: str,
    date: str,
    department_id: int,
) -> list:
    sched, sh, shr, _ = _schedule_keys(deps, schedule_id)
    result = await deps.scripts(
        "booking.confirm",
        [sched, sh, shr, hold_key(deps, schedule_id, hold_id)],
        [now_ms, schedule_id, card_pk, expires_ms, kind, date, department_id],
    )
    if result[0] == "ok":
        await _book_cards(deps, schedule_id=schedule_id, date=date, department_id=department_id, card_pks=[card_pk])
    return result


async def release(
    deps, *, mode: str, schedule_id: int, card_pk: int, date: str, department_id: int, hold_id: str = ""
) -> int:
    _, sh, shr, _ = _schedule_keys(deps, schedule_id)
    result = await deps.scripts("booking.release", [sh, shr, hold_key(deps, schedule_id, hold_id)], [mode, card_pk])
    if not int(result[0]):
        return 0
    await _free_cards(
        deps, schedule_id=schedule_id, date=date, department_id=department_id, card_pks=[card_pk], which=result[1]
    )
    return 1


async def suspend(deps, *, schedule_id: int, now_ms: int) -> list[str]:
    """Suspend the session in Redis; returns the ids of the holds that were live."""
    sched, sh, shr, shid = _schedule_keys(deps, schedule_id)
    found = await deps.scripts("booking.suspend", [sched, sh, shid], [now_ms])
    if not found:
        return []
    date, department_id, live = found[0], int(found[1]), list(found[2])
    holders = await deps.scripts(
        "booking.suspend_holds", [sh, shr, *[hold_key(deps, schedule_id, h) for h in live]], []
    )
    await _free_cards(
        deps, schedule_id=schedule_id, date=date, department_id=department_id, card_pks=holders, which="any"
    )
    return live


async def load(
    deps, *, schedule, department_id: int, hospital_id: int, booked: list[tuple[int, str]], ttl_ms: int
) -> int:
    sched, sh, shr, _ = _schedule_keys(deps, schedule.id)
    date = day_key(schedule.date)
    args = [
        ttl_ms,
        schedule.status,
        schedule.capacity,
        schedule.referral_quota,
        to_ms(schedule.release_at),
        to_ms(schedule.referral_release_at),
        date,
        department_id,
        hospital_id,
        schedule.fee_fen,
        to_ms(local_datetime(schedule.date, schedule.start)),
    ]
    for card_pk, kind in booked:
        args += [card_pk, kind]
    count = await deps.scripts("booking.load", [sched, sh, shr], args)
    await _book_cards(
        deps,
        schedule_id=schedule.id,
        date=date,
        department_id=department_id,
        card_pks=[pk for pk, _ in booked],
        keep_ms=ttl_ms,
    )
    return count


async def is_loaded(deps, schedule_id: int) -> bool:
    return bool(await deps.redis.exists(schedule_key(deps, schedule_id, "sched")))


async def hold_record(deps, hold_id: str) -> dict:
    """The hold's record, found by the schedule its id names; {} for an id not of that shape."""
    schedule_id = rules.hold_schedule_id(hold_id)
    if schedule_id is None:
        return {}
    return await deps.redis.hgetall(hold_key(deps, schedule_id, hold_id))


async def used_slots(deps, schedule_ids: list[int], now_ms: int) -> dict[int, int | None]:
    """Slots in use per schedule (live holds and bookings); None where Redis has not loaded it."""
    pipe = deps.redis.pipeline(transaction=False)
    for sid in schedule_ids:
        pipe.exists(schedule_key(deps, sid, "sched"))
        pipe.zcount(schedule_key(deps, sid, "sh"), f"({now_ms}", "+inf")
    raw = await pipe.execute()
    return {sid: raw[2 * i + 1] if raw[2 * i] else None for i, sid in enumerate(schedule_ids)}


async def set_ban(deps, *, card_pk: int, rule: str, until_ms: int, now_ms: int) -> None:
    key = card_key(deps, card_pk, "ban")
    current = await deps.redis.get(key)
    if current and int(current.split("|")[1]) >= until_ms:
        return
    await deps.redis.set(key, f"{rule}|{until_ms}", px=max(until_ms - now_ms, 1000) + 86_400_000)


async def set_referral(deps, *, card_pk: int, field: str, valid_to_ms: int, now_ms: int) -> None:
    """Record a referral right; the card's rights expire a day after the last of them ends."""
    key = card_key(deps, card_pk, "ref")
    current = await deps.redis.hget(key, field)
    if current is None or int(current) < valid_to_ms:
        await deps.redis.hset(key, field, valid_to_ms)
    keep = max(valid_to_ms - now_ms, 0) + 86_400_000
    if await deps.redis.pttl(key) < keep:
        await deps.redis.pexpire(key, keep)


async def forget_referrals(deps, *, card_pk: int) -> None:
    await deps.redis.delete(card_key(deps, card_pk, "ref"))


def day_key(when: datetime) -> str:
    return when.strftime("%Y%m%d")
