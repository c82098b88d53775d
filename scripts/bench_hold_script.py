#!/usr/bin/env python3
"""Redis's own CPU per granted hold, for booking/lua/hold.lua alone: no service, no HTTP, no
load generator. Fills a scratch key prefix with sessions, accounts and cards the way the
service does (backend/booking/store.py, backend/identity, backend/cards), sends hold.lua the
batches a release sends it (holds of many cards over many sessions, every one granted), and
reads Redis's INFO commandstats: the script's microseconds per hold, the part spent in the
commands it calls, and how many of each command a hold costs.

    .venv/bin/python scripts/bench_hold_script.py                  # the current hold.lua
    .venv/bin/python scripts/bench_hold_script.py --script other.lua --batch 100

Compare two versions of the script run by run, alternately: on a shared VM the figure moves
by 10-20% from one minute to the next. It resets Redis's command statistics.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts._bench import REDIS_URL  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--script", type=Path, default=ROOT / "backend" / "booking" / "lua" / "hold.lua")
    ap.add_argument("--batch", type=int, default=50, help="holds per call (the service batches what arrives together)")
    ap.add_argument("--cards", type=int, default=5000)
    ap.add_argument("--sessions", type=int, default=40)
    args = ap.parse_args()
    r = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    prefix = f"benchlua{secrets.token_hex(4)}:"
    now = int(time.time() * 1000)
    cards = []
    try:
        pipe = r.pipeline(transaction=False)
        for account in range(1, args.cards + 1):
            token_hash, card_id = secrets.token_hex(32), secrets.token_hex(32)
            pipe.hset(f"{prefix}tok:{token_hash}", mapping={"a": account, "e": now + 10**8})
            pipe.hset(f"{prefix}{{a{account}}}:cards", card_id, f"{account}|active")
            cards.append((token_hash, card_id))
        for sid in range(1, args.sessions + 1):
            key = f"{prefix}{{s{sid}}}:sched"
            pipe.hset(
                key,
                mapping={
                    "status": "open",
                    "cap": args.cards,
                    "rq": 0,
                    "rel": now - 1000,
                    "rrel": now - 1000,
                    "date": "2026-12-20",
                    "dept": sid,
                    "hosp": 1,
                    "fee": 1500,
                    "start": now + 10**8,
                },
            )
            pipe.pexpire(key, 10**9)
        pipe.execute()
        sha = r.script_load(args.script.read_text())
        # prefix, hold ttl, per-day and per-department limits and rate limits out of the way
        common = [prefix, 600_000, 100_000, 100_000, 10**9, 10**9, 60_000]
        r.config_resetstat()
        total, outcomes, started = args.cards * args.sessions, {}, time.time()
        k = 0
        while k < total:
            argv = list(common)
            for k in range(k, min(k + args.batch, total)):
                token_hash, card_id = cards[(k // args.sessions) % args.cards]
                argv += [
                    now + int((time.time() - started) * 1000),
                    token_hash,
                    card_id,
                    k % args.sessions + 1,
                    "127.0.0.1",
                    f"h{k:08d}",
                ]
            k += 1
            for reply in r.evalsha(sha, 0, *argv):
                outcome = reply[0] if reply[0] == "ok" else f"{reply[0]} {reply[1]}"
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        stats = r.info("commandstats")
    finally:
        for key in r.scan_iter(prefix + "*", count=10_000):
            r.delete(key)
    script = stats["cmdstat_evalsha"]
    inner = {name[8:]: v for name, v in stats.items() if name not in ("cmdstat_evalsha", "cmdstat_config|resetstat")}
    commands_us = sum(v["usec"] for v in inner.values())
    print(
        f"{args.script.name}: {script['usec'] / total:.2f} us of Redis CPU per hold "
        f"(commands {commands_us / total:.2f}, script and call overhead {(script['usec'] - commands_us) / total:.2f}); "
        f"{total} holds in batches of {args.batch}: {outcomes}"
    )
    print("calls per hold:", {name: round(v["calls"] / total, 2) for name, v in sorted(inner.items())})


if __name__ == "__main__":
    main()
