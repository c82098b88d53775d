"""A worker killed mid-request: two production workers, one SIGKILLed while
a release burst is in flight. Requests on it die with their connection; the other worker keeps
serving; a resident whose answer was lost asks again and gets the hold that was taken for them
(409 already_held with its hold_id), so no slot is held by nobody, and none is oversold."""

import asyncio
import os
import signal
from collections import Counter

import pytest
import redis.asyncio as aioredis

from backend.clock import clock
from tests.faults.live import SHARED_REDIS, HoldStream, Service, hold_burst, schedule_key

CAPACITY = 100


@pytest.fixture(scope="module")
async def service(tmp_path_factory):
    svc = Service(tmp_path_factory.mktemp("killed"), "live_kill", workers=2)
    await svc.create_database()
    try:
        seeded = await svc.seed(cards=400, schedules=1, capacity=CAPACITY)
        await svc.start()
        yield svc, seeded
    finally:
        svc.stop()
        await svc.drop_database()
        r = aioredis.from_url(SHARED_REDIS)
        keys = [k async for k in r.scan_iter(match=svc.env["REDIS_PREFIX"] + "*", count=1000)]
        if keys:
            await r.delete(*keys)
        await r.aclose()


async def test_worker_killed_mid_burst(service):
    svc, seeded = service
    sid = seeded["schedules"][0]
    # every resident asks several times (a refresh-happy crowd), so the stream is still running
    # however fast the machine: the killed worker's clients are always mid-request when it dies
    attempts = [(t, c, sid) for t, c in seeded["residents"]] * 5
    workers = svc.worker_pids()
    assert len(workers) == 2
    stream = HoldStream(svc.base, attempts, concurrency=50)
    await stream.answered(60)  # 50 keep-alive connections open, spread over both workers
    # the worker serving the most connections freezes with requests on them (some mid-way),
    # then dies
    connections = svc.connections_by_worker()
    victim, victim_connections = max(connections.items(), key=lambda kv: kv[1])
    assert victim_connections > 0, f"no client connection seen on any worker: {connections}"
    os.kill(victim, signal.SIGSTOP)
    # killed only once requests sit unread on it (its clients' next ones: each client keeps its
    # own connection), which are certain to die with their connection
    await asyncio.sleep(0.5)
    for _ in range(100):
        if svc.unread_requests(victim):
            break
        await asyncio.sleep(0.1)
    assert svc.unread_requests(victim), (
        f"no request reached the frozen worker ({stream.count} of {len(attempts)} answered)"
    )
    os.kill(victim, signal.SIGKILL)
    first = await stream.finished()
    statuses = Counter(s for s, _ in first)
    assert set(statuses) <= {0, 201, 409}, statuses  # a dead connection, a hold, or a refusal: never a 5xx
    assert statuses[0] >= 1, "requests were in flight on the killed worker"
    # those whose answer was lost (or who were refused while slots were still counting) ask again
    lost = [a for a, (s, _) in zip(attempts, first) if s == 0]
    retried = await hold_burst(svc.base, lost) if lost else []
    assert all(s in (201, 409) for s, _ in retried)
    owners = {b["hold_id"] for s, b in first + retried if s == 201}
    owners |= {b["error"]["hold_id"] for s, b in retried if s == 409 and b["error"]["code"] == "already_held"}
    r = aioredis.from_url(SHARED_REDIS, decode_responses=True)
    try:
        prefix = svc.env["REDIS_PREFIX"]
        used = await r.zcount(schedule_key(prefix, sid, "sh"), f"({clock.now_ms()}", "+inf")
        held_ids = set((await r.hgetall(schedule_key(prefix, sid, "shid"))).values())
    finally:
        await r.aclose()
    assert used == CAPACITY  # sold out, not over
    assert owners == held_ids and len(owners) == CAPACITY, "every slot taken is known to the resident who took it"
    # the service still answers on its port (the surviving worker, and Sanic's restart if any)
    again = await hold_burst(svc.base, attempts[:5])
    assert all(s == 409 for s, _ in again)
    print(
        f"killed worker {victim}: {statuses[0]} requests lost in flight, {len(lost)} retried; workers now "
        f"{svc.worker_pids()}"
    )
