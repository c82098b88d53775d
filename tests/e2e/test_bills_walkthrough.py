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
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_demo_stay_shows_and_a_pushed_day_appears_in_the_bill(server):  # noqa: F811
    base, data = server
    with httpx.Client(base_url=base + "/api/v1", timeout=10) as http:
        token = http.post("/auth/wx-login", json={"code": "inpatient#1"}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        phone = make_phone()
        code = http.post("/sms/codes", json={"phone": phone, "purpose": "claim_card"}).json()["dev_code"]
        card = http.post(
            "/cards",
            headers=auth,
            json={"name": "张三", "id_number": "11010519491231002X", "phone": phone, "sms_code": code},
        )
        assert card.status_code in (200, 201), card.text
        card_id = card.json()["card_id"]
        [admission] = http.get(f"/inpatient/admissions?card_id={card_id}", headers=auth).json()
        assert admission["admission_no"] == "ZY20260001" and admission["discharged_at"] is None
        bill = http.get(
            f"/inpatient/bills?hospital_id={admission['hospital_id']}&card_id={card_id}&admission_no=ZY20260001",
            headers=auth,
        ).json()
        assert len(bill["days"]) >= 4 and len({i["category"] for d in bill["days"] for i in d["items"]}) >= 7
        assert bill["total_fen"] == sum(d["subtotal_fen"] for d in bill["days"]) and bill["prepaid_fen"] == 300000
        today = http.get("/dev/clock").json()["now"][:10]
        r = his(
            http,
            "dev-his-WHCH",
            "PUT",
            f"/his/WHCH/admissions/ZY20260001/days/{today}",
            {
                "items": [
                    {
                        "item_code": "JY001",
                        "name": "血常规",
                        "category": "lab",
                        "unit": "次",
                        "quantity": 1,
                        "unit_price_fen": 2000,
                        "amount_fen": 2000,
                    },
                    {
                        "item_code": "YP011",
                        "name": "0.9%氯化钠注射液 250ml",
                        "category": "drug",
                        "unit": "瓶",
                        "quantity": 1.5,
                        "unit_price_fen": 350,
                        "amount_fen": 525,
                    },
                ]
            },
        )
        assert r.status_code == 200 and r.json() == {"date": today, "item_count": 2, "subtotal_fen": 2525}, r.text
        bill = http.get(
            f"/inpatient/bills?hospital_id={admission['hospital_id']}&card_id={card_id}&admission_no=ZY20260001",
            headers=auth,
        ).json()
        assert bill["days"][-1]["date"] == today and bill["days"][-1]["subtotal_fen"] == 2525
        assert his(http, "dev-his-WHTJ", "GET", "/his/WHCH/deposits").status_code == 401


def test_the_cli_creates_an_operator_and_rotates_an_intake_secret(server):  # noqa: F811
    base, data = server
    done = cli(
        data,
        "create-operator",
        "e2e-admin",
        "--role",
        "hospital_admin",
        "--hospital",
        "WHTJ",
        "--password-stdin",
        stdin="e2e password 123\n",
    )
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


def test_the_cli_onboards_a_hospital_and_imports_schedules_all_or_nothing(server, tmp_path):  # noqa: F811
    base, data = server
    spec = {
        "code": "CLIH",
        "name": "命令行医院",
        "release_time": "08:00",
        "departments": [
            {"code": "NK", "name": "内科", "doctors": [{"code": "DR1", "name": "周明", "title": "主任医师"}]}
        ],
    }
    (tmp_path / "hospital.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    done = cli(data, "onboard-hospital", str(tmp_path / "hospital.json"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) | {"hospital_id": 0} == {
        "hospital_id": 0,
        "code": "CLIH",
        "hospital": "created",
        "departments": 1,
        "doctors": 1,
    }
    again = cli(data, "onboard-hospital", str(tmp_path / "hospital.json"))
    assert json.loads(again.stdout)["hospital"] == "exists" and json.loads(again.stdout)["doctors"] == 0
    with httpx.Client(base_url=base + "/api/v1", timeout=10) as http:
        today = http.get("/dev/clock").json()["now"][:10]
    header = "external_id,department_code,doctor_code,date,start,end,capacity,referral_quota,fee_fen\n"
    good = f"cli-1,NK,DR1,{today},14:00,14:30,10,0,1500\n"
    (tmp_path / "bad.csv").write_text(
        header + good + "cli-2,NK,DR1,9999-12-31,08:00,08:30,10,0,1500\n", encoding="utf-8"
    )
    refused = cli(data, "import-schedules", "CLIH", str(tmp_path / "bad.csv"))
    assert refused.returncode == 1
    assert json.loads(refused.stderr)["error"]["rows"] == [
        {"index": 1, "field": "date", "line": 3, "reason": "is beyond the booking horizon (90 days ahead)"}
    ]
    (tmp_path / "good.csv").write_text(header + good, encoding="utf-8")
    done = cli(data, "import-schedules", "CLIH", str(tmp_path / "good.csv"))
    assert done.returncode == 0 and json.loads(done.stdout)["created"] == 1, done.stderr
    rebuilt = cli(data, "rebuild-stock")
    assert rebuilt.returncode == 0 and "embedded" in json.loads(rebuilt.stdout)["note"]
    with httpx.Client(base_url=base + "/api/v1", timeout=10) as http:
        hospital = next(h for h in http.get("/hospitals").json() if h["code"] == "CLIH")
        dept = http.get(f"/hospitals/{hospital['id']}/departments").json()[0]
        sessions = http.get(f"/departments/{dept['id']}/schedules?date={today}").json()
        assert [(s["start"], s["capacity"], s["remaining"]) for s in sessions] == [("14:00", 10, 10)]
