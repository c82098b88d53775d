"""What both benchmarks share: a scratch PostgreSQL database and Redis prefix, the production
settings they run under, the server (scripts/bench_server.py) started and stopped, and wrk."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_PG_DSN", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (Debian package)...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
        return shutil.which("wrk")
    sys.exit("wrk is needed: apt-get install wrk")


def cpu_seconds(server: subprocess.Popen) -> dict[str, float]:
    """CPU time so far of the service's processes (its session), of PostgreSQL and of Redis.
    Unlike req/s it is barely moved by other work competing for the machine's cores, and it
    shows where a request's cost goes (the databases share the cores with the service)."""
    total = {"service": 0, "postgres": 0, "redis": 0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        fields, comm = fields.split(), head.split("(", 1)[1]
        group = (
            "service"
            if int(fields[3]) == server.pid
            else "postgres"
            if comm == "postgres"
            else "redis"
            if comm.startswith("redis-server")
            else None
        )
        if group:
            total[group] += int(fields[11]) + int(fields[12])
    return {k: v / os.sysconf("SC_CLK_TCK") for k, v in total.items()}


def cpu_per_request(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, int]:
    return {k: round((after[k] - before[k]) * 1e6 / max(1, requests)) for k in after}


def bench_env(db_url: str, prefix: str, port: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from backend.prod_checks import MESSAGE_TEMPLATE_KINDS

    key = lambda: base64.b64encode(secrets.token_bytes(32)).decode()  # noqa: E731
    env = dict(os.environ)
    env.update(
        APP_ENV="prod",
        PORT=str(port),
        DATABASE_URL=db_url,
        REDIS_URL=REDIS_URL,
        REDIS_PREFIX=prefix,
        CRYPTO_KEYS=f"1:{key()}",
        INDEX_KEY=key(),
        QR_KEYS=f"1:{key()}",
        TERMINAL_MASTER_KEY=key(),
        WECHAT_PAY_DISABLED="1",
        LOG_LEVEL="WARNING",
        # a benchmark of the mechanism, not of the anti-scalper rules: each card may race for
        # every session, and all requests come from one address
        BOOKING_MAX_PER_DAY="100000",
        BOOKING_MAX_PER_DEPARTMENT_DAY="100000",
        HOLD_RATE_PER_ACCOUNT="100000000",
        HOLD_RATE_PER_IP="100000000",
        REDIS_POOL_SIZE="128",
        # the hold benchmarks race at the release moment without tickets (bench_release_room.py
        # turns the waiting room on)
        RELEASE_ROOM_DEFAULT_ON="0",
        # production refuses dev parts (backend/prod_checks.py); nothing here sends SMS or calls WeChat
        SMS_PROVIDER="tencent",
        TENCENT_SMS_SECRET_ID="bench",
        TENCENT_SMS_SECRET_KEY="bench",
        TENCENT_SMS_SDK_APP_ID="1400000000",
        TENCENT_SMS_SIGN_NAME="bench",
        TENCENT_SMS_TEMPLATE_ID="1",
        WECHAT_APPID="wxbench0000000001",
        WECHAT_SECRET=secrets.token_hex(16),
        **{f"WECHAT_TEMPLATE_{kind.upper()}": f"bench-{kind}" for kind in MESSAGE_TEMPLATE_KINDS},
    )
    return env


def scratch_env(name: str) -> tuple[str, dict]:
    """A fresh database `<name>_<pid>` (created now) and the settings pointing at it."""
    import asyncpg

    db_name = f"{name}_{os.getpid()}"
    env = bench_env(
        PG_ADMIN.rsplit("/", 1)[0] + f"/{db_name}?maxsize=20", f"{name.replace('_', '')}{os.getpid()}:", free_port()
    )

    async def create_db():
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
        await conn.execute(f'CREATE DATABASE "{db_name}"')
        await conn.close()

    asyncio.run(create_db())
    return db_name, env


async def cleanup(env: dict, db_name: str) -> None:
    import asyncpg
    import redis.asyncio as aioredis

    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    await conn.close()
    r = aioredis.from_url(REDIS_URL)
    async for key in r.scan_iter(match=env["REDIS_PREFIX"] + "*", count=1000):
        await r.delete(key)
    await r.aclose()


def start_server(env: dict, *, workers: int, work: Path) -> tuple[subprocess.Popen, str]:
    """scripts/bench_server.py in production mode; returns once /api/v1/health answers."""
    import httpx

    log = open(work / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "bench_server.py"), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{env['PORT']}"
    for _ in range(120):
        try:
            if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_server(server)
    sys.exit("server did not start:\n" + (work / "server.log").read_text()[-3000:])


def stop_server(server: subprocess.Popen | None) -> None:
    if server is None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
