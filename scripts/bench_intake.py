#!/usr/bin/env python3
"""Hospital intake, measured: a 2,000-item bill day pushed by a hospital system.

Against the production set-up (APP_ENV=prod, PostgreSQL, Redis, 2 workers), one request at a
time as a hospital system sends them, alternating in the same run with
  - the no-op GET /api/v1/ping, and
  - a signed near no-op: GET /api/v1/his/{code}/deposits (signature, nonce in Redis, one small query),
each push being a signed PUT /api/v1/his/{code}/admissions/{no}/days/{date} that replaces the
day (checks 2,000 items, deletes the old ones, writes the new ones, one transaction). In-process,
the pure check of the 2,000 items alone. The last line is one JSON object with the figures.

    .venv/bin/python scripts/bench_intake.py              # about half a minute
    .venv/bin/python scripts/bench_intake.py --rounds 50 --items 5000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts._bench import PG_ADMIN, bench_env, cleanup, free_port  # noqa: E402

SECRET = "bench-intake-secret-0123456789abcdef"
HOSPITAL = "BENCHHIS"
ADMISSION = "BENCH0001"


def make_items(n: int, seed: int) -> list[dict]:
    from backend.inpatient.rules import CATEGORIES, amount_fen

    rng = random.Random(seed)
    items = []
    for i in range(n):
        quantity = Decimal(rng.randint(-2000, 20000)) / 1000 or Decimal(1)
        price = rng.randint(1, 500_000)
        items.append(
            {
                "item_code": f"C{i:05d}",
                "name": f"项目{i}",
                "category": rng.choice(CATEGORIES),
                "unit": "个",
                "quantity": str(quantity),
                "unit_price_fen": price,
                "amount_fen": amount_fen(quantity, price),
            }
        )
    return items


async def seed(env: dict) -> str:
    os.environ.update(env)
    from types import SimpleNamespace

    from backend import db
    from backend.catalog.models import Hospital
    from backend.clock import clock, local_datetime
    from backend.config import load_settings
    from backend.his import service as his
    from backend.inpatient import service as inpatient
    from backend.privacy.crypto import from_settings
    from tests.support import make_id_number

    settings = load_settings()
    await db.migrate(settings.database.url)
    await db.init(settings.database.url)
    try:
        deps = SimpleNamespace(pii=from_settings(settings))
        hospital = await Hospital.create(code=HOSPITAL, name="压测医院", created_at=clock.now())
        await his.store_secret(deps, hospital_id=hospital.id, secret=SECRET)
        today = clock.today()
        await inpatient.put_admission(
            deps=deps,
            hospital=hospital,
            admission_no=ADMISSION,
            id_number=make_id_number(),
            name="张三",
            ward="一病区",
            bed="1",
            admitted_at=local_datetime(today - timedelta(days=1), "09:00"),
            discharged_at=None,
            deposit_fen=0,
        )
        return today.isoformat()
    finally:
        await db.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    import asyncpg
    import httpx

    from backend.inpatient.rules import check_items
    from backend.staff.signing import sign

    db_name = f"bench_intake_{os.getpid()}"
    port = free_port()
    env = bench_env(PG_ADMIN.rsplit("/", 1)[0] + f"/{db_name}?maxsize=20", f"benchin{os.getpid()}:", port)

    async def create_db():
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
        await conn.execute(f'CREATE DATABASE "{db_name}"')
        await conn.close()

    asyncio.run(create_db())
    work = Path(tempfile.mkdtemp(prefix="bench_intake."))
    server = None
    try:
        today = asyncio.run(seed(env))
        log = open(work / "server.log", "w")
        server = subprocess.Popen(
            [sys.executable, "-m", "backend", "--workers", str(args.workers)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            sys.exit("server did not start:\n" + (work / "server.log").read_text()[-3000:])

        bodies = [
            json.dumps({"items": make_items(args.items, seed)}, ensure_ascii=False).encode()
            for seed in range(args.rounds)
        ]
        started = time.perf_counter()
        for body in bodies:
            items, problems = check_items(json.loads(body)["items"])
            assert not problems
        check_ms = (time.perf_counter() - started) * 1000 / len(bodies)

        day_path = f"/api/v1/his/{HOSPITAL}/admissions/{ADMISSION}/days/{today}"
        feed_path = f"/api/v1/his/{HOSPITAL}/deposits"
        timings: dict[str, list[float]] = {"noop": [], "signed_noop": [], "day": []}
        with httpx.Client(base_url=base, timeout=30) as http:

            def signed(method: str, path: str, body: bytes = b""):
                headers = sign("", SECRET, method, path, body, timestamp=int(time.time()))
                headers.pop("X-Terminal-Id")
                return http.request(method, path, content=body, headers={**headers, "Content-Type": "application/json"})

            for _ in range(5):  # warm-up
                http.get("/api/v1/ping")
                signed("GET", feed_path)
            for n, body in enumerate(bodies):
                t = time.perf_counter()
                assert http.get("/api/v1/ping").status_code == 200
                timings["noop"].append(time.perf_counter() - t)
                t = time.perf_counter()
                r = signed("GET", feed_path)
                timings["signed_noop"].append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
                t = time.perf_counter()
                r = signed("PUT", day_path, body)
                timings["day"].append(time.perf_counter() - t)
                assert r.status_code == 200 and r.json()["item_count"] == args.items, r.text
        ms = {k: statistics.median(v) * 1000 for k, v in timings.items()}
        worst = max(timings["day"]) * 1000
        print(f"no-op GET /ping          : median {ms['noop']:7.2f} ms", flush=True)
        print(f"signed GET deposits feed : median {ms['signed_noop']:7.2f} ms", flush=True)
        print(
            f"{args.items}-item day PUT     : median {ms['day']:7.2f} ms, worst {worst:.2f} ms "
            f"({args.items / (ms['day'] / 1000):,.0f} items/s); pure item check {check_ms:.2f} ms",
            flush=True,
        )
        print(
            json.dumps(
                {
                    "bench": "intake",
                    "items": args.items,
                    "rounds": args.rounds,
                    "workers": args.workers,
                    "day_median_ms": round(ms["day"], 2),
                    "day_worst_ms": round(worst, 2),
                    "noop_median_ms": round(ms["noop"], 2),
                    "signed_noop_median_ms": round(ms["signed_noop"], 2),
                    "ratio_day_to_noop": round(ms["day"] / ms["noop"], 1),
                    "ratio_day_to_signed_noop": round(ms["day"] / ms["signed_noop"], 1),
                    "item_check_ms": round(check_ms, 2),
                }
            )
        )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        asyncio.run(cleanup(env, db_name))


if __name__ == "__main__":
    main()
