"""A resident's and a clinic's full journey against a production-mode server (APP_ENV=prod,
PostgreSQL, Redis, JSON logs, Tencent SMS and WeChat through local stand-ins reached as the real
services would be), then its log is searched for every ID number, phone and name used: none may
appear, in plain text or JSON-escaped. Also: /dev routes do not exist, /metrics answers locally,
each request line carries a request id."""

import asyncio
import base64
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import httpx
import pytest

from backend.dev.standins.login import WeChatStandIn
from backend.prod_checks import MESSAGE_TEMPLATE_KINDS, template_variable
from backend.staff.signing import sign
from tests import migrated
from tests.conftest import PG_ADMIN_DSN, REDIS_URL
from tests.e2e.test_serve import _free_port
from tests.standins.tencent_sms import TencentSmsStandIn
from tests.support import make_id_number, make_phone

ROOT = Path(__file__).resolve().parents[2]


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture(scope="module")
def prod_server(tmp_path_factory):
    work = tmp_path_factory.mktemp("prod")
    db_name = f"test_ehealth_prod_{uuid.uuid4().hex[:8]}"
    db_url = PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + db_name
    wechat = WeChatStandIn(env="test", appid="wxjourney00000001", secret=secrets.token_hex(16)).start()
    sms = TencentSmsStandIn().start()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        APP_ENV="prod",
        PORT=str(port),
        DATABASE_URL=db_url,
        REDIS_URL=REDIS_URL,
        REDIS_PREFIX=f"tprod{uuid.uuid4().hex[:6]}:",
        CRYPTO_KEYS=f"1:{_key()}",
        QR_KEYS=f"1:{_key()}",
        INDEX_KEY=_key(),
        TERMINAL_MASTER_KEY=_key(),
        WECHAT_APPID=wechat.appid,
        WECHAT_SECRET=wechat.secret,
        WECHAT_API_BASE=wechat.base_url,
        WECHAT_PAY_DISABLED="1",
        LOG_LEVEL="INFO",
        **sms.env(),
        **{template_variable(kind): f"tmpl-{kind}" for kind in MESSAGE_TEMPLATE_KINDS},
    )

    asyncio.run(migrated.create_postgres(db_name))  # `migrate` below then finds nothing to apply
    migrate = subprocess.run(
        [sys.executable, "-m", "backend", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert migrate.returncode == 0, migrate.stderr
    # production has no static operator token: the first operator comes from the CLI
    password = secrets.token_urlsafe(16)
    created = subprocess.run(
        [sys.executable, "-m", "backend.cli", "create-operator", "journey", "--role", "platform", "--password-stdin"],
        cwd=ROOT,
        env=env,
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stderr
    log_path = work / "server.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend", "serve", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
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
            raise AssertionError(log_path.read_text()[-3000:])
        login = httpx.post(base + "/api/v1/admin/login", json={"username": "journey", "password": password})
        assert login.status_code == 200, login.text
        yield {"base": base, "sms": sms, "admin": login.json()["token"], "log": log_path, "proc": proc}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        wechat.stop()
        sms.stop()

        asyncio.run(migrated.admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))


def _forms(text: str) -> set[str]:
    """A value as it could appear in a log: plain, JSON-escaped (\\uXXXX, surrogate pairs), UTF-8 repr."""
    return {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=True)[1:-1], repr(text.encode())[2:-1]}


def test_a_full_journey_leaves_no_identity_data_in_the_log(prod_server):
    base, sms = prod_server["base"], prod_server["sms"]
    admin = {"Authorization": f"Bearer {prod_server['admin']}"}
    people = [
        ("王𠈌", make_id_number(), make_phone()),
        ("李〇", make_id_number(born=date(2016, 5, 4)), make_phone()),
        ("欧阳娜娜", make_id_number(born=date(1950, 2, 3)), make_phone()),
    ]
    (me_name, me_id, me_phone), (kid_name, kid_id, kid_phone), (other_name, other_id, other_phone) = people
    with httpx.Client(base_url=base + "/api/v1", timeout=20) as http:
        assert http.post("/dev/clock", json={}).status_code == 404  # no dev helpers in production
        login = http.post("/auth/wx-login", json={"code": "journey#1"}, headers={"X-Request-ID": "journey-login"})
        assert login.status_code == 200 and login.headers["x-request-id"] == "journey-login", prod_server[
            "log"
        ].read_text()[-3000:]
        auth = {"Authorization": f"Bearer {login.json()['token']}"}

        def code_for(phone, purpose):
            sent = http.post("/sms/codes", json={"phone": phone, "purpose": purpose})
            assert sent.status_code == 202 and "dev_code" not in sent.json(), sent.text
            return sms.codes_for(phone)[-1]

        code = code_for(me_phone, "claim_card")
        wrong = http.post(
            "/cards",
            headers=auth,
            json={
                "name": me_name,
                "id_number": me_id,
                "phone": me_phone,
                "sms_code": "000000" if code != "000000" else "111111",
            },
        )
        assert wrong.status_code == 400
        bad_id = http.post(
            "/cards",
            headers=auth,
            json={
                "name": me_name,
                "id_number": me_id[:-1] + ("0" if me_id[-1] != "0" else "1"),
                "phone": me_phone,
                "sms_code": code,
            },
        )
        assert bad_id.status_code == 400 and me_id[:-1] not in bad_id.text
        card = http.post(
            "/cards", headers=auth, json={"name": me_name, "id_number": me_id, "phone": me_phone, "sms_code": code}
        )
        assert card.status_code == 201, card.text
        assert card.json()["name_masked"] == "王*"
        kid = http.post(
            "/family",
            headers=auth,
            json={
                "name": kid_name,
                "id_number": kid_id,
                "phone": kid_phone,
                "relation": "child",
                "sms_code": code_for(kid_phone, "add_family"),
            },
        )
        assert kid.status_code == 201, kid.text
        cards = http.get("/cards", headers=auth).json()
        assert [c["name_masked"] for c in cards] == ["王*", "李*"]
        # someone else tries the same ID number as their own card: refused, and the refusal logged
        other = http.post("/auth/wx-login", json={"code": "journey-other#1"}).json()
        oauth = {"Authorization": f"Bearer {other['token']}"}
        taken = http.post(
            "/cards",
            headers=oauth,
            json={
                "name": other_name,
                "id_number": me_id,
                "phone": other_phone,
                "sms_code": code_for(other_phone, "claim_card"),
            },
        )
        assert taken.status_code in (400, 409)
        # malformed JSON with identity data in it
        assert (
            http.post(
                "/cards",
                headers={**auth, "Content-Type": "application/json"},
                content=f'{{"name": "{other_name}", "id_number": "{other_id}"'.encode(),
            ).status_code
            == 400
        )
        payload = http.get(f"/cards/{cards[0]['card_id']}/qrcode", headers=auth).json()["payload"]
        assert http.get(f"/cards/{cards[0]['card_id']}/qrcode?format=png", headers=auth).status_code == 200
        terminal = http.post(
            "/admin/terminals", headers=admin, json={"hospital_id": _hospital(http, admin), "name": "门诊一楼"}
        ).json()
        body = json.dumps({"payload": payload}).encode()
        scanned = http.post(
            "/staff/scan",
            content=body,
            headers={
                **sign(terminal["terminal_code"], terminal["secret"], "POST", "/api/v1/staff/scan", body),
                "Content-Type": "application/json",
            },
        )
        assert scanned.status_code == 200 and scanned.json()["card"]["name_masked"] == "王*"
        history = http.get(f"/cards/{cards[0]['card_id']}/access-log", headers=auth).json()
        assert [h["result"] for h in history] == ["ok"]
        metrics = httpx.get(base + "/metrics", timeout=10)
        assert (
            metrics.status_code == 200
            and 'ehealth_http_requests_total{method="POST",route="/api/v1/cards",status="201"}' in metrics.text
        )

    time.sleep(0.5)
    text = prod_server["log"].read_text()
    for name, id_number, phone in people:
        for value in (name, id_number, phone, name[1:]):
            for form in _forms(value):
                assert form not in text, f"{value!r} appears in the log as {form!r}"
    request_lines = []
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)  # every JSON line parses
        if record.get("logger") == "ehealth.access":
            request_lines.append(record)
    assert request_lines and all(
        r["request_id"]
        and (r["route"].startswith("/") or r["route"] == "unmatched")
        and isinstance(r["latency_ms"], float)
        for r in request_lines
    )
    journey = request_lines[next(i for i, r in enumerate(request_lines) if r["request_id"] == "journey-login") :]
    assert not [r for r in journey if r["status"] >= 500], text[-4000:]
    assert any(r["request_id"] == "journey-login" and r["route"] == "/api/v1/auth/wx-login" for r in request_lines)


def _hospital(http, admin) -> int:
    made = http.post("/admin/hospitals", headers=admin, json={"code": f"J{uuid.uuid4().hex[:6]}", "name": "旅程医院"})
    assert made.status_code == 201, made.text
    return made.json()["id"]
