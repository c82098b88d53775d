#!/usr/bin/env python3
"""The 13:00 release, measured: N cards racing for M slots against the production set-up
(APP_ENV=prod, PostgreSQL, Redis, 2 workers), driven by wrk from this machine.

In one run, on one server, it measures
  1. the no-op ceiling:    GET  /api/v1/ping       (request handling, no I/O)
  2. holds:                POST /api/v1/holds      (the real path: one Lua call in Redis)
  3. PostgreSQL baseline:  POST /bench/pg-hold     (the same hold as a conditional UPDATE)
  4. granted holds:        POST /api/v1/holds      on sessions larger than the burst: every
                                                   request takes a slot (the success path)
  5. refused holds:        POST /api/v1/holds      on sold-out sessions: every request is a
                                                   409 sold_out (the path most of a release takes)
(1 and 2 alternate for --rounds rounds, then 1, 4 and 5 do) and prints holds/s, p50/p99
latency, granted vs capacity, the ratios, and checks that no schedule was oversold (in Redis
and in the baseline table). The last line is one JSON object, with `granted_per_s` and
`refused_per_s` (and their ratios to the no-op, overall and round by round) from runs 4 and 5.

    .venv/bin/python scripts/bench_release.py --quick      # ~2.5 minutes
    .venv/bin/python scripts/bench_release.py              # longer runs, more cards

Needs wrk (Debian package `wrk`; installed with apt-get if missing and allowed) and the local
PostgreSQL and Redis. It creates and drops its own database and Redis key prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts._bench import (  # noqa: E402
    REDIS_URL,
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
  path, datafile, nthreads, mode = args[1], args[2], tonumber(args[3]), args[4]
  tokens, cards, schedules = {}, {}, {}
  local first = true
  for line in io.lines(datafile) do
    if first then
      for id in string.gmatch(line, "%d+") do table.insert(schedules, tonumber(id)) end
      first = false
    else
      local t, c = string.match(line, "(%S+) (%S+)")
      table.insert(tokens, t); table.insert(cards, c)
    end
  end
  k = tid
  statuses = {}
end
function request()
  if mode == "get" then return wrk.format("GET", path) end
  local n, s = #cards, #schedules
  local sched = schedules[(k % s) + 1]
  local card = (math.floor(k / s) % n) + 1
  k = k + nthreads
  local body = '{"schedule_id":' .. sched .. ',"card_id":"' .. cards[card] .. '"}'
  local headers = {["Authorization"] = "Bearer " .. tokens[card], ["Content-Type"] = "application/json"}
  return wrk.format("POST", path, headers, body)
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


async def seed(
    env: dict, *, cards: int, schedules: int, capacities: list[int], datafiles: list[Path]
) -> dict[int, int]:
    """`schedules` fresh sessions per datafile, those of datafile n with capacities[n] slots;
    returns {schedule id: capacity}."""
    os.environ.update(env)
    import asyncpg

    from backend import db
    from backend import redis as hot
    from backend.catalog import rules
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
        hospital = await Hospital.create(code="BENCH", name="压测医院", created_at=clock.now())
        day = clock.today() + timedelta(days=1)
        released = rules.release_times(day, hospital.release_time)
        ids, capacity_of = [], {}
        for i in range(schedules * len(datafiles)):
            capacity = capacities[i // schedules]
            dept = await Department.create(hospital=hospital, code=f"D{i}", name=f"科室{i}")
            doctor = await Doctor.create(hospital=hospital, department=dept, code=f"DR{i}", name=f"医生{i}")
            s = await Schedule.create(
                hospital=hospital,
                department=dept,
                doctor=doctor,
                date=day,
                start="08:00",
                end="12:00",
                capacity=capacity,
                fee_fen=1500,
                release_at=released.ordinary,
                referral_release_at=released.referral,
                created_at=clock.now(),
            )
            ids.append(s.id)
            capacity_of[s.id] = capacity
        residents = await bulk_residents(deps, cards)
        conn = await asyncpg.connect(settings.database.url.split("?")[0])
        try:
            from scripts.bench_server import TABLES

            await conn.execute(TABLES)
            await conn.executemany(
                "INSERT INTO bench_stock (schedule_id, capacity) VALUES ($1, $2)", list(capacity_of.items())
            )
        finally:
            await conn.close()
        for n, datafile in enumerate(datafiles):  # each round races for its own fresh sessions
            with datafile.open("w") as f:
                f.write(",".join(map(str, ids[n * schedules : (n + 1) * schedules])) + "\n")
                for r in residents:
                    f.write(f"{r.token} {r.card_id}\n")
        return capacity_of
    finally:
        await hot.close(client)
        await db.close()


def run_wrk(
    wrk: str,
    url: str,
    path: str,
    script: Path,
    datafile: Path,
    *,
    mode: str,
    connections: int,
    seconds: int,
    threads: int = 2,
    server=None,
) -> dict:
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url + path,
        "--",
        path,
        str(datafile),
        str(threads),
        mode,
    ]
    cpu_before = cpu_seconds(server) if server else None
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(row for row in out.splitlines() if row.startswith("BENCH "))
    data = json.loads(line[6:])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    if server:
        data["cpu_us"] = cpu_per_request(cpu_before, cpu_seconds(server), data["requests"])
    return data


async def verify(env: dict, capacity_of: dict[int, int], ids: list[int], capacity: int) -> dict:
    """Slots in use in Redis for `ids` (the mixed rounds' sessions of `capacity` slots), and
    whether any session at all, of any run, holds more than its capacity."""
    import asyncpg
    import redis.asyncio as aioredis

    prefix = env["REDIS_PREFIX"]
    r = aioredis.from_url(REDIS_URL, decode_responses=True)
    now_ms = int(time.time() * 1000)
    used, over = [], 0
    for sid, cap in capacity_of.items():
        n = await r.zcount(f"{prefix}{{s{sid}}}:sh", f"({now_ms}", "+inf")  # backend/booking/store.py
        over += n > cap
        if sid in ids:
            used.append(n)
    await r.aclose()
    conn = await asyncpg.connect(env["DATABASE_URL"].split("?")[0])
    pg_used = [row["used"] for row in await conn.fetch("SELECT used FROM bench_stock ORDER BY schedule_id")]
    pg_holds = await conn.fetchval("SELECT count(*) FROM bench_holds")
    await conn.close()
    return {
        "redis_used": sum(used),
        "redis_max": max(used),
        "pg_used": sum(pg_used),
        "pg_max": max(pg_used),
        "pg_holds": pg_holds,
        "capacity_each": capacity,
        "sessions_over_capacity": over,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short runs (about 2.5 minutes in all)")
    ap.add_argument("--cards", type=int)
    ap.add_argument("--schedules", type=int, default=40)
    ap.add_argument("--capacity", type=int, default=250, help="slots per schedule")
    ap.add_argument("--connections", type=int, default=256)
    ap.add_argument("--seconds", type=int)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, help="no-op/holds measured alternately this many times")
    args = ap.parse_args()
    cards = args.cards or (5000 if args.quick else 20000)
    seconds = args.seconds or (8 if args.quick else 20)
    rounds = args.rounds or (2 if args.quick else 3)
    wrk = ensure_wrk()

    db_name, env = scratch_env("bench_ehealth")
    work = Path(tempfile.mkdtemp(prefix="bench_release."))
    script = work / "race.lua"
    # rounds of the mixed race, then the baseline's sessions, each granted round's (larger than
    # any burst: every (card, session) pair a request can name fits) and the refused runs' (1
    # slot, taken by the first request, so the runs measure sold-out refusals only)
    datafiles = [work / f"cards{n}.txt" for n in range(2 * rounds + 2)]
    capacities = [args.capacity] * (rounds + 1) + [cards] * rounds + [1]
    granted_files, refused_file = datafiles[rounds + 1 : 2 * rounds + 1], datafiles[-1]
    script.write_text(WRK_SCRIPT)
    server = None
    try:
        t0 = time.time()
        capacity_of = asyncio.run(
            seed(env, cards=cards, schedules=args.schedules, capacities=capacities, datafiles=datafiles)
        )
        ids = list(capacity_of)[: rounds * args.schedules]
        print(
            f"seeded {cards} cards, {len(capacity_of)} sessions ({args.schedules} per run; {args.capacity} "
            f"slots, {cards} for the granted run, 1 for the refused run) in {time.time() - t0:.1f}s",
            flush=True,
        )
        server, url = start_server(env, workers=args.workers, work=work)
        conns = args.connections
        print(f"server up (prod, {args.workers} workers); wrk {conns} connections, {seconds}s per run", flush=True)

        def show(name, r):
            print(
                f"{name:10}: {r['rps']:7.0f} req/s  p50 {r['p50_us'] / 1000:6.2f} ms  p99 {r['p99_us'] / 1000:6.2f} "
                f"ms  CPU us/req {r.get('cpu_us')}  {r['statuses']}",
                flush=True,
            )

        run_wrk(wrk, url, "/api/v1/ping", script, datafiles[0], mode="get", connections=conns, seconds=2)  # warm-up
        noops, races = [], []
        for n in range(rounds):  # alternate, so drift of the machine affects both alike
            noops.append(
                run_wrk(
                    wrk,
                    url,
                    "/api/v1/ping",
                    script,
                    datafiles[n],
                    mode="get",
                    connections=conns,
                    seconds=seconds,
                    server=server,
                )
            )
            show("no-op", noops[-1])
            races.append(
                run_wrk(
                    wrk,
                    url,
                    "/api/v1/holds",
                    script,
                    datafiles[n],
                    mode="post",
                    connections=conns,
                    seconds=seconds,
                    server=server,
                )
            )
            show("holds", races[-1])
        post_noop = run_wrk(
            wrk,
            url,
            "/bench/post-noop",
            script,
            datafiles[0],
            mode="post",
            connections=conns,
            seconds=seconds,
            server=server,
        )
        show("post no-op", post_noop)
        baseline = run_wrk(
            wrk,
            url,
            "/bench/pg-hold",
            script,
            datafiles[rounds],
            mode="post",
            connections=conns,
            seconds=seconds,
            server=server,
        )
        show("pg-hold", baseline)
        # the success path and the sold-out path, each beside its own no-op run, in rounds (this
        # machine's speed drifts by 10-20% within a minute; alternating keeps the drift out of
        # the ratios), each granted round on fresh sessions
        per_s = lambda run, code: run["statuses"].get(code, 0) / (run["duration_us"] / 1e6)  # noqa: E731
        granted_runs, refused_runs, pairs = [], [], []
        for granted_file in granted_files:
            noops.append(
                run_wrk(
                    wrk,
                    url,
                    "/api/v1/ping",
                    script,
                    datafiles[0],
                    mode="get",
                    connections=conns,
                    seconds=seconds,
                    server=server,
                )
            )
            show("no-op", noops[-1])
            granted_runs.append(
                run_wrk(
                    wrk,
                    url,
                    "/api/v1/holds",
                    script,
                    granted_file,
                    mode="post",
                    connections=conns,
                    seconds=seconds,
                    server=server,
                )
            )
            show("granted", granted_runs[-1])
            refused_runs.append(
                run_wrk(
                    wrk,
                    url,
                    "/api/v1/holds",
                    script,
                    refused_file,
                    mode="post",
                    connections=conns,
                    seconds=seconds,
                    server=server,
                )
            )
            show("refused", refused_runs[-1])
            pairs.append(
                (
                    round(per_s(granted_runs[-1], "201") / noops[-1]["rps"], 3),
                    round(per_s(refused_runs[-1], "409") / noops[-1]["rps"], 3),
                )
            )
        noop = {"rps": sum(r["rps"] for r in noops) / len(noops)}

        def combined(runs, code):
            return sum(r["statuses"].get(code, 0) for r in runs) / (sum(r["duration_us"] for r in runs) / 1e6)

        granted_per_s, refused_per_s = combined(granted_runs, "201"), combined(refused_runs, "409")

        def merged(runs):
            requests = max(1, sum(r["requests"] for r in runs))
            return {
                "requests": sum(r["requests"] for r in runs),
                "duration_us": sum(r["duration_us"] for r in runs),
                "p99_us": max(r["p99_us"] for r in runs),
                "statuses": {
                    c: sum(r["statuses"].get(c, 0) for r in runs) for c in {c for r in runs for c in r["statuses"]}
                },
                "cpu_us": {
                    k: round(sum(r["cpu_us"][k] * r["requests"] for r in runs) / requests) for k in runs[0]["cpu_us"]
                },
            }

        granted_run, refused_run = merged(granted_runs), merged(refused_runs)
        holds = {
            "rps": sum(r["rps"] for r in races) / rounds,
            "p50_us": max(r["p50_us"] for r in races),
            "p99_us": max(r["p99_us"] for r in races),
            "requests": sum(r["requests"] for r in races),
            "errors": sum(r["errors"] for r in races),
            "statuses": {
                code: sum(r["statuses"].get(code, 0) for r in races)
                for code in {c for r in races for c in r["statuses"]}
            },
        }
        checked = asyncio.run(verify(env, capacity_of, ids, args.capacity))
        capacity = rounds * args.schedules * args.capacity
        granted = holds["statuses"].get("201", 0)
        # Redis must hold exactly what was granted (wrk stops counting replies still in flight at
        # the end of a run, which can only make `granted` smaller), and no session above capacity.
        oversold = (
            checked["redis_max"] > args.capacity
            or checked["pg_max"] > args.capacity
            or checked["redis_used"] > capacity
            or checked["sessions_over_capacity"] > 0
        )
        five_xx = sum(n for code, n in holds["statuses"].items() if code.startswith("5"))
        result = {
            "holds_per_s": round(holds["rps"]),
            "noop_per_s": round(noop["rps"]),
            "pg_baseline_per_s": round(baseline["rps"]),
            "post_noop_per_s": round(post_noop["rps"]),
            "holds_vs_noop": round(holds["rps"] / noop["rps"], 3),
            "holds_vs_pg_baseline": round(holds["rps"] / baseline["rps"], 2),
            "granted_per_s": round(granted_per_s),
            "refused_per_s": round(refused_per_s),
            "granted_vs_noop": round(granted_per_s / noop["rps"], 3),
            "refused_vs_noop": round(refused_per_s / noop["rps"], 3),
            "rounds_vs_noop": [{"granted": g, "refused": r} for g, r in pairs],  # each against its round's no-op
            "granted_run": {
                "requests": granted_run["requests"],
                "statuses": granted_run["statuses"],
                "p99_ms": round(granted_run["p99_us"] / 1000, 2),
                "cpu_us": granted_run["cpu_us"],
            },
            "refused_run": {
                "requests": refused_run["requests"],
                "statuses": refused_run["statuses"],
                "p99_ms": round(refused_run["p99_us"] / 1000, 2),
                "cpu_us": refused_run["cpu_us"],
            },
            "noop_cpu_us": noops[-1]["cpu_us"],
            "granted": granted,
            "capacity": capacity,
            "oversold": oversold,
            "p50_ms": round(holds["p50_us"] / 1000, 2),
            "p99_ms": round(holds["p99_us"] / 1000, 2),
            "pg_baseline_p99_ms": round(baseline["p99_us"] / 1000, 2),
            "hold_requests": holds["requests"],
            "hold_5xx": five_xx,
            "socket_errors": holds["errors"],
            "pg_baseline_granted": baseline["statuses"].get("201", 0),
            "check": checked,
            "connections": conns,
            "workers": args.workers,
            "rounds": rounds,
            "seconds_per_run": seconds,
            "cards": cards,
        }
        print(
            f"granted {granted} of {capacity} slots; Redis holds {checked['redis_used']}, fullest session "
            f"{checked['redis_max']}/{args.capacity}; "
            f"baseline {checked['pg_used']} (fullest {checked['pg_max']}/{args.capacity}); oversold: {oversold}"
        )
        print(
            f"granted holds {result['granted_per_s']}/s ({result['granted_vs_noop']}x the no-op), sold-out refusals "
            f"{result['refused_per_s']}/s ({result['refused_vs_noop']}x), targets >= 0.5x"
        )
        print(
            f"holds/no-op {result['holds_vs_noop']}x (target >= 0.5), holds/pg-baseline "
            f"{result['holds_vs_pg_baseline']}x (target >= 3), "
            f"p99 {result['p99_ms']} ms (target < 100)"
        )
        print(json.dumps(result))
    finally:
        stop_server(server)
        asyncio.run(cleanup(env, db_name))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
