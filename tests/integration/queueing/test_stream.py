"""The waiting-room display's event stream over real HTTP (a Sanic server in this test's event
loop, real sockets): caps per client address and per worker, refusals in the error shape, slots
given back when a client goes away, and one database look per schedule however many watch."""

from __future__ import annotations

import asyncio
import json
import socket
from contextlib import AsyncExitStack
from datetime import date

import httpx
import pytest

from backend.app import create_app
from backend.clock import clock
from backend.queueing import service
from tests.integration.conftest import at, dynamic_code

pytestmark = pytest.mark.postgres_only  # real sockets and concurrency: once is enough
D = date(2026, 12, 20)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def live(deps, database):
    """(base URL, app) of a real server on a free loopback port, in this event loop."""
    app = create_app(deps=deps)
    port = _free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


class Stream:
    """One open event stream from a given local address, read event by event."""

    def __init__(self, response, client):
        self.response, self.client = response, client
        self._lines = response.aiter_lines()

    async def next_event(self, timeout: float = 10.0) -> dict:
        async def read():
            event = None
            async for line in self._lines:
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "queue":
                    return json.loads(line[6:])

        return await asyncio.wait_for(read(), timeout)


async def open_stream(stack: AsyncExitStack, base: str, schedule_id: int, *, ip: str):
    """An open Stream, or the refused response (status and JSON body)."""
    client = await stack.enter_async_context(
        httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=ip), base_url=base, timeout=30)
    )
    response = await stack.enter_async_context(client.stream("GET", f"/api/v1/schedules/{schedule_id}/queue/stream"))
    if response.status_code != 200:
        await response.aread()
        return response
    return Stream(response, client)


async def _schedule(catalog):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    hospital = await catalog.hospital()
    return hospital, await catalog.schedule(hospital=hospital, day=D, capacity=10)


async def _eventually(check, timeout: float = 10.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not check():
        assert loop.time() < end, "never happened"
        await asyncio.sleep(0.05)


async def test_streams_are_capped_per_address_and_per_worker(live, deps, catalog):
    base, app = live
    deps.settings = deps.settings.with_overrides(streams={"max_per_ip": 2, "max_per_worker": 3, "poll_s": 0.2})
    _, s = await _schedule(catalog)
    async with AsyncExitStack() as outer:
        first = await open_stream(outer, base, s["id"], ip="127.0.0.2")
        assert (await first.next_event())["schedule_id"] == s["id"]
        async with AsyncExitStack() as second_stack:
            second = await open_stream(second_stack, base, s["id"], ip="127.0.0.2")
            await second.next_event()
            over = await open_stream(outer, base, s["id"], ip="127.0.0.2")
            assert over.status_code == 429
            error = over.json()["error"]
            assert error["code"] == "limit_exceeded" and error["rule"] == "stream_ip" and error["limit"] == 2
            assert over.headers["retry-after"] == "30"
            other = await open_stream(outer, base, s["id"], ip="127.0.0.3")  # another address: its own cap
            await other.next_event()
            full = await open_stream(outer, base, s["id"], ip="127.0.0.4")  # the worker's third is open
            assert full.status_code == 503
            assert full.json()["error"]["code"] == "streams_full" and full.headers["retry-after"] == "5"
            gate, _ = app.ctx.queue_streams
            assert gate.open == 3
        # the second stream's client went away: its slots come back (worker and address)
        await _eventually(lambda: gate.open == 2)
        again = await open_stream(outer, base, s["id"], ip="127.0.0.2")
        assert isinstance(again, Stream)
        await again.next_event()
    await _eventually(lambda: gate.open == 0)
    # nothing left in Redis for the address once every stream ended
    for ip in ("127.0.0.2", "127.0.0.3"):
        assert await deps.redis.zcard(deps.keys("sse", "ip", ip)) == 0


async def test_a_missing_schedule_is_a_404_and_takes_no_slot(live, deps):
    base, app = live
    async with AsyncExitStack() as stack:
        r = await open_stream(stack, base, 999999, ip="127.0.0.5")
        assert r.status_code == 404 and r.json()["error"]["code"] == "schedule_not_found"
    gate, _ = app.ctx.queue_streams
    assert gate.open == 0 and await deps.redis.zcard(deps.keys("sse", "ip", "127.0.0.5")) == 0


async def test_many_streams_of_one_schedule_share_one_poll(
    live, deps, catalog, resident_with_card, booked, terminal_for, monkeypatch
):
    base, app = live
    poll_s = 0.2
    deps.settings = deps.settings.with_overrides(streams={"poll_s": poll_s, "max_per_ip": 50})
    hospital, s = await _schedule(catalog)
    patient = await resident_with_card()
    patient.booking = await booked(patient, s)
    clock.freeze(at(D, "07:00"))
    await patient.relogin()
    looks = []
    real = service.display_board

    async def counted(schedule_id):
        looks.append(schedule_id)
        return await real(schedule_id)

    monkeypatch.setattr(service, "display_board", counted)
    viewers = 12
    async with AsyncExitStack() as stack:
        streams = await asyncio.gather(*[open_stream(stack, base, s["id"], ip="127.0.0.6") for _ in range(viewers)])
        firsts = await asyncio.gather(*[st.next_event() for st in streams])
        assert {f["called_number"] for f in firsts} == {None}
        _, boards = app.ctx.queue_streams
        opened_at, before = asyncio.get_running_loop().time(), len(looks)
        await asyncio.sleep(10 * poll_s)
        polls = len(looks) - before
        # one look per poll for the schedule, not one per stream (12 streams would make ~120)
        assert polls <= 10 + 2, polls
        assert boards.watched() == 1
        # a change reaches every stream from that one poll
        t = await terminal_for(hospital)
        assert (await t.check_in(await dynamic_code(patient), patient.booking["id"])).status == 200
        assert (await t.call_next(s["id"])).json["called_number"] == 1

        async def until_called(st):
            while (event := await st.next_event())["called_number"] is None:
                assert event["waiting"] == 1  # the check-in's change came first
            return event

        updates = await asyncio.gather(*[until_called(st) for st in streams])
        assert {(u["called_number"], u["waiting"]) for u in updates} == {(1, 0)}
        assert asyncio.get_running_loop().time() - opened_at < 30
    # the last watcher gone, the poller stops
    await _eventually(lambda: boards.watched() == 0)
    settled = len(looks)
    await asyncio.sleep(3 * poll_s)
    assert len(looks) == settled
