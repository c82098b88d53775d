"""Console log-in under load: the failure counters are reserved before argon2 runs (so parallel
guesses get no more checks than allowed), a per-address limit beside the per-account one, and
argon2 in threads behind a bounded gate so that a burst of log-ins never stalls the worker."""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import threading
import time

import pytest

from backend.operators import rules
from tests.integration.conftest import ADMIN
from tests.integration.operators.conftest import PASSWORD

pytestmark = pytest.mark.postgres_only
# production's argon2id cost (the suite's settings use the cheapest): the gate is about it
REAL_COST = rules.DEFAULT_PASSWORD_PROFILE


class Checks:
    """Counts real password checks (the argon2 verifications), and how many ran at once."""

    def __init__(self, monkeypatch):
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()
        real = rules.verify_password

        def counting(password_hash, password, profile):
            with self._lock:
                self.calls += 1
                self.running += 1
                self.most_at_once = max(self.most_at_once, self.running)
            try:
                return real(password_hash, password, profile)
            finally:
                with self._lock:
                    self.running -= 1

        monkeypatch.setattr(rules, "verify_password", counting)


def with_settings(app, deps, **operators):
    """The shared app with other operator settings (and a fresh argon2 gate sized by them)."""
    app.ctx.deps = dataclasses.replace(deps, settings=deps.settings.with_overrides(operators=operators), extras={})
    return app.ctx.deps


async def make_operator(client, name: str) -> None:
    _, r = await client.post(
        "/api/v1/admin/operators", json={"username": name, "password": PASSWORD, "role": "platform"}, headers=ADMIN
    )
    assert r.status == 201, r.json


async def login(client, name: str, password: str):
    _, r = await client.post("/api/v1/admin/login", json={"username": name, "password": password})
    return r


async def test_forty_parallel_wrong_passwords_get_at_most_the_allowed_checks(app, deps, client, monkeypatch):
    with_settings(app, deps, login_failures_per_account=10, login_failures_per_ip=1000, kdf_queue=100)
    await make_operator(client, "target-op")
    checks = Checks(monkeypatch)
    answers = await asyncio.gather(*(login(client, "target-op", f"wrong password {i}") for i in range(40)))
    statuses = sorted(r.status for r in answers)
    assert checks.calls == 10, checks.calls
    assert statuses.count(401) == 10 and statuses.count(429) == 30, statuses
    refused = next(r for r in answers if r.status == 429).json["error"]
    assert refused["code"] == "limit_exceeded" and refused["rule"] == "login_failures"
    assert 1 <= refused["retry_after"] <= 900 and refused["until"]
    # the right password is refused too while the window lasts, without being checked
    r = await login(client, "target-op", PASSWORD)
    assert r.status == 429 and checks.calls == 10


async def test_a_success_resets_the_account_counter(app, deps, client, monkeypatch):
    with_settings(app, deps, login_failures_per_account=3, login_failures_per_ip=1000)
    await make_operator(client, "resets-op")
    for _ in range(2):
        assert (await login(client, "resets-op", "wrong password 1")).status == 401
    assert (await login(client, "resets-op", PASSWORD)).status == 200
    for _ in range(3):  # a fresh allowance
        assert (await login(client, "resets-op", "wrong password 1")).status == 401
    r = await login(client, "resets-op", PASSWORD)
    assert r.status == 429 and r.json["error"]["rule"] == "login_failures"


async def test_failures_from_one_address_are_limited_across_usernames(app, deps, client, monkeypatch):
    with_settings(app, deps, login_failures_per_account=10, login_failures_per_ip=5)
    await make_operator(client, "ip-op")
    guesser, other = client.from_ip("198.51.100.7"), client.from_ip("198.51.100.8")
    # successes do not count against the address
    for _ in range(4):
        assert (await login(guesser, "ip-op", PASSWORD)).status == 200
    checks = Checks(monkeypatch)
    answers = await asyncio.gather(*(login(guesser, f"someone{i}", "wrong password 1") for i in range(12)))
    assert sorted(r.status for r in answers) == [401] * 5 + [429] * 7
    assert checks.calls == 5
    refused = next(r for r in answers if r.status == 429).json["error"]
    assert refused["rule"] == "login_failures_ip" and refused["retry_after"] >= 1
    assert (await login(guesser, "ip-op", PASSWORD)).status == 429
    assert (await login(other, "ip-op", PASSWORD)).status == 200  # another address is not affected


async def test_a_refusal_by_the_account_limit_does_not_count_against_the_address(app, deps, client):
    with_settings(app, deps, login_failures_per_account=2, login_failures_per_ip=4)
    await make_operator(client, "locked-op")
    await make_operator(client, "free-op")
    for _ in range(2):
        assert (await login(client, "locked-op", "wrong password 1")).status == 401
    for _ in range(5):  # refused before any check: the address keeps its allowance
        assert (await login(client, "locked-op", "wrong password 1")).status == 429
    assert (await login(client, "free-op", "wrong password 1")).status == 401
    assert (await login(client, "free-op", PASSWORD)).status == 200


async def test_argon2_runs_a_few_at_a_time_and_beyond_the_queue_the_caller_is_told_to_retry(
    app, deps, client, monkeypatch
):
    with_settings(app, deps, login_failures_per_ip=1000, kdf_concurrency=1, kdf_queue=2, password_profile=REAL_COST)
    names = [f"gate-op{i}" for i in range(8)]
    for name in names:
        await make_operator(client, name)
    checks = Checks(monkeypatch)
    answers = await asyncio.gather(*(login(client, name, "wrong password 1") for name in names))
    statuses = [r.status for r in answers]
    assert checks.most_at_once == 1
    assert statuses.count(401) == checks.calls and 3 <= checks.calls < 8, statuses
    busy = [r.json["error"] for r in answers if r.status == 503]
    assert busy and all(e["code"] == "busy" and e["retry_after"] >= 1 for e in busy)
    # a busy refusal checked nothing, so it counts as no failure: each account keeps its allowance
    with_settings(app, deps, login_failures_per_account=1, login_failures_per_ip=1000, password_profile=REAL_COST)
    for name, r in zip(names, answers):
        if r.status == 503:
            assert (await login(client, name, PASSWORD)).status == 200


async def test_a_burst_of_log_ins_does_not_stall_other_requests(app, deps, client):
    with_settings(
        app,
        deps,
        login_failures_per_account=1000,
        login_failures_per_ip=1000,
        kdf_concurrency=2,
        kdf_queue=100,
        password_profile=REAL_COST,
    )
    await make_operator(client, "burst-op")
    # one log-in's time here (argon2 dominates it), and an idle ping's
    singles = []
    for _ in range(3):
        started = time.perf_counter()
        assert (await login(client, "burst-op", "wrong password 1")).status == 401
        singles.append(time.perf_counter() - started)
    one_login = statistics.median(singles)

    burst = asyncio.gather(*(login(client, "burst-op", "wrong password 1") for _ in range(20)))
    # A ping "arrives" every 5 ms: its latency counts from when it was due, so time the worker
    # spent unable to take it (the event loop busy elsewhere) is part of it.
    pings = []
    while not burst.done():
        due = time.perf_counter() + 0.005
        await asyncio.sleep(0.005)
        _, r = await client.get("/api/v1/ping")
        assert r.status == 200
        pings.append(time.perf_counter() - due)
    assert all(r.status == 401 for r in await burst)
    assert len(pings) >= 5, pings
    # On the event loop, a ping would wait for the rest of the argon2 run under way (about half
    # a log-in's time, typically); in threads it waits for none. (A percentile, not the maximum:
    # on a machine shared with other work, one ping now and then is descheduled for a while.)
    pings.sort()
    assert statistics.median(pings) < one_login / 5, (statistics.median(pings), one_login, pings)
    assert pings[int(len(pings) * 0.8)] < one_login / 2, (one_login, pings)
