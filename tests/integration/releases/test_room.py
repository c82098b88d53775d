"""The release waiting room (放号排队): tickets, the shuffle of the pre-queue, the admission rate,
expiry, the hold gate, two workers on one Redis, and Redis losing the room mid-release. Run on
this machine's Redis and once more on a 3-shard Redis Cluster."""

import logging
from datetime import date, timedelta

import pytest

from backend.clock import clock
from backend.deps import build_deps
from backend.releases import service
from tests.integration.conftest import at

pytestmark = pytest.mark.redis_cluster


def spearman(xs, ys) -> float:
    """Rank correlation of two sequences without ties."""

    def ranks(v):
        order = sorted(range(len(v)), key=v.__getitem__)
        out = [0] * len(v)
        for rank, i in enumerate(order):
            out[i] = rank
        return out

    rx, ry = ranks(list(xs)), ranks(list(ys))
    n = len(rx)
    return 1 - 6 * sum((a - b) ** 2 for a, b in zip(rx, ry)) / (n * (n * n - 1))


@pytest.fixture(params=["one_call", "in_steps"])
def hold_path(request, deps):
    """The gate in front of both hold paths (one Lua call, and the steps of a Redis Cluster)."""
    deps.scripts.cluster = request.param == "in_steps" or deps.scripts.cluster
    return request.param


D = date(2026, 12, 20)  # visit date: released 2026-12-13 13:00
RELEASE_DAY = date(2026, 12, 13)
R = at(RELEASE_DAY, "13:00")


async def open_room(catalog, *, rate: int = 2, capacity: int = 50) -> dict:
    """A hospital with a session released at R and its room on; the clock well before the room opens."""
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    s = await catalog.schedule(day=D, capacity=capacity)
    r = await catalog.admin(
        "PUT", f"/admin/hospitals/{s['hospital']['id']}/release-room", {"enabled": True, "rate_per_s": rate}
    )
    assert r.status == 200, r.json
    assert r.json["rate_per_s"] == rate and r.json["enabled"] is True
    return s


async def ticket(resident, hospital_id: int):
    return await resident.post(f"/api/v1/releases/{hospital_id}/tickets")


async def poll(client, hospital_id: int, t: str):
    _, r = await client.get(f"/api/v1/releases/{hospital_id}/tickets/{t}")
    return r


async def hold(resident, schedule):
    return await resident.post("/api/v1/holds", {"schedule_id": schedule["id"], "card_id": resident.card_id})


async def test_ticket_contract_one_per_account(catalog, login, client):
    s = await open_room(catalog)
    hid = s["hospital"]["id"]
    clock.freeze(R - timedelta(minutes=6))
    me = await login()
    r = await ticket(me, hid)
    assert r.status == 409 and r.json["error"]["code"] == "room_not_open"
    assert r.json["error"]["opens_at"] == "2026-12-13T12:55:00+08:00"
    clock.freeze(R - timedelta(minutes=5))
    r = await ticket(me, hid)
    assert r.status == 201, r.json
    assert set(r.json) >= {"ticket", "position", "admitted_through", "estimated_wait_s", "status"}
    # before the release the early tickets have no place yet: they are drawn at the release
    assert r.json["position"] is None and r.json["status"] == "waiting"
    assert r.json["estimated_wait_s"] == 300 and r.json["admitted_through"] == 0
    again = await ticket(me, hid)
    assert again.status == 200 and again.json["ticket"] == r.json["ticket"]  # not multiplied
    got = await poll(client, hid, r.json["ticket"])
    assert got.status == 200 and got.json["ticket"] == r.json["ticket"] and got.json["status"] == "waiting"
    # signed and bound: altered, another hospital's path or made up -> 404
    t = r.json["ticket"]
    forged = t.rsplit(".", 2)[0] + f".{int(t.split('.')[2]) + 1}." + t.rsplit(".", 1)[1]
    for bad_hid, bad in [(hid, forged), (hid + 1, t), (hid, t[:-1] + ("A" if t[-1] != "A" else "B")), (hid, "x")]:
        assert (await poll(client, bad_hid, bad)).status == 404
    assert (await client.post(f"/api/v1/releases/{hid}/tickets"))[1].status == 401
    assert (await ticket(me, 999_999)).json["error"]["code"] == "hospital_not_found"


async def test_early_tickets_are_shuffled_and_later_ones_queue_in_arrival_order(catalog, deps):
    """Statistically on a small N: the rank correlation between arrival and position of the
    pre-queue is near 0 (|rho| < 0.45 is about four standard deviations for 80), and the
    position of the first arrival is spread over the whole queue across rooms."""
    early, late = 80, 15
    firsts, rhos = [], []
    for _ in range(4):
        s = await open_room(catalog, rate=1000)
        hid = s["hospital"]["id"]
        clock.freeze(R - timedelta(minutes=4))
        for account in range(1, early + 1):
            clock.advance(milliseconds=100)
            await service.ticket_for_account(deps=deps, account_id=account, hospital_id=hid)
        clock.freeze(R + timedelta(milliseconds=1))
        late_positions = [
            (await service.ticket_for_account(deps=deps, account_id=early + i, hospital_id=hid))[0]["position"]
            for i in range(1, late + 1)
        ]
        assert late_positions == list(range(early + 1, early + late + 1))
        positions = [
            (await service.ticket_for_account(deps=deps, account_id=a, hospital_id=hid))[0]["position"]
            for a in range(1, early + 1)
        ]
        assert sorted(positions) == list(range(1, early + 1))  # a permutation: every place once
        rhos.append(spearman(range(early), positions))
        firsts.append(positions[0])
    assert all(abs(rho) < 0.45 for rho in rhos), rhos
    assert abs(sum(rhos) / len(rhos)) < 0.25, rhos
    assert len(set(firsts)) > 1


async def test_admission_follows_the_rate_and_a_rate_change_keeps_what_was_admitted(catalog, login, client):
    s = await open_room(catalog, rate=2)
    hid = s["hospital"]["id"]
    clock.freeze(R + timedelta(seconds=1))
    residents = [await login() for _ in range(3)]
    tickets = [(await ticket(me, hid)).json for me in residents]  # late: positions 1, 2, 3 in order
    assert [t["position"] for t in tickets] == [1, 2, 3]
    assert tickets[0]["admitted_through"] == 2 and tickets[0]["status"] == "admitted"
    assert tickets[2]["status"] == "waiting" and tickets[2]["estimated_wait_s"] == 1
    assert tickets[0]["admitted_until"] == "2026-12-13T13:10:00+08:00"  # admitted at R + 0.5 s (whole seconds)
    clock.freeze(R + timedelta(seconds=10))
    assert (await poll(client, hid, tickets[2]["ticket"])).json["admitted_through"] == 20
    r = await catalog.admin("PUT", f"/admin/hospitals/{hid}/release-room", {"rate_per_s": 0})  # paused
    assert r.status == 200 and r.json["state"] == "admitting" and r.json["live_rate_per_s"] == 0
    assert r.json["tickets"] == 3 and r.json["admitted_through"] == 3
    clock.freeze(R + timedelta(seconds=30))
    got = (await poll(client, hid, tickets[2]["ticket"])).json
    assert got["admitted_through"] == 20 and got["status"] == "admitted"
    await catalog.admin("PUT", f"/admin/hospitals/{hid}/release-room", {"rate_per_s": 5})
    clock.freeze(R + timedelta(seconds=32))
    assert (await poll(client, hid, tickets[2]["ticket"])).json["admitted_through"] == 30
    # the change is an operator action
    r = await catalog.admin("GET", f"/admin/audit?kind=actions&hospital_id={hid}")
    assert r.status == 200


async def test_an_admitted_ticket_expires_after_its_window(catalog, login, client, deps):
    deps.settings = deps.settings.with_overrides(releases={"admitted_valid_s": 60, "window_s": 1200})
    s = await open_room(catalog, rate=1)
    hid = s["hospital"]["id"]
    clock.freeze(R - timedelta(minutes=1))
    me = await login()
    t = (await ticket(me, hid)).json["ticket"]
    clock.freeze(R + timedelta(seconds=1))
    got = (await poll(client, hid, t)).json
    assert got["position"] == 1 and got["status"] == "admitted"
    assert got["admitted_until"] == "2026-12-13T13:01:01+08:00"
    clock.freeze(R + timedelta(seconds=61))
    assert (await poll(client, hid, t)).json["status"] == "expired"
    clock.freeze(R + timedelta(seconds=1200))  # the release window is over: nobody waits any more
    assert (await poll(client, hid, t)).json["status"] == "admitted"


async def test_the_hold_gate(catalog, resident_with_card, client, hold_path):
    s = await open_room(catalog, rate=1)
    hid = s["hospital"]["id"]
    # a session of the same hospital released on another day is not this room's
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    older = await catalog.schedule(hospital=s["hospital"], department=s["department"], day=D - timedelta(days=1))
    clock.freeze(R - timedelta(minutes=1))
    first, second, stranger = [await resident_with_card() for _ in range(3)]
    clock.freeze(R + timedelta(milliseconds=100))
    assert (await ticket(first, hid)).json["position"] == 1
    assert (await ticket(second, hid)).json["position"] == 2
    r = await hold(stranger, s)  # no ticket
    assert r.status == 403 and r.json["error"]["code"] == "not_admitted", r.json
    assert r.json["error"]["ticket_status"] == "none" and r.json["error"]["position"] is None
    r = await hold(first, s)  # position 1, admitted at R + 1 s
    assert r.status == 403 and r.json["error"]["position"] == 1 and r.json["error"]["ticket_status"] == "waiting"
    assert r.json["error"]["estimated_wait_s"] == 1
    assert (await hold(stranger, older)).status == 201  # not newly released: no ticket needed
    clock.freeze(R + timedelta(seconds=1))
    assert (await hold(first, s)).status == 201
    assert (await hold(second, s)).json["error"]["code"] == "not_admitted"
    # the room turned off: nothing changes for holds
    await catalog.admin("PUT", f"/admin/hospitals/{hid}/release-room", {"enabled": False})
    assert (await hold(second, s)).status == 201
    r = await ticket(stranger, hid)
    assert r.status == 409 and r.json["error"]["code"] == "room_not_open" and r.json["error"]["opens_at"] is None
    await catalog.admin("PUT", f"/admin/hospitals/{hid}/release-room", {"enabled": True})
    assert (await hold(stranger, s)).status == 403
    clock.freeze(R + timedelta(minutes=10))  # the window is over
    assert (await hold(stranger, s)).status == 201


async def test_two_workers_agree(catalog, deps, login, client):
    """Two workers (each its own deps: scripts, memory) on one Redis: one sequence, one counter."""
    other = build_deps(deps.settings, deps.redis, standin=deps.standin)
    await other.scripts.load()
    s = await open_room(catalog, rate=3)
    hid = s["hospital"]["id"]
    clock.freeze(R - timedelta(minutes=2))
    for account in range(1, 21):
        worker = deps if account % 2 else other
        await service.ticket_for_account(deps=worker, account_id=account, hospital_id=hid)
    clock.freeze(R + timedelta(seconds=4))
    mine = [(await service.ticket_for_account(deps=deps, account_id=a, hospital_id=hid))[0] for a in range(1, 21)]
    theirs = [(await service.ticket_for_account(deps=other, account_id=a, hospital_id=hid))[0] for a in range(1, 21)]
    assert mine == theirs
    assert sorted(t["position"] for t in mine) == list(range(1, 21))
    assert {t["admitted_through"] for t in mine} == {12}
    late = [
        (await service.ticket_for_account(deps=w, account_id=100 + i, hospital_id=hid))[0]["position"]
        for i, w in enumerate([deps, other, deps, other])
    ]
    assert late == [21, 22, 23, 24]
    if other.pay is not None:
        await other.pay.aclose()


async def test_redis_losing_the_room_mid_release_falls_back_to_open(catalog, deps, resident_with_card, client, caplog):
    """Chosen behaviour (docs/operations.md): a Redis that comes back empty during a room has lost
    its tickets; the room's settings, reloaded from the database after the room opened, say so,
    and for that release the room is open (holds need no ticket), with a warning in the log."""
    s = await open_room(catalog, rate=1)
    hid = s["hospital"]["id"]
    clock.freeze(R - timedelta(seconds=30))
    me, other = await resident_with_card(), await resident_with_card()
    t = (await ticket(me, hid)).json["ticket"]
    await ticket(other, hid)
    clock.freeze(R + timedelta(milliseconds=500))
    assert (await hold(me, s)).status in (201, 403)
    # Redis comes back empty: every key of this deployment is gone (the stock reloads itself)
    async for key in deps.redis.scan_iter(match=deps.settings.redis.prefix + "*", count=1000):
        await deps.redis.delete(key)
    with caplog.at_level(logging.WARNING, logger="ehealth.releases"):
        r = await hold(other, s)
        assert r.status == 201, r.json
    assert "falls back to open" in caplog.text
    assert (await poll(client, hid, t)).json["status"] == "admitted"
    late = await resident_with_card()
    assert (await ticket(late, hid)).json["error"]["code"] == "room_not_open"
    r = await catalog.admin("GET", f"/admin/hospitals/{hid}/release-room")
    assert r.json["state"] == "open"


async def test_a_restarted_app_keeps_the_room(catalog, deps, login, client):
    """Start-up puts missing settings into Redis and leaves present ones: a worker restarted
    during a room keeps its tickets."""
    s = await open_room(catalog, rate=1)
    hid = s["hospital"]["id"]
    clock.freeze(R - timedelta(seconds=10))
    me = await login()
    t = (await ticket(me, hid)).json["ticket"]
    assert await service.prime(deps) >= 1
    clock.freeze(R + timedelta(seconds=2))
    assert (await poll(client, hid, t)).json["position"] == 1


async def test_ticket_rate_per_address(catalog, login, deps):
    deps.settings = deps.settings.with_overrides(releases={"ticket_rate_per_ip": 2})
    s = await open_room(catalog)
    clock.freeze(R - timedelta(minutes=1))
    codes = [(await ticket(await login(), s["hospital"]["id"])).status for _ in range(3)]
    assert codes == [201, 201, 429]
