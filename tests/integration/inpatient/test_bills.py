"""Residents read inpatient bills; online deposits count in prepaid and go on the hospital's feed."""

import asyncio
from datetime import date, timedelta

import pytest

from backend.clock import clock
from backend.inpatient import service
from backend.inpatient.models import Admission, Deposit
from tests.integration.conftest import at
from tests.support import make_id_number, make_phone

TODAY = date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(at(TODAY, "10:00"))


async def _stay(his, admission_no, id_number, *, days=3, deposit_fen=200000):
    from tests.integration.inpatient.conftest import item

    r = await his.admit(
        admission_no,
        id_number=id_number,
        name="张三",
        admitted=TODAY - timedelta(days=days - 1),
        deposit_fen=deposit_fen,
    )
    assert r.status == 201, r.json
    for n in range(days):
        day = TODAY - timedelta(days=days - 1 - n)
        r = await his.push_day(
            admission_no,
            day,
            [
                item("BED", name="床位费", category="bed", unit="天", quantity=1, price=6000),
                item("NS", name="氯化钠注射液 0.9% 250ml", category="drug", unit="瓶", quantity=2, price=350),
                item("CBC", name="血常规", category="lab", unit="次", quantity=1, price=2500),
            ],
        )
        assert r.status == 200, r.json


async def test_the_bill_shows_days_items_subtotals_total_prepaid_and_balance(his_for, resident_with_card):
    his = await his_for()
    me = await resident_with_card()
    await _stay(his, "ZY100", me.id_number, days=3, deposit_fen=200000)
    r = await me.get(f"/api/v1/inpatient/admissions?card_id={me.card_id}")
    assert r.status == 200, r.json
    [adm] = r.json
    assert adm["admission_no"] == "ZY100" and adm["hospital_id"] == his.hospital["id"] and adm["discharged_at"] is None
    assert adm["total_fen"] == 3 * 9200 and adm["balance_fen"] == 200000 - 3 * 9200
    r = await me.get(
        f"/api/v1/inpatient/bills?hospital_id={his.hospital['id']}&card_id={me.card_id}&admission_no=ZY100"
    )
    assert r.status == 200, r.json
    bill = r.json
    assert [d["date"] for d in bill["days"]] == ["2026-12-08", "2026-12-09", "2026-12-10"]
    assert all(d["subtotal_fen"] == 9200 and len(d["items"]) == 3 for d in bill["days"])
    assert bill["days"][0]["items"][1] == {
        "item_code": "NS",
        "name": "氯化钠注射液 0.9% 250ml",
        "category": "drug",
        "unit": "瓶",
        "quantity": 2.0,
        "unit_price_fen": 350,
        "amount_fen": 700,
    }
    assert bill["total_fen"] == 27600 and bill["prepaid_fen"] == 200000 and bill["balance_fen"] == 172400
    assert bill["admission"]["name_masked"] == "张*" and bill["admission"]["discharged"] is False
    assert {c["category"]: c["subtotal_fen"] for c in bill["categories"]} == {"drug": 2100, "lab": 7500, "bed": 18000}


async def test_an_admission_pushed_before_the_card_is_claimed_shows_once_it_is(his_for, login):
    his = await his_for()
    id_number, phone = make_id_number(), make_phone()
    await _stay(his, "ZY110", id_number, days=1)
    me = await login()
    r = await me.claim(name="张三", id_number=id_number, phone=phone)
    assert r.status == 201
    r = await me.get(f"/api/v1/inpatient/admissions?card_id={r.json['card_id']}")
    assert [a["admission_no"] for a in r.json] == ["ZY110"]


async def test_a_linked_family_member_s_bill_is_readable_by_the_linking_account(his_for, resident_with_card):
    his = await his_for()
    me = await resident_with_card()
    child_id = make_id_number(born=date(2018, 6, 1))
    r = await me.add_member(name="张小宝", id_number=child_id, phone=make_phone())
    assert r.status == 201, r.json
    child_card = r.json["card"]["card_id"]
    await _stay(his, "ZY120", child_id, days=2)
    r = await me.get(
        f"/api/v1/inpatient/bills?hospital_id={his.hospital['id']}&card_id={child_card}&admission_no=ZY120"
    )
    assert r.status == 200 and r.json["total_fen"] == 2 * 9200


async def test_the_bill_names_its_patient_in_the_one_masked_form_and_nothing_more(his_for, resident_with_card):
    his = await his_for()
    me = await resident_with_card(name="欧阳娜娜")
    r = await his.admit("ZY130", id_number=me.id_number, name="欧阳娜娜", admitted=TODAY)
    assert r.status == 201, r.json
    r = await me.get(
        f"/api/v1/inpatient/bills?hospital_id={his.hospital['id']}&card_id={me.card_id}&admission_no=ZY130"
    )
    assert r.status == 200, r.json
    assert r.json["admission"]["name_masked"] == "欧**娜"
    for plain in ("欧阳娜娜", me.id_number, me.id_number[6:14], me.phone):
        assert plain not in r.text
    listed = await me.get(f"/api/v1/inpatient/admissions?card_id={me.card_id}")
    assert listed.status == 200 and me.id_number not in listed.text and "欧阳娜娜" not in listed.text


async def test_someone_else_s_card_and_a_wrong_admission_number_get_the_same_404(his_for, resident_with_card):
    his = await his_for()
    owner, stranger = await resident_with_card(), await resident_with_card()
    await _stay(his, "ZY130", owner.id_number, days=1)
    await _stay(his, "ZY131", stranger.id_number, days=1)
    h = his.hospital["id"]
    others_card = await stranger.get(
        f"/api/v1/inpatient/bills?hospital_id={h}&card_id={owner.card_id}&admission_no=ZY130"
    )
    wrong_no = await stranger.get(
        f"/api/v1/inpatient/bills?hospital_id={h}&card_id={stranger.card_id}&admission_no=ZY130"
    )
    unknown_card = await stranger.get(f"/api/v1/inpatient/bills?hospital_id={h}&card_id={'ab' * 32}&admission_no=ZY131")
    wrong_hospital = await stranger.get(
        f"/api/v1/inpatient/bills?hospital_id={h + 1000}&card_id={stranger.card_id}&admission_no=ZY131"
    )
    assert others_card.status == wrong_no.status == unknown_card.status == wrong_hospital.status == 404
    assert others_card.content == wrong_no.content == unknown_card.content == wrong_hospital.content
    assert (
        await stranger.get(f"/api/v1/inpatient/bills?hospital_id={h}&card_id={stranger.card_id}&admission_no=ZY131")
    ).status == 200
    assert (await stranger.get(f"/api/v1/inpatient/admissions?card_id={owner.card_id}")).status == 404
    _, r = await owner.client.get(f"/api/v1/inpatient/admissions?card_id={owner.card_id}")
    assert r.status == 401


async def test_paid_deposits_count_in_prepaid_once_and_go_on_the_feed_until_acknowledged(his_for, resident_with_card):
    his = await his_for()
    me = await resident_with_card()
    await _stay(his, "ZY140", me.id_number, days=1, deposit_fen=100000)
    admission = await Admission.get(admission_no="ZY140")
    first, counted = await service.record_paid_deposit(
        admission_id=admission.id, amount_fen=50000, transaction_id="4200000001"
    )
    assert counted
    again, counted = await service.record_paid_deposit(
        admission_id=admission.id, amount_fen=50000, transaction_id="4200000001"
    )
    assert not counted and again.id == first.id
    bill = (
        await me.get(
            f"/api/v1/inpatient/bills?hospital_id={his.hospital['id']}&card_id={me.card_id}&admission_no=ZY140"
        )
    ).json
    assert (
        bill["prepaid_fen"] == 150000
        and bill["hospital_deposit_fen"] == 100000
        and bill["balance_fen"] == 150000 - 9200
    )
    feed = (await his.request("GET", his.path("/deposits"))).json
    assert feed["deposits"] == [
        {
            "deposit_id": first.id,
            "admission_no": "ZY140",
            "amount_fen": 50000,
            "paid_at": "2026-12-10T10:00:00+08:00",
            "transaction_id": "4200000001",
        }
    ]
    assert feed["next_cursor"] is None
    r = await his.request("POST", his.path("/deposits/ack"), {"deposit_ids": [first.id]})
    assert r.status == 200 and r.json["acknowledged"] == [first.id]
    assert (await his.request("GET", his.path("/deposits"))).json["deposits"] == []
    # acknowledged deposits still count for the resident
    bill = (
        await me.get(
            f"/api/v1/inpatient/bills?hospital_id={his.hospital['id']}&card_id={me.card_id}&admission_no=ZY140"
        )
    ).json
    assert bill["prepaid_fen"] == 150000


@pytest.mark.postgres_only
async def test_a_paid_notification_replayed_5_times_concurrently_counts_once(his_for, resident_with_card):
    his = await his_for()
    me = await resident_with_card()
    await _stay(his, "ZY150", me.id_number, days=1, deposit_fen=0)
    admission = await Admission.get(admission_no="ZY150")
    started = await Deposit.create(
        admission_id=admission.id, amount_fen=30000, out_trade_no="DEP0001", created_at=clock.now()
    )
    results = await asyncio.gather(
        *[
            service.record_paid_deposit(
                admission_id=admission.id, amount_fen=30000, transaction_id="4200000099", out_trade_no="DEP0001"
            )
            for _ in range(5)
        ]
    )
    assert sum(counted for _, counted in results) == 1 and {d.id for d, _ in results} == {started.id}
    results = await asyncio.gather(
        *[
            service.record_paid_deposit(admission_id=admission.id, amount_fen=20000, transaction_id="4200000100")
            for _ in range(5)
        ]
    )
    assert sum(counted for _, counted in results) == 1
    assert await Deposit.filter(admission_id=admission.id, status="paid").count() == 2
    bill = (
        await me.get(
            f"/api/v1/inpatient/bills?hospital_id={his.hospital['id']}&card_id={me.card_id}&admission_no=ZY150"
        )
    ).json
    assert bill["prepaid_fen"] == 50000


async def test_the_feed_is_cursor_paged_and_each_hospital_sees_and_acknowledges_only_its_own(
    his_for, resident_with_card
):
    mine, theirs = await his_for(), await his_for()
    me = await resident_with_card()
    await _stay(mine, "ZY160", me.id_number, days=1)
    await _stay(theirs, "ZY161", me.id_number, days=1)
    a_mine = await Admission.get(admission_no="ZY160")
    a_theirs = await Admission.get(admission_no="ZY161")
    ids = [
        (await service.record_paid_deposit(admission_id=a_mine.id, amount_fen=100 + i, transaction_id=f"T{i:04d}"))[
            0
        ].id
        for i in range(230)
    ]
    their_id = (await service.record_paid_deposit(admission_id=a_theirs.id, amount_fen=999, transaction_id="THEIRS"))[
        0
    ].id
    seen, cursor, pages = [], None, 0
    while True:
        r = await mine.request("GET", mine.path("/deposits" + (f"?after={cursor}" if cursor else "")))
        assert r.status == 200, r.json
        seen += [d["deposit_id"] for d in r.json["deposits"]]
        pages += 1
        cursor = r.json["next_cursor"]
        if cursor is None:
            break
    assert seen == ids and pages == 3
    r = await mine.request("POST", mine.path("/deposits/ack"), {"deposit_ids": [ids[0], their_id]})
    assert r.json["acknowledged"] == [ids[0]] and r.json["unknown"] == [their_id]
    assert [d["deposit_id"] for d in (await theirs.request("GET", theirs.path("/deposits"))).json["deposits"]] == [
        their_id
    ]
    r = await mine.request("GET", mine.path("/deposits?after=abc"))
    assert r.status == 400 and r.json["error"]["code"] == "invalid_cursor"
