"""Graceful shutdown: SIGTERM with a request in flight. The request is answered, the periodic
jobs finish their round and stop, resources close, and the process exits cleanly."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests import migrated
from tests.e2e.test_serve import _free_port

ROOT = Path(__file__).resolve().parents[2]


def test_sigterm_finishes_the_request_in_flight_and_stops_jobs(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env.update(APP_ENV="dev", PORT=str(port), DATA_DIR=str(tmp_path), DEMO_DATA="0", LOG_LEVEL="INFO")
    migrated.sqlite_copy(tmp_path / "ehealth.sqlite3")
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.slow_app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(base + "/api/v1/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, log_path.read_text()
            time.sleep(0.25)
        else:
            raise AssertionError("server did not become ready:\n" + log_path.read_text()[-3000:])

        answer = {}

        def slow_request():
            try:
                r = httpx.get(base + "/slow?s=2", timeout=20)
                answer["status"], answer["body"] = r.status_code, r.json()
            except Exception as exc:  # noqa: BLE001 - the assertion below reports it
                answer["error"] = repr(exc)

        in_flight = threading.Thread(target=slow_request)
        in_flight.start()
        time.sleep(0.7)  # the request is being handled
        sent_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        in_flight.join(20)
        assert answer.get("status") == 200 and answer["body"] == {"done": True}, (answer, log_path.read_text()[-3000:])
        assert proc.wait(25) == 0
        assert time.monotonic() - sent_at >= 1.0  # it waited for the request rather than dropping it
        # and once stopped it takes nothing more
        try:
            httpx.get(base + "/api/v1/health", timeout=2)
            raise AssertionError("still answering after shutdown")
        except httpx.ConnectError:
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log_path.read_text()
    assert "periodic jobs stopped" in text, text[-3000:]
    assert "Traceback" not in text and "Task was destroyed" not in text, text[-3000:]
