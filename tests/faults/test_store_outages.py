"""Redis and PostgreSQL going away under the service and coming back, with
the service running as production runs it. Redis here is a redis-server of this test's own
(the machine's shared one is never touched); PostgreSQL loses the connections of this test's
own database."""

import asyncio
from collections import Counter

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis

from backend.clock import clock
from tests.faults.live import PG_ADMIN, HoldStream, RedisServer, Service, TcpCut, hold_burst, schedule_key

CAPACITY, BOOKED = 100, 20


@pytest.fixture(scope="module")
async def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def service(tmp_path_factory, redis_server):
    svc = Service(tmp_path_factory.mktemp("outages"), "live_out", redis_url=redis_server.url, workers=1)
    await svc.create_database()
    try:
        seeded = await svc.seed(cards=600, schedules=2, capacity=CAPACITY, booked=BOOKED)
        await svc.start()
        yield svc, seeded
    finally:
        svc.stop()
        await svc.drop_database()


async def used_in_redis(url: str, prefix: str, sid: int) -> int:
    r = aioredis.from_url(url)
    try:
        return await r.zcount(schedule_key(prefix, sid, "sh"), f"({clock.now_ms()}", "+inf")
    finally:
        await r.aclose()


def errors(results) -> Counter:
    return Counter((status, body.get("error", {}).get("code")) for status, body in results if status != 201)


async def test_redis_restarted_during_a_release_burst(service, redis_server):
    svc, seeded = service
    sid = seeded["schedules"][0]
    residents = seeded["residents"]
    # 1. the burst begins: the stock was loaded from the database at start-up (20 booked)
    first = await hold_burst(svc.base, [(t, c, sid) for t, c in residents[BOOKED : BOOKED + 50]])
    assert Counter(s for s, _ in first) == {201: 50}
    # 2. Redis dies mid-burst, after 30 more answers; requests keep arriving
    stream = HoldStream(svc.base, [(t, c, sid) for t, c in residents[BOOKED + 50 : BOOKED + 250]], concurrency=20)
    await stream.answered(30)
    redis_server.kill()
    during = await stream.finished()
    statuses = Counter(s for s, _ in during)
    assert set(statuses) <= {201, 409, 503}, errors(during)  # never a 500, never an unanswered request
    assert statuses[503] >= 100 and all(code == "store_unavailable" for (s, code) in errors(during) if s == 503)
    async with httpx.AsyncClient(base_url=svc.base, timeout=10) as http:
        down = await http.post(
            "/api/v1/holds",
            json={"schedule_id": sid, "card_id": residents[-1][1]},
            headers={"Authorization": f"Bearer {residents[-1][0]}"},
        )
        assert down.status_code == 503 and down.json()["error"]["code"] == "store_unavailable"
        assert down.headers["Retry-After"]
        assert (await http.get("/api/v1/ready")).status_code == 503
        assert (await http.get(f"/api/v1/schedules/{sid}")).status_code in (200, 503)
        # 3. Redis comes back empty (no persistence: the worst case); nobody touches the service
        redis_server.start()
        for _ in range(40):
            if (await http.get("/api/v1/ready")).status_code == 200:
                break
            await asyncio.sleep(0.25)
        else:
            raise AssertionError("the service did not become ready again")
    # 4. the rest of the burst: sessions and cards come back from the database on first use, and
    # the stock is rebuilt from the database's 20 bookings (the holds Redis lost are gone with it)
    after = await hold_burst(svc.base, [(t, c, sid) for t, c in residents[BOOKED + 250 :]])
    statuses = Counter(s for s, _ in after)
    assert statuses[201] == CAPACITY - BOOKED, (statuses, errors(after))
    assert set(statuses) == {201, 409} and set(code for _, code in errors(after)) == {"sold_out"}, errors(after)
    assert await used_in_redis(redis_server.url, svc.env["REDIS_PREFIX"], sid) == CAPACITY
    # the database's bookings are known to the rebuilt stock: their cards are refused as booked
    booked_again = await hold_burst(svc.base, [(t, c, sid) for t, c in residents[:BOOKED]])
    assert all(
        s == 409 and b["error"]["code"] == "already_held" and b["error"]["state"] == "booked" for s, b in booked_again
    )
    async with httpx.AsyncClient(base_url=svc.base, timeout=10) as http:
        assert (await http.get(f"/api/v1/schedules/{sid}")).json()["remaining"] == 0


async def _terminate_backends(db_name: str) -> int:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        return len(
            await conn.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                db_name,
            )
        )
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def relayed(tmp_path_factory, redis_server):
    """The service reaching PostgreSQL through a relay the test can cut."""
    relay = await TcpCut(("127.0.0.1", 5432)).start()
    svc = Service(tmp_path_factory.mktemp("pgloss"), "live_pg", redis_url=redis_server.url, workers=1)
    await svc.create_database()
    try:
        seeded = await svc.seed(cards=5, schedules=1, capacity=CAPACITY)
        svc.env["DATABASE_URL"] = svc.db_url.replace(":5432/", f":{relay.port}/") + "?maxsize=10"
        await svc.start()
        yield svc, seeded, relay
    finally:
        svc.stop()
        await relay.cut()
        await svc.drop_database()


async def test_postgres_connections_lost_and_back(relayed):
    svc, seeded, relay = relayed
    token, card = seeded["residents"][-1]
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=svc.base, timeout=10, headers=auth) as http:

        async def bookings():  # a database read on every call
            return await http.get("/api/v1/bookings")

        assert (await bookings()).status_code == 200
        # the network to the database goes: every pooled connection drops, new ones are refused
        await relay.cut()
        try:
            answers = [await bookings() for _ in range(5)]
            assert {r.status_code for r in answers} == {503}, [r.text for r in answers]
            assert {r.json()["error"]["code"] for r in answers} == {"database_unavailable"}
            assert (await http.get("/api/v1/ready")).status_code == 503
            # what needs no database still works: a hold is one Redis call
            sid = seeded["schedules"][0]
            held = await http.post("/api/v1/holds", json={"schedule_id": sid, "card_id": card})
            assert held.status_code == 201, held.text
        finally:
            await relay.restore()
        # back without a restart: the pool reconnects on the next requests
        for _ in range(40):
            r = await bookings()
            if r.status_code == 200:
                break
            assert r.status_code == 503
            await asyncio.sleep(0.25)
        assert r.status_code == 200
        assert (await http.get("/api/v1/ready")).status_code == 200
        # the backends killed by an operator (pg_terminate_backend): at most the requests that were
        # on those connections fail, cleanly
        assert await _terminate_backends(svc.db_name) >= 1
        statuses = [(await bookings()).status_code for _ in range(5)]
        assert set(statuses) <= {200, 503} and statuses[-1] == 200, statuses
    assert "unhandled error" not in svc.log_text()
