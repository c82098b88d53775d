"""The release waiting room (放号排队): tickets, their status, the hold gate and the operator's
settings. The room itself is backend/releases/lua/room.lua, one Redis call per operation; the
database holds only each hospital's settings (release_rooms) and its release time (catalog).

Booking does not know this domain: wiring.py hands `gate_hold` to the hold path as a hook.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

from tortoise.transactions import in_transaction

from backend.actions import service as actions
from backend.booking import store as hold_store
from backend.catalog.models import Hospital, Schedule
from backend.clock import clock, iso_ms, to_ms
from backend.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized
from backend.identity import rules as identity_rules
from backend.identity import service as identity
from backend.releases import rules
from backend.releases.models import ReleaseRoom

log = logging.getLogger("ehealth.releases")

RELEASE_TIME_CACHE_S = 30.0  # how long a worker trusts a hospital's release time it read


def cfg_key(deps, hospital_id: int) -> str:
    return deps.keys.tagged(f"r{hospital_id}", "cfg")


def ticket_secret(deps) -> bytes:
    return deps.settings.crypto.index_key


# --- per-worker memory of what does not change at a release ------------------------------------


class _Memory:
    """Kept with the worker's deps (tests build new deps, and with them a new memory)."""

    def __init__(self) -> None:
        self.release_times: dict[int, tuple[float, int]] = {}  # hospital -> (read at, monotonic; minute)
        self.schedules: dict[int, tuple[int, int] | None] = {}  # schedule -> (hospital, release ms)
        self.schedule_reads: dict[int, asyncio.Future] = {}
        self.fallback_logged: set[tuple[int, int]] = set()


def _memory(deps) -> _Memory:
    memory = deps.extras.get("releases")
    if memory is None:
        memory = deps.extras["releases"] = _Memory()
    return memory


async def _release_minute(deps, hospital_id: int) -> int:
    """The hospital's release time as a minute of the day, re-read at most every 30 s per worker
    (so a changed release time reaches every worker within that)."""
    times = _memory(deps).release_times
    cached = times.get(hospital_id)
    if cached is not None and time.monotonic() - cached[0] < RELEASE_TIME_CACHE_S:
        return cached[1]
    found = await Hospital.filter(id=hospital_id).values_list("release_time", flat=True)
    if not found:
        raise NotFound("no such hospital", code="hospital_not_found")
    minute = rules.release_minutes(found[0])
    times[hospital_id] = (time.monotonic(), minute)
    return minute


async def _schedule_release(deps, schedule_id: int) -> tuple[int, int] | None:
    """(hospital, release ms) of a schedule, read once per worker (a schedule's release time is
    fixed when it is created); concurrent first asks share one read."""
    memory = _memory(deps)
    if schedule_id in memory.schedules:
        return memory.schedules[schedule_id]
    pending = memory.schedule_reads.get(schedule_id)
    if pending is None:
        pending = asyncio.get_running_loop().create_future()
        memory.schedule_reads[schedule_id] = pending
        try:
            # the hold store has it (the hold path makes no database query); a cold store, the database
            cached = await deps.redis.hmget(hold_store.schedule_key(deps, schedule_id, "sched"), ["hosp", "rel"])
            if cached[0] is not None:
                found = (int(cached[0]), int(cached[1]))
            else:
                row = await Schedule.filter(id=schedule_id).values_list("hospital_id", "release_at")
                found = (row[0][0], to_ms(row[0][1])) if row else None
            if found is not None:
                if len(memory.schedules) > 100_000:
                    memory.schedules.clear()
                memory.schedules[schedule_id] = found
            pending.set_result(found)
        except BaseException as exc:
            pending.set_exception(exc)
            pending.exception()  # retrieved here, so a lone caller's failure is not "never retrieved"
            raise
        finally:
            memory.schedule_reads.pop(schedule_id, None)
    return await asyncio.shield(pending)


# --- the room's script ---------------------------------------------------------------------------


def _common(deps, op: str, now_ms: int, release_min: int) -> list:
    s = deps.settings.releases
    return [op, now_ms, release_min, s.open_before_s * 1000, s.window_s * 1000, s.admitted_valid_s * 1000]


async def _settings_row(deps, hospital_id: int) -> tuple[bool, int | None]:
    """(enabled, rate or None for the default) of the hospital's room."""
    row = await ReleaseRoom.get_or_none(hospital_id=hospital_id)
    return (deps.settings.releases.default_on, None) if row is None else (row.enabled, row.rate_per_s)


async def load_settings(deps, hospital_id: int, *, now_ms: int | None = None) -> None:
    """Put the hospital's room settings into Redis unless they are there (a cold or restarted
    Redis, a new hospital)."""
    enabled, rate = await _settings_row(deps, hospital_id)
    rate = deps.settings.releases.rate_per_s if rate is None else rate
    now_ms = clock.now_ms() if now_ms is None else now_ms
    release_min = await _release_minute(deps, hospital_id)
    await deps.scripts(
        "releases.room",
        [cfg_key(deps, hospital_id)],
        [*_common(deps, "configure", now_ms, release_min), 1 if enabled else 0, rate, "fill"],
    )


async def prime(deps) -> int:
    """Every hospital's room settings into Redis (start-up): so that they are there before any
    room opens, and a room that finds its settings newer than its opening knows Redis lost it."""
    ids = await Hospital.all().values_list("id", flat=True)
    for hospital_id in ids:
        await load_settings(deps, hospital_id)
    return len(ids)


async def _room(deps, hospital_id: int, op: str, *args) -> list:
    release_min = await _release_minute(deps, hospital_id)
    for attempt in (1, 2):
        now_ms = clock.now_ms()
        result = await deps.scripts(
            "releases.room", [cfg_key(deps, hospital_id)], [*_common(deps, op, now_ms, release_min), *args]
        )
        if result[0] != "miss" or attempt == 2:
            return [*result, now_ms]
        await load_settings(deps, hospital_id, now_ms=now_ms)
    raise AssertionError("unreachable")


def _ticket_view(deps, hospital_id: int, account_id: int, result: list, ticket: str | None = None) -> dict:
    _, release_ms, _created, pos, adm, status, until, rate, now_ms = result
    release_ms, pos, adm, until, rate = int(release_ms), int(pos), int(adm), int(until), int(rate)
    position = pos if pos > 0 else None
    return {
        "ticket": ticket
        or rules.sign_ticket(
            ticket_secret(deps), hospital_id=hospital_id, release_ms=release_ms, account_id=account_id
        ),
        "hospital_id": hospital_id,
        "release_at": iso_ms(release_ms),
        "position": position,
        "admitted_through": adm,
        "estimated_wait_s": rules.estimated_wait_s(
            position=position, admitted=adm, rate=rate, now_ms=int(now_ms), release_ms=release_ms
        ),
        "status": status,
        "admitted_until": iso_ms(until) if status == "admitted" else None,
    }


async def _session_account(deps, token: str | None, now_ms: int) -> int:
    """The bearer token's account: the session read by the batched session script (shared with
    the other requests of the moment, as a hold does), the database only for a cold cache."""
    if token is None:
        raise Unauthorized("a valid bearer token is required", code="invalid_token")
    th = identity_rules.token_hash(token)
    session = await identity.session_in_store(deps, th, now_ms)
    if session[0] == "ok":
        return int(session[1])
    if session[0] == "miss" and (found := await identity.session_from_db(deps, th)):
        return found[0]
    raise Unauthorized("the token is invalid, expired or logged out", code="invalid_token")


async def take_ticket(*, deps, token: str | None, hospital_id: int, ip: str) -> tuple[dict, bool]:
    """The account's ticket for the hospital's coming (or running) release: a new one, or the one
    it already has (one per account and release). Returns (ticket, created)."""
    s = deps.settings.releases
    now_ms = clock.now_ms()
    window_ms = s.ticket_rate_window_s * 1000
    # the client address's count and the session, in the same round trip
    by_ip, account_id = await asyncio.gather(
        deps.scripts.batched(
            "booking.rate", call_keys=[deps.keys("rl", "ticket", "ip", ip, now_ms // window_ms)], args=[window_ms * 2]
        ),
        _session_account(deps, token, now_ms),
    )
    if int(by_ip) > s.ticket_rate_per_ip:
        raise TooManyRequests(
            "too many tickets from this address; try again shortly",
            code="limit_exceeded",
            rule="rate_ip",
            until=iso_ms((now_ms // window_ms + 1) * window_ms),
        )
    return await ticket_for_account(deps=deps, account_id=account_id, hospital_id=hospital_id)


async def ticket_for_account(*, deps, account_id: int, hospital_id: int) -> tuple[dict, bool]:
    """take_ticket's own part, once the account is known and the address counted."""
    # 52 random bits: exact as a Redis score (a double), and ties as good as impossible
    result = await _room(deps, hospital_id, "issue", account_id, secrets.randbits(52))
    if result[0] == "closed":
        opens = int(result[1])
        raise Conflict(
            "there is no waiting room open now: hold directly",
            code="room_not_open",
            opens_at=iso_ms(opens) if opens >= 0 else None,
        )
    return _ticket_view(deps, hospital_id, account_id, result), result[2] == 1


async def ticket_status(*, deps, hospital_id: int, ticket: str) -> dict:
    """What a waiting resident polls: one Redis call, no database (the hospital's release time is
    in the worker's memory after its first read). The signed ticket is the credential."""
    read = rules.read_ticket(ticket_secret(deps), ticket)
    if read is None or read[0] != hospital_id:
        raise NotFound("no such ticket", code="ticket_not_found")
    _, release_ms, account_id = read
    result = await _room(deps, hospital_id, "status", account_id, release_ms)
    if result[0] == "none":
        raise NotFound("no such ticket", code="ticket_not_found")
    if result[0] == "open":  # the room is off, over, or fell back to open: nobody waits
        return {
            "ticket": ticket,
            "hospital_id": hospital_id,
            "release_at": iso_ms(release_ms),
            "position": None,
            "admitted_through": None,
            "estimated_wait_s": 0,
            "status": "admitted",
            "admitted_until": None,
        }
    return _ticket_view(deps, hospital_id, account_id, result, ticket)


async def gate_hold(deps, *, token_hash: str, schedule_id: int, now_ms: int) -> None:
    """The hold path's question: may this session's account hold in this schedule now? Outside a
    release window it costs nothing but a dictionary look-up; inside, the session's account and
    one call of the room script. Refuses with 403 not_admitted (and the ticket's position)."""
    found = await _schedule_release(deps, schedule_id)
    if found is None:
        return  # no such schedule: the hold answers that
    hospital_id, release_ms = found
    if not release_ms <= now_ms < release_ms + deps.settings.releases.window_s * 1000:
        return
    session = await identity.session_in_store(deps, token_hash, now_ms)
    if session[0] == "ok":
        account_id = int(session[1])
    elif session[0] == "miss" and (db_session := await identity.session_from_db(deps, token_hash)):
        account_id = db_session[0]
    else:
        return  # not signed in: the hold refuses it
    result = await _room(deps, hospital_id, "gate", account_id, release_ms)
    if result[0] == "pass":
        return
    if result[0] == "open":
        logged = _memory(deps).fallback_logged
        if (hospital_id, release_ms) not in logged:
            logged.add((hospital_id, release_ms))
            log.warning(
                "release room of hospital %s at %s falls back to open: its settings were reloaded "
                "into Redis after it opened (a Redis restart or flush), so its tickets may be gone",
                hospital_id,
                iso_ms(release_ms),
            )
        return
    _, pos, adm, status, _until, rate, now = result
    pos, adm, rate = int(pos), int(adm), int(rate)
    position = pos if pos > 0 else None
    raise Forbidden(
        "please wait for your turn in the waiting room"
        if status != "expired"
        else "your turn in the waiting room has expired; take a new ticket after the release window",
        code="not_admitted",
        ticket_status=status,  # waiting | expired | none (no ticket)
        position=position,
        admitted_through=adm,
        estimated_wait_s=rules.estimated_wait_s(
            position=position, admitted=adm, rate=rate, now_ms=int(now), release_ms=release_ms
        )
        if position
        else None,
    )


# --- operators -----------------------------------------------------------------------------------


async def room_view(*, deps, hospital_id: int) -> dict:
    """A hospital's room settings and, live, today's (or the next) room."""
    enabled, rate = await _settings_row(deps, hospital_id)
    result = await _room(deps, hospital_id, "stats")
    release_ms, en, live_rate, early, late, adm, fell_back, now_ms = (
        int(result[0]),
        result[1],
        int(result[2]),
        int(result[3]),
        int(result[4]),
        int(result[5]),
        int(result[6]),
        int(result[7]),
    )
    s = deps.settings.releases
    times = rules.RoomTimes(release_ms, release_ms - s.open_before_s * 1000, release_ms + s.window_s * 1000)
    state = times.state(now_ms) if en == "1" else "off"
    if fell_back and state != "off" and state != "closed":
        state = "open"
    return {
        "hospital_id": hospital_id,
        "enabled": enabled,
        "rate_per_s": deps.settings.releases.rate_per_s if rate is None else rate,
        "live_rate_per_s": live_rate,
        "release_at": iso_ms(release_ms),
        "opens_at": iso_ms(times.opens_ms),
        "window_ends_at": iso_ms(times.ends_ms),
        "state": state,  # closed | pre_queue | admitting | open (lost with Redis) | off
        "tickets_early": early,
        "tickets_late": late,
        "tickets": early + late,
        "admitted_through": min(adm, early + late),
        "now": iso_ms(now_ms),
    }


async def set_room(*, deps, hospital_id: int, enabled: bool | None, rate_per_s: int | None) -> dict:
    """Turn the hospital's room on or off, or change its rate; a rate changed during a release
    applies from now on (the number already admitted stays)."""
    if not await Hospital.exists(id=hospital_id):
        raise NotFound("no such hospital", code="hospital_not_found")
    default_rate = deps.settings.releases.rate_per_s
    async with in_transaction() as conn:
        row = await ReleaseRoom.select_for_update().using_db(conn).get_or_none(hospital_id=hospital_id)
        before = (
            {"enabled": deps.settings.releases.default_on, "rate_per_s": default_rate}
            if row is None
            else {
                "enabled": row.enabled,
                "rate_per_s": row.rate_per_s,
            }
        )
        after = {
            "enabled": before["enabled"] if enabled is None else enabled,
            "rate_per_s": before["rate_per_s"] if rate_per_s is None else rate_per_s,
        }
        if row is None:
            await ReleaseRoom.create(hospital_id=hospital_id, updated_at=clock.now(), using_db=conn, **after)
        else:
            await ReleaseRoom.filter(id=row.id).using_db(conn).update(updated_at=clock.now(), **after)
        await actions.record(
            "release_room.update",
            target=("hospital", hospital_id),
            hospital_id=hospital_id,
            change=actions.diff(before, after),
            using_db=conn,
        )
    release_min = await _release_minute(deps, hospital_id)
    await deps.scripts(
        "releases.room",
        [cfg_key(deps, hospital_id)],
        [
            *_common(deps, "configure", clock.now_ms(), release_min),
            1 if after["enabled"] else 0,
            after["rate_per_s"],
            "set",
        ],
    )
    return await room_view(deps=deps, hospital_id=hospital_id)
