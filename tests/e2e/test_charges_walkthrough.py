"""The README's outpatient charges section on a real dev server: the demo visit's three unpaid
charges show for the demo resident, a charge pushed with the dev intake secret is paid through
the stand-in, read from the feed, acknowledged with guidance and partly refunded."""

import httpx

from tests.e2e.test_bills_walkthrough import his
from tests.e2e.test_serve import server  # noqa: F401  (a server of this module's own)
from tests.support import make_phone


def test_the_demo_visit_shows_and_a_pushed_charge_is_paid_acknowledged_and_partly_refunded(server):  # noqa: F811
    base, _ = server
    with httpx.Client(base_url=base + "/api/v1", timeout=10) as http:
        token = http.post("/auth/wx-login", json={"code": "charges#1"}).json()["token"]
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
        unpaid = http.get(f"/outpatient/charges?card_id={card_id}&status=unpaid", headers=auth).json()
        demo = [c for c in unpaid if c["charge_no"].startswith("MZ")]
        assert len(demo) == 3 and len({c["visit"] for c in demo}) == 1
        assert {c["items"][0]["category"] for c in demo} == {"drug", "lab", "exam"}
        assert [c["not_payable_reason"] for c in demo if not c["payable"]] == ["insurance"]

        today = http.get("/dev/clock").json()["now"][:10]
        items = [
            {
                "item_code": "YP201",
                "name": "盐酸左氧氟沙星片",
                "category": "drug",
                "unit": "盒",
                "quantity": 2,
                "unit_price_fen": 1450,
                "amount_fen": 2900,
            },
            {
                "item_code": "YP202",
                "name": "氨溴索口服液",
                "category": "drug",
                "unit": "瓶",
                "quantity": 1,
                "unit_price_fen": 1300,
                "amount_fen": 1300,
            },
        ]
        push = {
            "id_number": "11010519491231002X",
            "name": "张三",
            "department": "呼吸内科",
            "doctor": "李建国",
            "ordered_at": f"{today}T10:20:00+08:00",
            "total_fen": 4200,
            "items": items,
        }
        r = his(http, "dev-his-WHCH", "PUT", "/his/WHCH/charges/CF0001", push)
        assert r.status_code == 201 and r.json()["version"] == 1, r.text
        [charge] = [
            c
            for c in http.get(f"/outpatient/charges?card_id={card_id}&status=unpaid", headers=auth).json()
            if c["charge_no"] == "CF0001"
        ]
        r = http.post(
            "/outpatient/payments",
            headers=auth,
            json={
                "hospital_id": charge["hospital_id"],
                "card_id": card_id,
                "charge_ids": [charge["charge_id"]],
                "versions": [charge["version"]],
            },
        )
        assert r.status_code == 201 and r.json()["amount_fen"] == 4200, r.text
        otn = r.json()["out_trade_no"]
        assert http.post(f"/dev/payments/{otn}/complete").json()["outcome"] == "charges_paid"
        feed = his(http, "dev-his-WHCH", "GET", "/his/WHCH/charges/paid").json()
        [fed] = [c for c in feed["charges"] if c["charge_no"] == "CF0001"]
        assert fed["amount_fen"] == 4200 and fed["transaction_id"]
        r = his(
            http,
            "dev-his-WHCH",
            "POST",
            "/his/WHCH/charges/ack",
            {"charges": [{"charge_no": "CF0001", "receipt_no": "MZ-778812", "guide": "请到门诊一楼西药房3号窗口取药"}]},
        )
        assert r.json()["acknowledged"] == ["CF0001"]
        refund = {"amount_fen": 1300, "reason": "氨溴索口服液未发药", "refund_no": "TF0001"}
        assert his(http, "dev-his-WHCH", "POST", "/his/WHCH/charges/CF0001/refund", refund).status_code == 201
        assert his(http, "dev-his-WHCH", "POST", "/his/WHCH/charges/CF0001/refund", refund).status_code == 200
        [paid] = [
            c
            for c in http.get(f"/outpatient/charges?card_id={card_id}&status=paid", headers=auth).json()
            if c["charge_no"] == "CF0001"
        ]
        assert (paid["receipt_no"], paid["guide"], paid["refunded_fen"]) == (
            "MZ-778812",
            "请到门诊一楼西药房3号窗口取药",
            1300,
        )
        assert [(r["amount_fen"], r["reason"]) for r in paid["refunds"]] == [(1300, "氨溴索口服液未发药")]
