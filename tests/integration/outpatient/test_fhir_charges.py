"""Outpatient charges as FHIR R4 ChargeItem: read, search by patient, date and item code, paged
with next links, the API's access rules; every response parsed with fhir.resources' R4B models."""

from datetime import date, datetime
from urllib.parse import urlsplit

import pytest

from backend.clock import SHANGHAI, clock
from tests.integration.conftest import at
from tests.integration.outpatient.conftest import item
from tests.integration.reports.test_fhir import FHIR, fhir, ids, validated
from tests.support import make_id_number

TODAY = date(2026, 12, 10)
DRUGS = [
    item("D001", name="阿莫西林胶囊", quantity=2, price=1250),
    item("D002", name="布洛芬片", quantity=1, price=805),
]
LAB = [item("L001", name="血常规", category="lab", unit="次", quantity=1, price=2500)]


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(at(TODAY, "10:00"))


def _ordered(day: int, hour: int = 9) -> str:
    return datetime(2026, 12, day, hour, 5, tzinfo=SHANGHAI).isoformat()


def _local(url: str) -> str:
    return urlsplit(url).path + "?" + urlsplit(url).query


async def _pay(me, his, payer, charge_nos: set[str]) -> None:
    r = await me.get(f"/api/v1/outpatient/charges?card_id={me.card_id}&status=unpaid")
    chosen = [c for c in r.json if c["charge_no"] in charge_nos]
    r = await me.post(
        "/api/v1/outpatient/payments",
        {
            "hospital_id": his.hospital["id"],
            "card_id": me.card_id,
            "charge_ids": [c["charge_id"] for c in chosen],
            "versions": [c["version"] for c in chosen],
        },
    )
    assert r.status == 201, r.json
    headers, body = payer.standin.complete_payment(r.json["out_trade_no"])
    assert (await payer.deliver(headers, body)).status == 204


async def _world(his_for, resident_with_card, login, payer):
    his, me = await his_for(), await resident_with_card()
    family = await login()
    clock.advance(seconds=61)
    r = await family.add_member(name="张三", id_number=me.id_number, phone=me.phone, relation="parent")
    assert r.status == 201, r.json
    # five charges over three days; one paid and booked by the hospital, one paid and rejected
    for no, items, ordered in (
        ("CF1", DRUGS, _ordered(8)),
        ("CF2", LAB, _ordered(8, 11)),
        ("CF3", DRUGS, _ordered(9)),
        ("CF4", LAB, _ordered(10, 8)),
        ("CF5", DRUGS, _ordered(10, 9)),
    ):
        assert (await his.push(no, me.id_number, items, ordered_at=ordered)).status == 201
    assert (await his.push("CX1", make_id_number(), DRUGS)).status == 201  # someone else's
    assert (await his.push("CV1", me.id_number, LAB)).status == 201
    assert (await his.void("CV1")).status in (200, 204)  # voided: gone, as in the API
    await _pay(me, his, payer, {"CF1", "CF2"})
    r = await his.ack({"charge_no": "CF1", "receipt_no": "R-778", "guide": "请到门诊药房3号窗口取药"})
    assert r.json["acknowledged"] == ["CF1"]
    assert (await his.reject("CF2", "医保结算失败")).status == 200
    return his, me, family


async def test_chargeitems_read_search_and_page(his_for, resident_with_card, login, payer):
    his, me, family = await _world(his_for, resident_with_card, login, payer)
    everything = await fhir(me, f"/ChargeItem?patient=Patient/{me.card_id}")
    assert everything["total"] == 5
    by_no = {e["resource"]["identifier"][0]["value"]: e["resource"] for e in everything["entry"]}
    assert list(by_no) == ["CF5", "CF4", "CF3", "CF2", "CF1"]  # newest order first
    assert {no: r["status"] for no, r in by_no.items()} == {
        "CF1": "billed",
        "CF2": "aborted",
        "CF3": "billable",
        "CF4": "billable",
        "CF5": "billable",
    }
    booked = by_no["CF1"]
    assert booked["subject"] == {"reference": f"Patient/{me.card_id}"}
    assert booked["identifier"][0]["system"] == f"urn:ehealth:hospital:{his.hospital['id']}:charge"
    assert booked["priceOverride"] == {"value": 33.05, "currency": "CNY"}  # 3305 fen, exactly
    assert by_no["CF2"]["priceOverride"] == {"value": 25, "currency": "CNY"}
    assert booked["occurrenceDateTime"] == _ordered(8)
    assert booked["performingOrganization"]["display"] == his.hospital["name"]
    assert booked["code"]["text"] == "呼吸内科 门诊缴费 CF1"
    assert [c["code"] for c in booked["code"]["coding"]] == ["D001", "D002"]
    notes = [n["text"] for n in booked["note"]]
    assert "收据号 R-778" in notes and "请到门诊药房3号窗口取药" in notes
    assert notes[:2] == ["阿莫西林胶囊 2瓶 × 12.50元 = 25.00元", "布洛芬片 1瓶 × 8.05元 = 8.05元"]
    assert any("医保结算失败" in n["text"] for n in by_no["CF2"]["note"])
    assert me.id_number not in str(everything)
    # read by id
    read = await fhir(me, f"/ChargeItem/{booked['id']}")
    assert read == booked
    # dates with prefixes, in Asia/Shanghai days
    assert (await fhir(me, "/ChargeItem?date=2026-12-08"))["total"] == 2
    assert (await fhir(me, "/ChargeItem?date=ge2026-12-09&date=le2026-12-10"))["total"] == 3
    assert (await fhir(me, "/ChargeItem?date=lt2026-12-09"))["total"] == 2
    assert (await fhir(me, "/ChargeItem?date=ge2026-12-10T09:00:00%2B08:00"))["total"] == 1
    # item codes, with or without the hospital's system
    assert (await fhir(me, "/ChargeItem?code=L001"))["total"] == 2
    system = f"urn:ehealth:hospital:{his.hospital['id']}:item"
    assert (await fhir(me, f"/ChargeItem?code={system}|D002"))["total"] == 3
    assert (await fhir(me, "/ChargeItem?code=urn:ehealth:hospital:999999:item|D002"))["total"] == 0
    assert (await fhir(me, "/ChargeItem?code=L001,D001&date=2026-12-08"))["total"] == 2
    # paging: 5 charges in pages of 2, following the next links
    seen, url, pages = [], f"{FHIR}/ChargeItem?patient={me.card_id}&_count=2", 0
    while url:
        page = validated(await me.get(url))
        assert page["total"] == 5 and len(page["entry"]) <= 2
        seen += ids(page)
        following = [x["url"] for x in page["link"] if x["relation"] == "next"]
        url = _local(following[0]) if following else None
        pages += 1
    assert pages == 3 and seen == ids(everything)
    assert (await fhir(me, "/ChargeItem?_count=0"))["total"] == 5
    # the linked account sees the member's charges too
    assert ids(await fhir(family, "/ChargeItem")) == ids(everything)
    assert (await fhir(family, f"/ChargeItem/{booked['id']}"))["id"] == booked["id"]


async def test_someone_elses_charges_are_not_found(his_for, resident_with_card, login, payer):
    his, me, family = await _world(his_for, resident_with_card, login, payer)
    other = await resident_with_card("李四")
    mine = ids(await fhir(me, "/ChargeItem"))
    assert (await fhir(other, "/ChargeItem"))["total"] == 0
    assert (await fhir(other, f"/ChargeItem?patient={me.card_id}"))["total"] == 0
    outcome = await fhir(other, f"/ChargeItem/{mine[0]}", 404)
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "not-found"
    for path, status, code in (
        ("/ChargeItem/999999", 404, "not-found"),
        ("/ChargeItem/abc", 404, "not-found"),
        ("/ChargeItem?status=billable", 400, "not-supported"),
        ("/ChargeItem?date=2026-13-01", 400, "invalid"),
        ("/ChargeItem?code=a|", 400, "invalid"),
    ):
        assert (await fhir(me, path, status))["issue"][0]["code"] == code, path
