#!/usr/bin/env python3
"""Card QR codes, measured.

In-process: dynamic codes issued and verified per second (the pure MAC rules), and codes
resolved per second by the service (database look-up of the card, Redis single-use check).
Through HTTP, against the production set-up (APP_ENV=prod, PostgreSQL, Redis, 2 workers) and
in the same run as the no-op GET /api/v1/ping:
  - residents fetching their dynamic code  GET  /api/v1/cards/{card_id}/qrcode
  - terminals scanning codes               POST /api/v1/staff/scan  (HMAC-signed, unique nonces)
Each round runs the no-op, the fetch and the scan once; the ratios are per round, the figures are
the rounds' medians. The last line is one JSON object with the figures.

    .venv/bin/python scripts/bench_qr.py            # about 3 minutes (3 alternated rounds)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts._bench import cleanup, cpu_per_request, cpu_seconds, ensure_wrk, scratch_env, start_server, stop_server  # noqa: E402

# Requests prepared in advance (a signature needs HMAC, which wrk's Lua lacks): one per line,
# tab-separated: path, then header name/value pairs, then the body.
WRK_PREPARED = r"""
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  local file, nthreads = args[1], tonumber(args[2])
  reqs = {}
  local n = 0
  for line in io.lines(file) do
    n = n + 1
    if (n - 1) % nthreads == tid then
      local f = {}
      for field in string.gmatch(line, "[^\t]+") do table.insert(f, field) end
      local headers = {}
      for i = 3, #f - 1, 2 do headers[f[i]] = f[i + 1] end
      local body = nil
      if f[2] == "POST" then body = f[#f] end
      table.insert(reqs, wrk.format(f[2], f[1], headers, body))
    end
  end
  i = 0
  statuses = {}
end
function request()
  i = i + 1
  return reqs[((i - 1) % #reqs) + 1]
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local agg = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do agg[tostring(code)] = (agg[tostring(code)] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(agg) do table.insert(parts, '"' .. code .. '":' .. n) end
  io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ",")))
end
"""


def in_process(seconds: float = 2.0) -> dict:
    from backend.qr import rules

    key, card = os.urandom(32), os.urandom(32).hex()
    now = time.time()
    step = rules.step_at(now)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        rules.dynamic_payload(card, key, step)
        n += 1
    issued = n / (time.perf_counter() - t0)
    code = rules.parse(rules.dynamic_payload(card, key, step))
    keys = [key, os.urandom(32)]  # active key and one in its rotation grace
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        rules.verify(card, code.mac, unix_s=now, keys=keys)
        n += 1
    return {"issue_per_s": round(issued), "verify_per_s": round(n / (time.perf_counter() - t0))}


async def seed(env: dict, *, cards: int) -> dict:
    os.environ.update(env)
    from backend import db
    from backend import redis as hot
    from backend.catalog.models import Hospital
    from backend.clock import clock
    from backend.config import load_settings
    from backend.deps import build_deps
    from backend.devtools import bulk_residents
    from backend.qr import service as qr
    from backend.staff import service as staff

    settings = load_settings()
    await db.migrate(settings.database.url)
    await db.init(settings.database.url)
    client = hot.connect(settings.redis.url)
    try:
        deps = build_deps(settings, client)
        await deps.scripts.load()
        hospital = await Hospital.create(code="QRB", name="扫码压测医院", created_at=clock.now())
        terminal = await staff.register_terminal(deps=deps, hospital_id=hospital.id, name="bench")
        residents = await bulk_residents(deps, cards)
        # the service resolving codes in-process: database and Redis, no HTTP
        from backend.cards.models import Card

        sample = [await Card.get(card_id=r.card_id) for r in residents[:200]]
        payloads = [qr.issue(deps, c.card_id, kind="dynamic")["payload"] for c in sample]
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < 2.0:
            await qr.resolve(deps, payloads[n % len(payloads)], consume=False)
            n += 1
        resolved = n / (time.perf_counter() - t0)
        return {
            "terminal": terminal,
            "residents": [(r.token, r.card_id) for r in residents],
            "resolve_per_s": round(resolved),
        }
    finally:
        await hot.close(client)
        await db.close()


def prepare_get(path: Path, residents) -> None:
    with path.open("w") as f:
        for token, card_id in residents:
            f.write(f"/api/v1/cards/{card_id}/qrcode\tGET\tAuthorization\tBearer {token}\t-\n")


def prepare_scans(path: Path, terminal: dict, residents, count: int, qr_key: bytes) -> None:
    """Signed scan requests of dynamic codes of the current minute, each with its own nonce."""
    from backend.qr import rules
    from backend.staff.signing import sign

    step = rules.step_at(time.time())
    with path.open("w") as f:
        for i in range(count):
            _, card_id = residents[i % len(residents)]
            body = json.dumps({"payload": rules.dynamic_payload(card_id, qr_key, step)}).encode()
            h = sign(terminal["terminal_code"], terminal["secret"], "POST", "/api/v1/staff/scan", body)
            pairs = "\t".join(f"{k}\t{v}" for k, v in {**h, "Content-Type": "application/json"}.items())
            f.write(f"/api/v1/staff/scan\tPOST\t{pairs}\t{body.decode()}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cards", type=int, default=2000)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="no-op, fetch and scan runs alternated this many times")
    args = ap.parse_args()
    wrk = ensure_wrk()
    import base64

    local = in_process()
    print(
        f"in-process: {local['issue_per_s']} codes issued/s, {local['verify_per_s']} verified/s (pure rules)",
        flush=True,
    )

    db_name, env = scratch_env("bench_qr")
    work = Path(tempfile.mkdtemp(prefix="bench_qr."))
    script = work / "prepared.lua"
    script.write_text(WRK_PREPARED)
    server = None
    try:
        seeded = asyncio.run(seed(env, cards=args.cards))
        print(f"in-process: {seeded['resolve_per_s']} codes resolved/s by the service (database + Redis)", flush=True)
        prepare_get(work / "get.txt", seeded["residents"])
        (work / "ping.txt").write_text("/api/v1/ping\tGET\tX-Bench\t1\t-\n")
        server, url = start_server(env, workers=args.workers, work=work)

        def run(name: str, file: Path) -> dict:
            cmd = [
                wrk,
                "-t2",
                f"-c{args.connections}",
                f"-d{args.seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                url,
                "--",
                str(file),
                "2",
            ]
            cpu_before = cpu_seconds(server)
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            data = json.loads(next(row for row in out.splitlines() if row.startswith("BENCH "))[6:])
            data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
            cpu_after = cpu_seconds(server)
            data["cpu_us"] = cpu_per_request(cpu_before, cpu_after, data["requests"])
            print(
                f"{name:10}: {data['rps']:7.0f} req/s  p50 {data['p50_us'] / 1000:6.2f} ms  p99 "
                f"{data['p99_us'] / 1000:6.2f} ms  "
                f"CPU us/req {data['cpu_us']}  {data['statuses']}",
                flush=True,
            )
            return data

        run("warm-up", work / "ping.txt")
        qr_key = base64.b64decode(env["QR_KEYS"].split(":", 1)[1])
        rounds = []
        # alternated, so that drift of a shared machine touches every kind of request alike; each
        # round's ratios come from its own runs, and the figures are the rounds' medians
        for n in range(args.rounds):
            noop = run("no-op", work / "ping.txt")
            get = run("qrcode", work / "get.txt")
            prepare_scans(work / "scan.txt", seeded["terminal"], seeded["residents"], 120_000, qr_key)  # fresh nonces
            scan = run("scan", work / "scan.txt")
            rounds.append({"noop": noop, "qrcode": get, "scan": scan})
            print(
                f"round {n + 1}: qrcode {get['rps'] / noop['rps']:.3f}x, scan {scan['rps'] / noop['rps']:.3f}x "
                f"the no-op",
                flush=True,
            )

        def of(kind, field):
            return statistics.median([r[kind][field] for r in rounds])

        cpu = {
            kind: {
                part: statistics.median([r[kind]["cpu_us"][part] for r in rounds])
                for part in ("service", "postgres", "redis")
            }
            for kind in ("noop", "qrcode", "scan")
        }
        result = {
            "issue_per_s_in_process": local["issue_per_s"],
            "verify_per_s_in_process": local["verify_per_s"],
            "resolve_per_s_in_process": seeded["resolve_per_s"],
            "noop_per_s": round(of("noop", "rps")),
            "qrcode_per_s": round(of("qrcode", "rps")),
            "scan_per_s": round(of("scan", "rps")),
            "qrcode_vs_noop": round(statistics.median([r["qrcode"]["rps"] / r["noop"]["rps"] for r in rounds]), 3),
            "scan_vs_noop": round(statistics.median([r["scan"]["rps"] / r["noop"]["rps"] for r in rounds]), 3),
            "qrcode_p99_ms": round(of("qrcode", "p99_us") / 1000, 2),
            "scan_p99_ms": round(of("scan", "p99_us") / 1000, 2),
            "scan_p99_ms_worst_round": round(max(r["scan"]["p99_us"] for r in rounds) / 1000, 2),
            "scan_statuses": [r["scan"]["statuses"] for r in rounds],
            "qrcode_statuses": [r["qrcode"]["statuses"] for r in rounds],
            "connections": args.connections,
            "workers": args.workers,
            "rounds": args.rounds,
            "cpu_us_per_request": cpu,
        }
        print(json.dumps(result))
    finally:
        stop_server(server)
        asyncio.run(cleanup(env, db_name))
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
