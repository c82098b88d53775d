"""The README's bill and operator sections on a real dev server: the demo stay shows for the demo
resident, a day pushed with the dev intake secret shows in the bill, and the CLI sets up an
operator and a new intake secret on the same database."""

import json
import os
import subprocess
import sys
import time

import httpx

from backend.staff.signing import sign
from tests.e2e.test_serve import ROOT, server  # noqa: F401  (a server of this module's own)
from tests.support import make_phone


def his(http: httpx.Client, secret: str, method: str, path: str, payload=None) -> httpx.Response:
    body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    headers = sign("", secret, method, "/api/v1" + path, body, timestamp=int(time.time()))
    headers.pop("X-Terminal-Id")
    return http.request(method, path, content=body, headers={**headers, "Content-Type": "application/json"})


def cli(data, *args, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env.update(APP_ENV="dev", DATA_DIR=str(data))
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=60)


def test_the_demo_stay_shows_and_a_pushed_day_appears_in_the_bill(server):  # noqa: F811
    base, data = server
    with httpx.Client(base_url=base + "/api/v1", timeout=10) as http:
        token = http.post("/auth/wx-login", json={"code": "inpatient#1"}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        phone = make_phone()
        code = http.post("/sms/codes", json={"phone": phone, "purpose": "claim_card"}).json()["dev_code"]
        card = http.post("/cards", headers=auth, json={"name": "张三", "id_number": "11010519491231002X", "phone": phone, "sms_code": code})
        assert card.status_code in (200, 201), card.text
        card_id = card.json()["card_id"]
        [admission] = http.get(f"/inpatient/admissions?card_id={card_id}", headers=auth).json()
        assert admission["admission_no"] == "ZY20260001" and admission["discharged_at"] is None
        bill = http.get(f"/inpatient/bills?hospital_id={admission['hospital_id']}&card_id={card_id}&admission_no=ZY20260001", headers=auth).json()
        assert len(bill["days"]) >= 4 and len({i["category"] for d in bill["days"] for i in d["items"]}) >= 7
        assert bill["total_fen"] == sum(d["subtotal_fen"] for d in bill["days"]) and bill["prepaid_fen"] == 300000
        today = http.get("/dev/clock").json()["now"][:10]
        r = his(http, "dev-his-WHCH", "PUT", f"/his/WHCH/admissions/ZY20260001/days/{today}", {"items": [
            {"item_code": "JY001", "name": "血常规", "category": "lab", "unit": "次", "quantity": 1, "unit_price_fen": 2000, "amount_fen": 2000},
            {"item_code": "YP011", "name": "0.9%氯化钠注射液 250ml", "category": "drug", "unit": "瓶", "quantity": 1.5, "unit_price_fen": 350, "amount_fen": 525},
        ]})
        assert r.status_code == 200 and r.json() == {"date": today, "item_count": 2, "subtotal_fen": 2525}, r.text
        bill = http.get(f"/inpatient/bills?hospital_id={admission['hospital_id']}&card_id={card_id}&admission_no=ZY20260001", headers=auth).json()
        assert bill["days"][-1]["date"] == today and bill["days"][-1]["subtotal_fen"] == 2525
        assert his(http, "dev-his-WHTJ", "GET", "/his/WHCH/deposits").status_code == 401


def test_the_cli_creates_an_operator_and_rotates_an_intake_secret(server):  # noqa: F811
    base, data = server
    done = cli(data, "create-operator", "e2e-admin", "--role", "hospital_admin", "--hospital", "WHTJ", "--password-stdin", stdin="e2e password 123\n")
    assert done.returncode == 0, done.stderr
    refused = cli(data, "create-operator", "e2e-weak", "--password-stdin", stdin="short\n")
    assert refused.returncode == 1 and json.loads(refused.stderr)["error"]["code"] == "weak_password"
    issued = cli(data, "issue-intake-secret", "WHTJ")
    assert issued.returncode == 0, issued.stderr
    secret = json.loads(issued.stdout)["secret"]
    with httpx.Client(base_url=base + "/api/v1", timeout=10) as http:
        login = http.post("/admin/login", json={"username": "e2e-admin", "password": "e2e password 123"})
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        assert [h["code"] for h in http.get("/admin/hospitals", headers=auth).json()] == ["WHTJ"]
        assert his(http, "dev-his-WHTJ", "GET", "/his/WHTJ/deposits").status_code == 401
        assert his(http, secret, "GET", "/his/WHTJ/deposits").json() == {"deposits": [], "next_cursor": None}
