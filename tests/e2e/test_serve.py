"""The README's run command, as a new user meets it: a real server process on the embedded
default (SQLite file, in-process hold store, WeChat stand-in), walked through over HTTP."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests import migrated
from tests.support import make_id_number, make_phone

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(request, tmp_path_factory):
    """A dev server of the module's own. Here, as a new user's first run, on an empty database
    that the server migrates; the modules that borrow this fixture start on a migrated copy."""
    port = _free_port()
    data = tmp_path_factory.mktemp("data")
    if request.module.__name__ != __name__:
        migrated.sqlite_copy(data / "ehealth.sqlite3")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env.update(APP_ENV="dev", PORT=str(port), DATA_DIR=str(data))
    log = open(data / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "backend"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        last = None
        for _ in range(120):
            try:
                last = httpx.get(base + "/api/v1/health", timeout=5)
                if last.status_code == 200:
                    break
            except httpx.HTTPError as exc:
                last = exc
            if proc.poll() is not None:
                raise RuntimeError((data / "server.log").read_text())
            time.sleep(0.25)
        else:
            raise RuntimeError(
                f"server did not come up: {last!r} {getattr(last, 'text', '')}\n"
                + (data / "server.log").read_text()[-3000:]
            )
        yield base, data
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_health_and_docs(server):
    base, data = server
    health = httpx.get(base + "/api/v1/health").json()
    assert (
        health["status"] == "ok" and health["database"]["engine"] == "sqlite" and health["redis"]["mode"] == "embedded"
    )
    assert (data / "ehealth.sqlite3").exists()
    assert httpx.get(base + "/docs").status_code == 200
    assert "/api/v1/cards" in httpx.get(base + "/docs/openapi.json").json()["paths"]


def test_readme_walkthrough(server):
    base, data = server
    with httpx.Client(base_url=base + "/api/v1", timeout=10) as http:
        login = http.post("/auth/wx-login", json={"code": "readme-user#1"}).json()
        auth = {"Authorization": f"Bearer {login['token']}"}
        phone, idn = make_phone(), make_id_number()
        code = http.post("/sms/codes", json={"phone": phone, "purpose": "claim_card"}).json()["dev_code"]
        card = http.post(
            "/cards", headers=auth, json={"name": "张三", "id_number": idn, "phone": phone, "sms_code": code}
        )
        assert card.status_code == 201, card.text
        mphone = make_phone()
        mcode = http.post("/sms/codes", json={"phone": mphone, "purpose": "add_family"}).json()["dev_code"]
        member = http.post(
            "/family",
            headers=auth,
            json={
                "name": "张小宝",
                "id_number": make_id_number(born=__import__("datetime").date(2018, 6, 1)),
                "phone": mphone,
                "relation": "child",
                "sms_code": mcode,
            },
        )
        assert member.status_code == 201, member.text
        cards = http.get("/cards", headers=auth).json()
        assert [c["relation"] for c in cards] == ["self", "child"]
    log = (data / "server.log").read_text()
    assert idn not in log and phone not in log


def test_booking_walkthrough(server):
    """Browse, hold, pay (the stand-in completes the payment), see the booking, cancel it."""
    base, data = server
    with httpx.Client(base_url=base + "/api/v1", timeout=10) as http:
        token = http.post("/auth/wx-login", json={"code": "booker#1"}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        phone = make_phone()
        code = http.post("/sms/codes", json={"phone": phone, "purpose": "claim_card"}).json()["dev_code"]
        card = http.post(
            "/cards",
            headers=auth,
            json={"name": "李四", "id_number": make_id_number(), "phone": phone, "sms_code": code},
        ).json()
        hospital = http.get("/hospitals").json()[0]
        department = http.get(f"/hospitals/{hospital['id']}/departments").json()[0]
        now = http.get("/dev/clock").json()["now"]
        sessions = [
            s
            for s in http.get(f"/departments/{department['id']}/schedules").json()
            if s["release_at"] <= now and s["date"] > now[:10] and s["remaining"] > 0
        ]
        assert sessions, "the demo data has released sessions after today"
        session = sessions[0]
        hold = http.post("/holds", headers=auth, json={"schedule_id": session["id"], "card_id": card["card_id"]})
        assert hold.status_code == 201, hold.text
        pay = http.post(f"/holds/{hold.json()['hold_id']}/payment", headers=auth).json()
        assert pay["pay_params"]["package"].startswith("prepay_id=")
        done = http.post(f"/dev/payments/{pay['out_trade_no']}/complete").json()
        assert done["outcome"] == "booked"
        bookings = http.get("/bookings", headers=auth).json()
        assert len(bookings) == 1 and bookings[0]["status"] == "confirmed" and bookings[0]["visit_number"] >= 1
        assert http.get(f"/schedules/{session['id']}").json()["remaining"] == session["remaining"] - 1
        cancelled = http.delete(f"/bookings/{bookings[0]['id']}", headers=auth).json()
        assert cancelled["status"] == "cancelled" and cancelled["refund"]["amount_fen"] == session["fee_fen"]
        assert http.get(f"/schedules/{session['id']}").json()["remaining"] == session["remaining"]


def test_metrics_answers_only_its_exact_path_on_a_real_server(server):
    """Raw requests, as a proxy would pass them on (no client-side normalising of the path)."""
    base, _ = server
    port = int(base.rsplit(":", 1)[1])

    def status_of(path: str) -> int:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            head = b""
            while b"\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    break
                head += chunk
        return int(head.split(b" ", 2)[1])

    assert status_of("/metrics") == 200  # loopback is in the default networks
    for variant in ("/metrics/", "/metrics//", "//metrics", "/%6detrics", "/metrics%2F", "/metrics;x", "/./metrics"):
        assert status_of(variant) in (400, 404), variant
