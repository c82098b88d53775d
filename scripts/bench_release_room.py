#!/usr/bin/env python3
"""The release waiting room, measured on the production set-up (APP_ENV=prod, PostgreSQL,
Redis, 2 workers): N accounts take tickets in the two minutes before a release, L more after it,
then every one polls its ticket and holds once admitted, as the clients do.

In one run, on one server, it measures
  1. the no-op ceiling:  GET  /api/v1/ping                        (wrk)
  2. ticket issue:       POST /api/v1/releases/{h}/tickets         (wrk; the account's ticket
                         exists, so this is the one-per-account path; the first issue of each
                         of the N tickets is timed from Python too)
  3. ticket poll:        GET  /api/v1/releases/{h}/tickets/{t}     (wrk)
and then, from the release moment, with a client per account (Python, asyncio):
  4. the time from the release to the last admission (against N+L / rate),
  5. holds: every account holds once admitted, and tries once before its turn: a hold granted
     to an account not yet admitted is counted (must be 0),
  6. fairness: the rank correlation (Spearman) between the order in which the N early tickets
     were taken and the order of their positions (close to 0: shuffled), and the same for the
     L later ones (close to 1: arrival order).
The last line is one JSON object with these figures.

    .venv/bin/python scripts/bench_release_room.py --quick     # ~4 minutes
    .venv/bin/python scripts/bench_release_room.py             # N=6000, L=1000

Needs wrk and the local PostgreSQL and Redis; creates and drops its own database and key prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts._bench import (  # noqa: E402
    cleanup,
    cpu_per_request,
    cpu_seconds,
    ensure_wrk,
    scratch_env,
    start_server,
    stop_server,
)

WRK_SCRIPT = r"""
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  mode, datafile, nthreads, hospital = args[1], args[2], tonumber(args[3]), args[4]
  tokens, tickets = {}, {}
  for line in io.lines(datafile) do
    local t, k = string.match(line, "(%S+) (%S+)")
    table.insert(tokens, t); table.insert(tickets, k)
  end
  k = tid
  statuses = {}
end
function request()
  if mode == "ping" then return wrk.format("GET", "/api/v1/ping") end
  local i = (k % #tokens) + 1
  k = k + nthreads
  if mode == "poll" then
    return wrk.format("GET", "/api/v1/releases/" .. hospital .. "/tickets/" .. tickets[i])
  end
  return wrk.format("POST", "/api/v1/releases/" .. hospital .. "/tickets",
                    {["Authorization"] = "Bearer " .. tokens[i]})
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local agg = {}
  for _, t in ipairs(threads) do
    local st = t:get("statuses")
    for code, n in pairs(st) do agg[tostring(code)] = (agg[tostring(code)] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(agg) do table.insert(parts, '"' .. code .. '":' .. n) end
  io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ",")))
end
"""

SHANGHAI = timezone(timedelta(hours=8))


def spearman(xs: list, ys: list) -> float:
    def ranks(values):
        out = [0] * len(values)
        for rank, i in enumerate(sorted(range(len(values)), key=values.__getitem__)):
            out[i] = rank
        return out

    rx, ry, n = ranks(xs), ranks(ys), len(xs)
    if n < 2:
        return float("nan")
    return 1 - 6 * sum((a - b) ** 2 for a, b in zip(rx, ry)) / (n * (n * n - 1))


async def seed(env: dict, *, accounts: int) -> dict:
    """Residents, a hospital and one session with a slot for every account (its release moment is
    set once the server runs: set_release)."""
    os.environ.update(env)
    from backend import db
    from backend import redis as hot
    from backend.catalog.models import Department, Doctor, Hospital, Schedule
    from backend.clock import clock
    from backend.config import load_settings
    from backend.deps import build_deps
    from backend.devtools import bulk_residents

    settings = load_settings()
    await db.migrate(settings.database.url)
    await db.init(settings.database.url)
    client = hot.connect(settings.redis.url)
    try:
        deps = build_deps(settings, client)
        residents = await bulk_residents(deps, accounts)
        later = datetime.now(SHANGHAI) + timedelta(days=1)
        hospital = await Hospital.create(code="ROOM", name="排队压测医院", created_at=clock.now())
        dept = await Department.create(hospital=hospital, code="D1", name="科室")
        doctor = await Doctor.create(hospital=hospital, department=dept, code="DR1", name="医生")
        schedule = await Schedule.create(
            hospital=hospital,
            department=dept,
            doctor=doctor,
            date=(later + timedelta(days=7)).date(),
            start="08:00",
            end="12:00",
            capacity=accounts,
            fee_fen=1500,
            release_at=later,
            referral_release_at=later - timedelta(days=3),
            created_at=clock.now(),
        )
        return {
            "hospital": hospital.id,
            "schedule": schedule.id,
            "residents": [(r.token, r.card_id) for r in residents],
        }
    finally:
        await hot.close(client)
        await db.close()


async def set_release(env: dict, seeded: dict, *, after_s: int) -> float:
    """The release moment: the first whole minute at least `after_s` from now, as the hospital's
    release time and the session's release, in the database and in the hold store. Written as
    stored: the console's night rule (no releases 22:00-06:00) does not stand in the way of a
    benchmark run at night. The workers read the release time at their first ticket."""
    os.environ.update(env)
    from backend import db
    from backend import redis as hot
    from backend.booking.service import load_schedule
    from backend.catalog.models import Hospital, Schedule
    from backend.config import load_settings
    from backend.deps import build_deps

    release = datetime.fromtimestamp(math.ceil((time.time() + after_s) / 60) * 60, SHANGHAI)
    settings = load_settings()
    await db.init(settings.database.url)
    client = hot.connect(settings.redis.url)
    try:
        deps = build_deps(settings, client)
        await Hospital.filter(id=seeded["hospital"]).update(release_time=release.strftime("%H:%M"))
        await Schedule.filter(id=seeded["schedule"]).update(
            release_at=release,
            referral_release_at=release - timedelta(days=3),
            date=(release + timedelta(days=7)).date(),
        )
        await load_schedule(deps, await Schedule.get(id=seeded["schedule"]))
    finally:
        await hot.close(client)
        await db.close()
    return release.timestamp()


def start_with_retries(env: dict, *, workers: int, work: Path):
    """On a loaded machine a worker can miss Sanic's 30 s start-up acknowledgement: try again."""
    for attempt in (1, 2, 3):
        try:
            return start_server(env, workers=workers, work=work)
        except SystemExit:
            if attempt == 3:
                raise
            print("server did not start in time; again", flush=True)


def run_wrk(wrk, url, script, datafile, *, mode, hospital, seconds, connections=64, server=None) -> dict:
    import subprocess

    cmd = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url]
    cmd += ["--", mode, str(datafile), "2", str(hospital)]
    before = cpu_seconds(server) if server else None
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    result = json.loads(line[6:])
    result["per_s"] = round(result["requests"] / (result["duration_us"] / 1e6))
    if server:
        result["cpu_us"] = cpu_per_request(before, cpu_seconds(server), result["requests"])
    return result


class Gated:
    """The HTTP client with at most `limit` requests on their way: thousands of clients waiting
    in httpx's own pool make every request scan them all (it slows to a crawl)."""

    def __init__(self, http, limit: int):
        self.http = http
        self.turns = asyncio.Semaphore(limit)

    async def get(self, *args, **kwargs):
        async with self.turns:
            return await self.http.get(*args, **kwargs)

    async def post(self, *args, **kwargs):
        async with self.turns:
            return await self.http.post(*args, **kwargs)


class Resident:
    def __init__(self, token: str, card_id: str, order: int):
        self.headers = {"Authorization": f"Bearer {token}"}
        self.card_id, self.order = card_id, order
        self.ticket = None
        self.position = None
        self.held_at = None


async def take(http, r: Resident, hospital: int) -> dict:
    resp = await http.post(f"/api/v1/releases/{hospital}/tickets", headers=r.headers)
    if resp.status_code not in (200, 201):
        raise RuntimeError(f"ticket: {resp.status_code} {resp.text}")
    body = resp.json()
    r.ticket = body["ticket"]
    return body


async def in_order(items, worker, concurrency: int) -> None:
    queue = list(items)
    queue.reverse()

    async def run():
        while queue:
            await worker(queue.pop())

    await asyncio.gather(*[run() for _ in range(concurrency)])


async def wait_and_hold(http, r: Resident, hospital: int, schedule: int, release: float, rate: int, stats: dict):
    """A client's life after the release: poll (at an interval from the estimated wait), try one
    hold early, hold when admitted."""
    await asyncio.sleep(random.uniform(0, 2))
    tried_early = False
    while True:
        resp = await http.get(f"/api/v1/releases/{hospital}/tickets/{r.ticket}")
        stats["polls"] += 1
        body = resp.json()
        r.position = body["position"] or r.position
        if stats["all_admitted_at"] is None and (body["admitted_through"] or 0) >= stats["total"]:
            stats["all_admitted_at"] = time.time()  # the service's admission has reached the last position
        if body["status"] == "admitted":
            break
        if not tried_early:  # impatient: a hold before the turn must be refused
            tried_early = True
            hold = await http.post(
                "/api/v1/holds", json={"schedule_id": schedule, "card_id": r.card_id}, headers=r.headers
            )
            after = time.time()
            stats["early_holds"] += 1
            if hold.status_code == 201:
                # granted: only right if the position was admitted by the time of the answer
                if r.position and r.position > rate * (after - release) + 1:
                    stats["holds_without_admission"] += 1
                r.held_at = after
                stats["granted"] += 1
                return
            code = hold.json()["error"]["code"]
            stats["refused_" + code] = stats.get("refused_" + code, 0) + 1
        wait = body.get("estimated_wait_s") or 5
        await asyncio.sleep(min(max(wait / 2, 1.0), 5.0) * random.uniform(0.8, 1.2))
    hold = await http.post("/api/v1/holds", json={"schedule_id": schedule, "card_id": r.card_id}, headers=r.headers)
    if hold.status_code == 201:
        r.held_at = time.time()
        stats["granted"] += 1
    else:
        code = hold.json()["error"]["code"]
        stats["refused_" + code] = stats.get("refused_" + code, 0) + 1


def merge(found: list[dict]) -> dict:
    """Rounds of one kind as one: requests over time, the worst p99, the median CPU."""
    requests = sum(r["requests"] for r in found)
    statuses: dict = {}
    for r in found:
        for code, n in r["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    cpu = sorted(found, key=lambda r: r.get("cpu_us", {}).get("service", 0))[len(found) // 2].get("cpu_us")
    return {
        "per_s": round(requests / (sum(r["duration_us"] for r in found) / 1e6)),
        "p99_us": max(r["p99_us"] for r in found),
        "statuses": statuses,
        "cpu_us": cpu,
    }


async def drive(
    url: str,
    seeded: dict,
    *,
    early: int,
    late: int,
    rate: int,
    wrk,
    script,
    work,
    seconds,
    rounds,
    server,
    open_before_s: int,
):
    import httpx

    hospital, schedule, release = seeded["hospital"], seeded["schedule"], seeded["release"]
    residents = [Resident(t, c, i) for i, (t, c) in enumerate(seeded["residents"])]
    early_set, late_set = residents[:early], residents[early : early + late]
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=httpx.Timeout(30, pool=None)) as raw:
        http = Gated(raw, 60)
        opens = release - open_before_s
        print(
            f"release at {datetime.fromtimestamp(release, SHANGHAI):%H:%M:%S} (Shanghai); room opens in "
            f"{opens - time.time():.0f} s",
            flush=True,
        )
        await asyncio.sleep(max(opens - time.time() + 1, 0))
        # 1. the early tickets, in a known order
        arrival = []

        async def early_ticket(r):
            await take(http, r, hospital)
            arrival.append(r)

        started = time.time()
        await in_order(early_set, early_ticket, 32)
        first_issue_s = time.time() - started
        print(f"{early} early tickets in {first_issue_s:.1f} s", flush=True)
        datafile = work / "tickets.txt"
        datafile.write_text("".join(f"{r.headers['Authorization'][7:]} {r.ticket}\n" for r in early_set))
        # 2. wrk: no-op, issue, poll - before the release, so that the room is the pre-queue
        # in alternating rounds, so that a neighbour's load on the machine weighs on all three alike
        runs = {"ping": [], "ticket": [], "poll": []}
        for _ in range(rounds):
            for mode in runs:
                runs[mode].append(
                    run_wrk(wrk, url, script, datafile, mode=mode, hospital=hospital, seconds=seconds, server=server)
                )
                print(mode, runs[mode][-1], flush=True)
        figures = {mode: merge(found) for mode, found in runs.items()}
        figures["round_ratios"] = [
            {m: round(runs[m][i]["per_s"] / runs["ping"][i]["per_s"], 2) for m in ("ticket", "poll")}
            for i in range(rounds)
        ]
        if time.time() >= release - 2:
            raise SystemExit("the pre-queue phase ran past the release: use a larger --lead")
        await asyncio.sleep(release - time.time())
        # 3. after the release: every early client waits and holds, while the later ones arrive in
        # a known order and then do the same
        stats = {"polls": 0, "early_holds": 0, "granted": 0, "holds_without_admission": 0, "all_admitted_at": None}
        stats["total"] = early + late
        late_arrival = []
        waiting = []

        async def late_ticket(r):
            late_arrival.append(r)  # the order they are sent in
            body = await take(http, r, hospital)
            r.position = body["position"]
            waiting.append(asyncio.ensure_future(wait_and_hold(http, r, hospital, schedule, release, rate, stats)))

        waiting += [
            asyncio.ensure_future(wait_and_hold(http, r, hospital, schedule, release, rate, stats)) for r in early_set
        ]
        await in_order(late_set, late_ticket, 4)
        late_done = time.time()
        await asyncio.gather(*waiting)
    for r in early_set:
        assert r.position, "every early ticket has a position after the release"
    held = [r.held_at for r in early_set + late_set if r.held_at]
    return {
        "figures": figures,
        "first_issue_per_s_python": round(early / first_issue_s),
        "late_issue_s": round(late_done - release, 1),
        "stats": stats,
        "last_hold_s": round(max(held) - release, 1),
        "all_admitted_s": round(stats["all_admitted_at"] - release, 1) if stats["all_admitted_at"] else None,
        "ideal_last_admission_s": round((early + late) / rate, 1),
        "early_rank_corr": round(spearman([r.order for r in arrival], [r.position for r in arrival]), 3),
        "late_rank_corr": round(spearman(list(range(len(late_arrival))), [r.position for r in late_arrival]), 3),
        "positions_unique": len({r.position for r in early_set + late_set}) == early + late,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--early", type=int)
    parser.add_argument("--late", type=int)
    parser.add_argument("--rate", type=int)
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    early = args.early or (2000 if args.quick else 6000)
    late = args.late or (400 if args.quick else 1000)
    rate = args.rate or (100 if args.quick else 200)
    seconds = args.seconds or (5 if args.quick else 8)
    rounds = args.rounds or (2 if args.quick else 3)
    # long enough for the early tickets and the wrk rounds (a loaded 2-core machine: 40-100 tickets/s
    # from the Python client)
    open_before_s = max(120, int(early / 40 + rounds * 3 * (seconds + 3) + 30))
    wrk = ensure_wrk()
    db_name, env = scratch_env("bench_room")
    env.update(
        RELEASE_ROOM_DEFAULT_ON="1",
        RELEASE_ROOM_OPEN_BEFORE_S=str(open_before_s),
        RELEASE_ROOM_WINDOW_S="3600",
        RELEASE_ROOM_RATE_PER_S=str(rate),
        RELEASE_TICKET_RATE_PER_IP="1000000000",
    )
    server = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            script = work / "room.lua"
            script.write_text(WRK_SCRIPT)
            seeded = asyncio.run(seed(env, accounts=early + late))
            server, url = start_with_retries(env, workers=args.workers, work=work)
            # the room opens open_before_s before the release, after the server has started
            # (a room that opens before the service first puts its settings into Redis falls
            # back to open: docs/operations.md)
            seeded["release"] = asyncio.run(set_release(env, seeded, after_s=open_before_s + 10))
            result = asyncio.run(
                drive(
                    url,
                    seeded,
                    early=early,
                    late=late,
                    rate=rate,
                    wrk=wrk,
                    script=script,
                    work=work,
                    seconds=seconds,
                    rounds=rounds,
                    server=server,
                    open_before_s=open_before_s,
                )
            )
    finally:
        stop_server(server)
        asyncio.run(cleanup(env, db_name))
    f = result["figures"]
    summary = {
        "accounts_early": early,
        "accounts_late": late,
        "rate_per_s": rate,
        "workers": args.workers,
        "noop_per_s": f["ping"]["per_s"],
        "ticket_issue_per_s": f["ticket"]["per_s"],
        "ticket_poll_per_s": f["poll"]["per_s"],
        "issue_vs_noop": round(f["ticket"]["per_s"] / f["ping"]["per_s"], 2),
        "poll_vs_noop": round(f["poll"]["per_s"] / f["ping"]["per_s"], 2),
        "issue_statuses": f["ticket"]["statuses"],
        "poll_statuses": f["poll"]["statuses"],
        "round_ratios": f["round_ratios"],
        "p99_us": {k: f[k]["p99_us"] for k in ("ping", "ticket", "poll")},
        "cpu_us_per_request": {k: f[k]["cpu_us"] for k in ("ping", "ticket", "poll")},
        "first_issues_per_s_python_client": result["first_issue_per_s_python"],
        # the service's admission reaching the last position (seen by a poll), against (N + L) / rate
        "release_to_last_admission_s": result["all_admitted_s"],
        "ideal_release_to_last_admission_s": result["ideal_last_admission_s"],
        # the last hold granted, which includes this client's own slowness on a loaded machine
        "release_to_last_hold_s": result["last_hold_s"],
        "late_tickets_taken_by_s": result["late_issue_s"],
        "holds_granted": result["stats"]["granted"],
        "holds_without_admitted_ticket": result["stats"]["holds_without_admission"],
        "early_holds_refused_not_admitted": result["stats"].get("refused_not_admitted", 0),
        "early_holds_tried": result["stats"]["early_holds"],
        "polls": result["stats"]["polls"],
        "early_rank_correlation": result["early_rank_corr"],
        "late_rank_correlation": result["late_rank_corr"],
        "positions_unique": result["positions_unique"],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
