"""Real processes for the fault and load tests: redis-server on free loopback ports (plain or
cluster mode), a scratch PostgreSQL database, and the service itself started as production runs
it (`python -m backend serve --workers N`, APP_ENV=prod with the settings of scripts/_bench.py,
which pass backend/prod_checks.py), seeded by tests/faults/seed.py.

The machine's shared Redis on 6379 is never restarted: tests that break Redis start their own."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time
from pathlib import Path

import httpx

from scripts._bench import bench_env, free_port

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("TEST_PG_DSN", "postgres://postgres@127.0.0.1:5432/test")
SHARED_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def schedule_key(prefix: str, sid: int, name: str) -> str:
    """A schedule's key as the service names it (backend/booking/store.py), e.g. its stock "sh"."""
    from types import SimpleNamespace

    from backend.booking import store
    from backend.redis import KeySpace

    return store.schedule_key(SimpleNamespace(keys=KeySpace(prefix)), sid, name)


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("redis-server is needed (Debian package redis-server)")
    return found


def redis_cli_binary() -> str:
    found = shutil.which("redis-cli")
    if not found:
        raise RuntimeError("redis-cli is needed (Debian package redis-tools)")
    return found


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _free_cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too (so at most 55535)."""
    import random

    for _ in range(200):
        port = random.randint(20000, 55535)
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port pair for a cluster node")


class RedisServer:
    """One redis-server on 127.0.0.1:<port>, no persistence (a restart comes back empty, the
    worst case), killable and restartable on the same port."""

    def __init__(self, workdir: Path, *, port: int | None = None, cluster: bool = False):
        self.port = port or (_free_cluster_port() if cluster else free_port())
        self.workdir = workdir
        self.cluster = cluster
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        args = [
            redis_server_binary(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
            "--protected-mode",
            "no",
        ]
        if self.cluster:
            args += [
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                f"nodes-{self.port}.conf",
                "--cluster-node-timeout",
                "5000",
            ]
        log = open(self.workdir / f"redis-{self.port}.log", "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(100):
            if _ping(self.port):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def start_cluster(workdir: Path, shards: int = 3) -> list[RedisServer]:
    """`shards` primaries (no replicas) joined with redis-cli --cluster create; returns once
    every slot is served."""
    nodes: list[RedisServer] = []
    try:
        for _ in range(shards):
            nodes.append(RedisServer(workdir, cluster=True).start())
        return _join(nodes)
    except BaseException:
        for node in nodes:
            node.stop()
        raise


def _join(nodes: list[RedisServer]) -> list[RedisServer]:
    cli = redis_cli_binary()
    subprocess.run(
        [
            cli,
            "--cluster",
            "create",
            *[f"127.0.0.1:{n.port}" for n in nodes],
            "--cluster-replicas",
            "0",
            "--cluster-yes",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    # every node, not only the first: a client may reach any of them first, and a node that has
    # not yet learnt the others' slots answers CLUSTERDOWN
    for _ in range(200):
        infos = [
            subprocess.run([cli, "-p", str(n.port), "cluster", "info"], capture_output=True, text=True).stdout
            for n in nodes
        ]
        if all("cluster_state:ok" in out and "cluster_slots_ok:16384" in out for out in infos):
            return nodes
        time.sleep(0.05)
    raise RuntimeError("the cluster did not become ready")


class Service:
    """The service on a scratch database, as production runs it."""

    def __init__(self, workdir: Path, name: str, *, redis_url: str = SHARED_REDIS, workers: int = 1, **env):
        self.workdir = workdir
        self.db_name = f"{name}_{os.getpid()}_{free_port()}"
        self.db_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{self.db_name}"
        self.port = free_port()
        self.env = bench_env(self.db_url + "?maxsize=10", f"{name.replace('_', '')}{self.port}:", self.port)
        self.env.update(REDIS_URL=redis_url, REDIS_POOL_SIZE="64", **env)
        self.workers = workers
        self.proc: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    async def create_database(self) -> None:
        """The service's database, migrated (a copy of the test run's migrated template)."""
        from tests import migrated

        await migrated.create_postgres(self.db_name)

    async def drop_database(self) -> None:
        from tests import migrated

        await migrated.admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    async def seed(self, *, cards: int, schedules: int = 1, capacity: int = 100, booked: int = 0) -> dict:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.faults.seed",
            "--cards",
            str(cards),
            "--schedules",
            str(schedules),
            "--capacity",
            str(capacity),
            "--booked",
            str(booked),
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"seeding failed:\n{err.decode()[-3000:]}")
        return json.loads(out.decode().strip().splitlines()[-1])

    async def start(self) -> "Service":
        self.log = open(self.workdir / f"service-{self.port}.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "backend", "serve", "--workers", str(self.workers)],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        async with httpx.AsyncClient(timeout=2) as http:
            for _ in range(240):
                if self.proc.poll() is not None:
                    raise RuntimeError("the service exited:\n" + self.log_text()[-3000:])
                try:
                    if (await http.get(self.base + "/api/v1/ready")).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.25)
        raise RuntimeError("the service did not become ready:\n" + self.log_text()[-3000:])

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.workdir.glob(f"service-{self.port}.log"))

    def worker_pids(self) -> list[int]:
        """Sanic's request-serving worker processes (SANIC_WORKER_NAME Sanic-Server-*)."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True).stdout
        pids = []
        for pid in map(int, out.split()):
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(v.startswith(b"SANIC_WORKER_NAME=Sanic-Server-") for v in environ):
                pids.append(pid)
        return sorted(pids)

    def _client_sockets(self) -> list[tuple[int, int]]:
        """(worker pid, bytes received and not yet read) of each established client connection
        (from ss)."""
        import re

        out = subprocess.run(
            ["ss", "-tnpH", "state", "established", f"( sport = :{self.port} )"], capture_output=True, text=True
        ).stdout
        return [(int(pid), int(line.split()[0])) for line in out.splitlines() for pid in re.findall(r"pid=(\d+)", line)]

    def connections_by_worker(self) -> dict[int, int]:
        """Established client connections per worker pid."""
        counts = dict.fromkeys(self.worker_pids(), 0)
        for pid, _ in self._client_sockets():
            if pid in counts:
                counts[pid] += 1
        return counts

    def unread_requests(self, pid: int) -> int:
        """Connections of worker `pid` holding a request it has not read (a frozen worker's)."""
        return sum(1 for owner, unread in self._client_sockets() if owner == pid and unread > 0)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


# Plain HTTP here, but httpx builds a TLS context for every client it makes unless given one
# (25 ms of CPU each: 5 s for 200 clients).
_TLS = ssl.create_default_context()


async def hold_burst(
    base: str, attempts: list[tuple[str, str, int]], *, connections: int = 200
) -> list[tuple[int, dict]]:
    """POST /api/v1/holds for every (token, card_id, schedule_id), all at once: `connections`
    clients, each on its own connection, open it first (GET /ping), and once all are connected
    send their share back to back, so that `connections` requests are in flight from the first
    instant until all are answered. (One shared httpx pool of that many connections would cost
    the test process more than the service: its bookkeeping grows with the square of the
    connections.) Returns (status, body) in order; a request never answered is (0, {})."""
    results: list[tuple[int, dict]] = [(0, {})] * len(attempts)
    queue = iter(range(len(attempts)))
    clients = min(connections, len(attempts))
    connected = asyncio.Barrier(clients)

    async def client():
        async with httpx.AsyncClient(
            base_url=base, timeout=30, limits=httpx.Limits(max_connections=1), verify=_TLS
        ) as http:
            try:
                await http.get("/api/v1/ping")
            except httpx.HTTPError:
                pass
            await connected.wait()
            for i in queue:
                token, card_id, sid = attempts[i]
                try:
                    r = await http.post(
                        "/api/v1/holds",
                        json={"schedule_id": sid, "card_id": card_id},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                except httpx.HTTPError:
                    continue
                try:
                    results[i] = (r.status_code, r.json())
                except ValueError:
                    results[i] = (r.status_code, {})

    await asyncio.gather(*[client() for _ in range(clients)])
    return results


class TcpCut:
    """A TCP relay on a free loopback port in front of `target` (host, port), run on the test's
    event loop: `cut()` drops every relayed connection and refuses new ones (the network to
    the database is gone), `restore()` listens again on the same port, `reset()` resets every
    relayed connection (a TCP RST to each client, as a middlebox or a dead peer's keepalive
    timeout gives) and keeps accepting new ones."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._clients: set[asyncio.StreamWriter] = set()

    async def start(self) -> "TcpCut":
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        return self

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        self._clients.add(writer)

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._writers -= {writer, up_writer}
        self._clients.discard(writer)

    async def cut(self) -> None:
        self._server.close()
        for w in list(self._writers):
            w.transport.abort()
        self._writers.clear()
        await self._server.wait_closed()

    async def restore(self) -> None:
        await self.start()

    async def reset(self) -> int:
        """Every relayed connection closed with a RST to its client (SO_LINGER 0); returns how many."""
        clients = list(self._clients)
        for w in clients:
            w.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            w.transport.abort()
        await asyncio.sleep(0.05)  # the pumps notice and close the upstream side
        return len(clients)


class HoldStream:
    """Holds sent one after another by `concurrency` clients from `attempts`, so that a test can
    break something after a known number of answers (`await stream.answered(n)`) while requests
    keep arriving. `results[i]` is (status, body) of attempts[i]; (0, {}) if never answered.
    With `keepalive`, each client keeps its own connection, as each resident's phone does: a
    client whose connection is on a worker that stops waits for that worker (with one shared
    pool, the other clients' connections would take its requests instead). Without, every
    request opens a new connection, so they spread over the workers."""

    def __init__(
        self, base: str, attempts: list[tuple[str, str, int]], *, concurrency: int = 20, keepalive: bool = True
    ):
        self.base, self.attempts, self.concurrency = base, attempts, concurrency
        self.keepalive = keepalive
        self.results: list[tuple[int, dict] | None] = [None] * len(attempts)
        self.count = 0
        self._changed = asyncio.Event()
        self.task = asyncio.ensure_future(self._run())

    def _client(self, connections: int, keepalive: int | None) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=keepalive)
        return httpx.AsyncClient(base_url=self.base, timeout=30, limits=limits, verify=_TLS)

    async def _run(self) -> list[tuple[int, dict]]:
        queue = iter(range(len(self.attempts)))

        async def client(http: httpx.AsyncClient):
            for i in queue:
                token, card_id, sid = self.attempts[i]
                try:
                    r = await http.post(
                        "/api/v1/holds",
                        json={"schedule_id": sid, "card_id": card_id},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    try:
                        result = (r.status_code, r.json())
                    except ValueError:
                        result = (r.status_code, {})
                except httpx.HTTPError:
                    result = (0, {})
                self.results[i] = result
                self.count += 1
                self._changed.set()

        async def own_connection():
            async with self._client(1, None) as http:
                await client(http)

        if self.keepalive:
            await asyncio.gather(*[own_connection() for _ in range(self.concurrency)])
        else:
            async with self._client(self.concurrency, 0) as http:
                await asyncio.gather(*[client(http) for _ in range(self.concurrency)])
        return self.results

    async def answered(self, n: int) -> None:
        while self.count < n and not self.task.done():
            self._changed.clear()
            await self._changed.wait()

    async def finished(self) -> list[tuple[int, dict]]:
        return await self.task
