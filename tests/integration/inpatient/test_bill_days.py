"""The light form of a bill: a summary by day without items, and one day's items a page at a time."""

import json as jsonlib
from datetime import date, timedelta

import pytest

from backend.clock import clock
from tests.integration.conftest import at
from tests.integration.inpatient.conftest import item

TODAY = date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(at(TODAY, "10:00"))


def _q(his, me, admission_no) -> str:
    return f"hospital_id={his.hospital['id']}&card_id={me.card_id}&admission_no={admission_no}"


async def _long_stay(his, me, admission_no, *, days: int, items_per_day: int) -> None:
    r = await his.admit(
        admission_no, id_number=me.id_number, admitted=TODAY - timedelta(days=days - 1), deposit_fen=100000
    )
    assert r.status == 201, r.json
    for n in range(days):
        day = TODAY - timedelta(days=days - 1 - n)
        items = [
            item(f"D{i}", name=f"药品{i}", category="drug" if i % 2 else "lab", quantity=1, price=100 + i)
            for i in range(items_per_day)
        ]
        r = await his.push_day(admission_no, day, items)
        assert r.status == 200, r.json


async def test_the_summary_has_every_day_and_the_totals_of_the_whole_bill_but_no_items(his_for, resident_with_card):
    his = await his_for()
    me = await resident_with_card()
    await _long_stay(his, me, "ZYL1", days=4, items_per_day=5)
    whole = (await me.get(f"/api/v1/inpatient/bills?{_q(his, me, 'ZYL1')}")).json
    r = await me.get(f"/api/v1/inpatient/bills/summary?{_q(his, me, 'ZYL1')}")
    assert r.status == 200, r.json
    summary = r.json
    assert [d["date"] for d in summary["days"]] == [d["date"] for d in whole["days"]]
    assert all("items" not in d for d in summary["days"])
    assert [d["item_count"] for d in summary["days"]] == [5] * 4
    assert [d["subtotal_fen"] for d in summary["days"]] == [d["subtotal_fen"] for d in whole["days"]]
    assert [d["categories"] for d in summary["days"]] == [d["categories"] for d in whole["days"]]
    for key in (
        "admission",
        "categories",
        "total_fen",
        "prepaid_fen",
        "hospital_deposit_fen",
        "online_deposits",
        "balance_fen",
    ):
        assert summary[key] == whole[key], key


async def test_a_day_s_items_come_in_pages_in_the_hospital_s_order(his_for, resident_with_card):
    his = await his_for()
    me = await resident_with_card()
    await _long_stay(his, me, "ZYL2", days=1, items_per_day=7)
    seen, offset, pages = [], 0, 0
    while offset is not None:
        r = await me.get(
            f"/api/v1/inpatient/bills/days/{TODAY.isoformat()}?{_q(his, me, 'ZYL2')}&limit=3&offset={offset}"
        )
        assert r.status == 200, r.json
        assert r.json["item_count"] == 7 and r.json["date"] == TODAY.isoformat()
        assert r.json["subtotal_fen"] == sum(100 + i for i in range(7))
        seen += [i["item_code"] for i in r.json["items"]]
        offset, pages = r.json["next_offset"], pages + 1
    assert seen == [f"D{i}" for i in range(7)] and pages == 3
    whole = (await me.get(f"/api/v1/inpatient/bills?{_q(his, me, 'ZYL2')}")).json
    r = await me.get(f"/api/v1/inpatient/bills/days/{TODAY.isoformat()}?{_q(his, me, 'ZYL2')}")
    assert r.json["items"] == whole["days"][0]["items"] and r.json["next_offset"] is None


async def test_a_long_stay_s_summary_stays_light(his_for, resident_with_card):
    """Sixty days of 200 items: the whole bill is megabytes, the summary a few kilobytes."""
    his = await his_for()
    me = await resident_with_card()
    await _long_stay(his, me, "ZYL3", days=60, items_per_day=200)
    whole = await me.get(f"/api/v1/inpatient/bills?{_q(his, me, 'ZYL3')}")
    summary = await me.get(f"/api/v1/inpatient/bills/summary?{_q(his, me, 'ZYL3')}")
    day = await me.get(f"/api/v1/inpatient/bills/days/{TODAY.isoformat()}?{_q(his, me, 'ZYL3')}&limit=50")
    assert summary.status == 200 and day.status == 200
    size = lambda r: len(jsonlib.dumps(r.json, ensure_ascii=False).encode())  # noqa: E731
    assert size(whole) > 1_000_000
    assert size(summary) < 20_000, size(summary)
    assert size(day) < 10_000 and len(day.json["items"]) == 50 and day.json["next_offset"] == 50


async def test_someone_else_s_bill_days_and_a_day_not_pushed_are_404(his_for, resident_with_card):
    his = await his_for()
    me = await resident_with_card()
    other = await resident_with_card()
    await _long_stay(his, me, "ZYL4", days=2, items_per_day=1)
    theirs = f"hospital_id={his.hospital['id']}&card_id={other.card_id}&admission_no=ZYL4"
    for path in (
        f"/api/v1/inpatient/bills/summary?{_q(his, me, 'ZYL4')}",
        f"/api/v1/inpatient/bills/days/{TODAY.isoformat()}?{_q(his, me, 'ZYL4')}",
    ):
        r = await other.get(path.replace(_q(his, me, "ZYL4"), theirs))
        assert r.status == 404 and r.json["error"]["code"] == "admission_not_found"
        r = await other.get(path)  # the card is not theirs: the same 404
        assert r.status == 404 and r.json["error"]["code"] == "admission_not_found"
    before = (TODAY - timedelta(days=5)).isoformat()
    r = await me.get(f"/api/v1/inpatient/bills/days/{before}?{_q(his, me, 'ZYL4')}")
    assert r.status == 404 and r.json["error"]["code"] == "bill_day_not_found"
    r = await me.get(f"/api/v1/inpatient/bills/days/{TODAY.isoformat()}?{_q(his, me, 'ZYL4')}&limit=0")
    assert r.status == 400


async def test_a_date_in_full_width_digits_is_the_same_day(his_for, resident_with_card):
    his = await his_for()
    me = await resident_with_card()
    await _long_stay(his, me, "ZYL5", days=1, items_per_day=2)
    wide = TODAY.isoformat().translate({ord(c): 0xFF10 + int(c) for c in "0123456789"})
    r = await me.get(f"/api/v1/inpatient/bills/days/{wide}?{_q(his, me, 'ZYL5')}")
    assert r.status == 200 and r.json["date"] == TODAY.isoformat(), r.json
    arabic = TODAY.isoformat().translate({ord(c): 0x0660 + int(c) for c in "0123456789"})
    r = await me.get(f"/api/v1/inpatient/bills/days/{arabic}?{_q(his, me, 'ZYL5')}")
    assert r.status == 404
