"""Fuzzing the running service from its own OpenAPI document with schemathesis.

A real server process (dev mode, temporary SQLite file, free port, as tests/e2e/test_serve.py
starts it); every operation of /docs/openapi.json fuzzed with data that fits its schema and data
that does not (headers too); requests carry a resident token, the operator's dev token, a
terminal's signature or the hospital system's signature according to the operation's security
scheme (most of the time: the rest keep the fuzzed signing headers). Checks: no 5xx, every
status documented, every response matching its documented schema and content type.

The depth is FUZZ_EXAMPLES examples per operation and mode. CI runs the default, 6 (derandomized;
sized so that this one test, on one worker, takes no longer than the rest of the suite). Some
kinds of input only show up deeper (a bare carriage return in a CSV cell was found at 100, never
at 10), so before a release run the longer, randomized depth alone on the machine (tens of
minutes):

    FUZZ_EXAMPLES=100 scripts/test tests/e2e/test_fuzz.py -s

It prints the number of operations and cases and the count of each status; it fails on any 5xx,
on an "unhandled error" in the server's log, and on any response off its documented schema.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.staff.signing import sign
from tests.e2e.test_serve import server  # noqa: F401  (a server of this module's own)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ADMIN = "dev-admin-token"
# a hospital system's report PDF is a binary body: sent as the bytes schemathesis generates
schemathesis.serializer.alias("application/pdf", "application/octet-stream")


class Signer(requests.auth.AuthBase):
    """Signs the request exactly as sent (path with query, body bytes), as a terminal or a
    hospital system does; unless the case keeps its fuzzed headers."""

    def __init__(self, world: dict):
        self.world = world
        self.scheme = None
        self.keep_fuzzed = False

    def __call__(self, r):
        if self.scheme is None or self.keep_fuzzed:
            return r
        path = r.path_url
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        now = int(time.time())  # the fuzzer keeps the service clock real (POST /dev/clock is sent `{}`)
        if self.scheme == "terminal":
            headers = sign(
                self.world["terminal_code"], self.world["terminal_secret"], r.method, path, body, timestamp=now
            )
        else:
            headers = sign("", self.world["his_secret"], r.method, path, body, timestamp=now)
            headers.pop("X-Terminal-Id")
        r.headers.update(headers)
        return r


def _summary(exc) -> str:
    inner = getattr(exc, "exceptions", None)
    if inner:
        return "; ".join(_summary(e) for e in inner)
    return f"{type(exc).__name__}: " + " | ".join(line for line in str(exc).splitlines() if line.strip())[:300]


@pytest.fixture(scope="module")
def world(server):  # noqa: F811
    base, _ = server
    with httpx.Client(base_url=base + "/api/v1", timeout=30) as http:
        login = http.post("/auth/wx-login", json={"code": f"fuzzer#{uuid.uuid4().hex[:8]}"}).json()
        admin = {"Authorization": f"Bearer {ADMIN}"}
        hospital = http.get("/hospitals").json()[0]
        terminal = http.post(
            "/admin/terminals", headers=admin, json={"hospital_id": hospital["id"], "name": "fuzz"}
        ).json()
        secret = http.post(f"/admin/hospitals/{hospital['id']}/intake-secret", headers=admin).json()["secret"]
    return {
        "base": base,
        "token": login["token"],
        "terminal_code": terminal["terminal_code"],
        "terminal_secret": terminal["secret"],
        "hospital_code": hospital["code"],
        "his_secret": secret,
    }


def test_every_operation_survives_fuzzing(server, world):  # noqa: F811
    base, data = server
    schema = schemathesis.openapi.from_url(base + "/docs/openapi.json")
    schema.config.base_url = base
    operations = [result.ok() for result in schema.get_all_operations()]
    session = requests.Session()
    signer = Signer(world)
    session.auth = signer
    ran, failures, statuses = 0, [], {}

    for operation in operations:
        security = [name for req in operation.definition.raw.get("security", []) for name in req]
        path = operation.path
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=EXAMPLES <= 20,
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case):
                nonlocal ran
                # a fixed choice per case, so a failure replays: 1 in 5 keeps the fuzzed credentials
                digest = hashlib.sha256(
                    repr((case.path_parameters, case.query, case.headers, case.body)).encode()
                ).digest()
                keep_fuzzed = digest[0] % 5 == 0
                headers = {}
                signer.scheme = None
                if path in ("/api/v1/auth/logout",):
                    # a session of its own: logging out must not end the fuzzer's
                    fresh = requests.post(
                        base + "/api/v1/auth/wx-login", json={"code": f"fz#{uuid.uuid4().hex[:8]}"}
                    ).json()["token"]
                    headers["Authorization"] = f"Bearer {fresh}"
                elif path == "/api/v1/dev/clock" and case.method == "POST":
                    case.body = {}  # the clock stays real, so signatures stay fresh
                elif not keep_fuzzed and "bearer" in security:
                    headers["Authorization"] = f"Bearer {world['token']}"
                elif not keep_fuzzed and "operator" in security:
                    headers["Authorization"] = f"Bearer {ADMIN}"
                if "terminal" in security or "hospital_system" in security:
                    signer.scheme = "terminal" if "terminal" in security else "hospital_system"
                    signer.keep_fuzzed = keep_fuzzed
                    if "hospital_code" in (case.path_parameters or {}) and not keep_fuzzed:
                        case.path_parameters["hospital_code"] = world["hospital_code"]
                if path == "/api/v1/admin/logout":
                    headers["Authorization"] = "Bearer " + "x" * 43  # never the dev token's own session
                try:
                    response = case.call(session=session, headers=headers, timeout=30)
                except requests.exceptions.InvalidHeader:
                    return  # a header value no HTTP client can send
                ran += 1
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except (Exception, BaseExceptionGroup) as exc:  # collect every failure, then report them all
                    failures.append(
                        f"{case.method} {path} [{mode}]: {response.status_code} {response.text[:150]} {_summary(exc)}"
                    )

            try:
                fuzz()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, path  # nothing in it can be made invalid

    print(f"\nfuzzed {len(operations)} operations, {ran} cases, statuses {dict(sorted(statuses.items()))}")
    log = (data / "server.log").read_text()
    assert "unhandled error" not in log, log[log.index("unhandled error") - 200 :][:3000]
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:60])
    assert len(operations) >= 80 and ran >= len(operations) * 2


def test_the_service_restarts_on_the_fuzzed_database(server):  # noqa: F811
    """After the fuzzing (this module's server, its data written by every case above), a new
    process starts on the same database and serves it: nothing the fuzzer got stored keeps
    the service from coming back (migrations, demo seeding, the start-up checks all pass)."""
    import socket
    import subprocess
    import sys
    from pathlib import Path

    base, data = server
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env.update(APP_ENV="dev", PORT=str(port), DATA_DIR=str(data))
    root = Path(__file__).resolve().parents[2]
    with open(data / "restart.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "backend"], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            for _ in range(240):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None, (data / "restart.log").read_text()[-3000:]
                time.sleep(0.25)
            else:
                raise AssertionError("no restart: " + (data / "restart.log").read_text()[-3000:])
            hospitals = httpx.get(f"http://127.0.0.1:{port}/api/v1/hospitals", timeout=10)
            assert hospitals.status_code == 200 and hospitals.json() == httpx.get(base + "/api/v1/hospitals").json()
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert "unhandled error" not in (data / "restart.log").read_text()
