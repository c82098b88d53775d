"""Residents read the reports of their own and linked cards; the PDF through a signed link."""

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from backend.clock import clock
from backend.reports.models import Report
from backend.reports.sample_pdf import one_page_pdf
from tests.integration.conftest import at
from tests.integration.reports.conftest import PDF, blood_count, imaging
from tests.support import make_id_number

TODAY = date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(at(TODAY, "10:00"))


async def test_the_list_is_newest_first_filtered_by_kind_and_hides_unfinished_reports(reports_his, resident_with_card):
    his, me = await reports_his(), await resident_with_card()
    await his.push_report(
        "L1",
        blood_count(
            me.id_number, reported_at=(clock.now() - timedelta(days=2)).isoformat(), collected_at=None, ordered_at=None
        ),
    )
    await his.push_report("I1", imaging(me.id_number))
    await his.push_report("L2", blood_count(me.id_number, status="preliminary"))
    await his.push_report("L3", blood_count(me.id_number, status="cancelled"))
    await his.push_report("L4", blood_count(make_id_number()))  # someone else's
    listed = (await me.get("/api/v1/reports")).json
    assert [x["title"] for x in listed] == ["胸部CT平扫", "血常规"]
    first = listed[1]
    assert first["card_id"] == me.card_id and first["hospital_name"] == his.hospital["name"]
    assert first["has_critical"] is True and first["has_pdf"] is False and first["kind"] == "lab"
    assert set(first) >= {
        "report_id",
        "hospital_name",
        "kind",
        "title",
        "reported_at",
        "status",
        "has_critical",
        "has_pdf",
    }
    assert [x["title"] for x in (await me.get("/api/v1/reports?kind=lab")).json] == ["血常规"]
    assert [x["title"] for x in (await me.get(f"/api/v1/reports?card_id={me.card_id}&kind=imaging")).json] == [
        "胸部CT平扫"
    ]
    r = await me.get("/api/v1/reports?kind=genome")
    assert r.status == 400
    r = await me.get("/api/v1/reports?card_id=" + "a" * 64)
    assert r.status == 404


async def test_a_report_shows_its_results_with_critical_values_marked(reports_his, resident_with_card):
    his, me = await reports_his(), await resident_with_card()
    await his.push_report("L1", blood_count(me.id_number))
    report_id = (await me.get("/api/v1/reports")).json[0]["report_id"]
    r = await me.get(f"/api/v1/reports/{report_id}")
    assert r.status == 200, r.json
    report = r.json
    assert report["name_masked"] == "张*" and report["doctor"] == "李医生" and report["specimen"] == "静脉血"
    assert [
        (x["name"], x["value"], x["unit"], x["reference_range"], x["flag"], x["critical"]) for x in report["results"]
    ] == [
        ("白细胞计数", "11.2", "10*9/L", "3.5-9.5", "high", False),
        ("血红蛋白", "135", "g/L", "130-175", "normal", False),
        ("血小板计数", "18", "10*9/L", "125-350", "critical", True),
    ]
    assert me.id_number not in r.text
    # opening it counts it delivered, once
    stored = await Report.get(id=report_id)
    assert stored.delivered_at == clock.now() and stored.delivered_on == TODAY
    clock.advance(seconds=60)
    await me.get(f"/api/v1/reports/{report_id}")
    assert (await Report.get(id=report_id)).delivered_at == stored.delivered_at


async def test_someone_elses_report_is_the_same_404_as_a_missing_one(reports_his, resident_with_card):
    his, me, other = await reports_his(), await resident_with_card(), await resident_with_card("李四")
    await his.push_report("L1", blood_count(me.id_number))
    await his.push_report("L2", blood_count(me.id_number, status="preliminary"))
    mine = (await me.get("/api/v1/reports")).json[0]["report_id"]
    hidden = (await Report.get(report_no="L2")).id
    answers = [
        await other.get(f"/api/v1/reports/{mine}"),
        await other.get("/api/v1/reports/999999"),
        await me.get(f"/api/v1/reports/{hidden}"),
        await other.post(f"/api/v1/reports/{mine}/pdf-link"),
    ]
    assert {(r.status, r.json["error"]["code"], r.json["error"]["message"]) for r in answers} == {
        (404, "report_not_found", "no such report")
    }
    assert (await Report.get(id=mine)).delivered_at is None


async def _link(me, report_id) -> dict:
    r = await me.post(f"/api/v1/reports/{report_id}/pdf-link")
    assert r.status == 200, r.json
    return r.json


async def test_the_pdf_link_needs_no_bearer_and_expires_within_5_minutes(reports_his, resident_with_card, client):
    his, me = await reports_his(), await resident_with_card()
    await his.push_report("I1", imaging(me.id_number))
    report_id = (await me.get("/api/v1/reports")).json[0]["report_id"]
    r = await me.post(f"/api/v1/reports/{report_id}/pdf-link")
    assert r.status == 404 and r.json["error"]["code"] == "pdf_not_found"
    await his.push_pdf("I1", PDF)
    link = await _link(me, report_id)
    assert link["expires_at"] == "2026-12-10T10:05:00+08:00" and link["expires_in"] == 300
    assert link["url"].endswith(link["path"]) and link["url"].startswith("http")
    _, r = await client.get(link["path"])  # no Authorization header, as wx.downloadFile sends
    assert r.status == 200 and r.headers["content-type"] == "application/pdf" and r.body == PDF
    assert "inline" in r.headers["content-disposition"] and "no-store" in r.headers["cache-control"]
    clock.advance(seconds=300)
    assert (await client.get(link["path"]))[1].status == 200
    clock.advance(seconds=1)
    _, r = await client.get(link["path"])
    assert r.status == 404 and r.json["error"]["code"] == "pdf_link_invalid"


async def test_a_tampered_link_is_refused(reports_his, resident_with_card, client):
    his, me = await reports_his(), await resident_with_card()
    await his.push_report("I1", imaging(me.id_number))
    await his.push_report("I2", imaging(me.id_number, title="腹部B超"))
    await his.push_pdf("I1", PDF)
    await his.push_pdf("I2", one_page_pdf(["Ultrasound"]))
    ids = {x["title"]: x["report_id"] for x in (await me.get("/api/v1/reports")).json}
    link = await _link(me, ids["胸部CT平扫"])
    query = parse_qs(urlsplit(link["path"]).query)
    expires, signature = int(query["expires"][0]), query["signature"][0]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    for path in (
        f"/api/v1/reports/{ids['腹部B超']}/pdf?expires={expires}&signature={signature}",  # another report
        f"/api/v1/reports/{ids['胸部CT平扫']}/pdf?expires={expires + 3600}&signature={signature}",  # longer life
        f"/api/v1/reports/{ids['胸部CT平扫']}/pdf?expires={expires}&signature={flipped}",
        f"/api/v1/reports/{ids['胸部CT平扫']}/pdf?expires={expires}",
    ):
        _, r = await client.get(path)
        assert r.status in (400, 404), path
        assert r.body != PDF
    # a PDF replaced since ends the links made for the old one
    assert (await client.get(link["path"]))[1].status == 200
    await his.push_pdf("I1", one_page_pdf(["Chest CT", "Addendum"]))
    assert (await client.get(link["path"]))[1].status == 404
    # and a report the hospital cancelled is no longer served
    fresh = await _link(me, ids["腹部B超"])
    await his.push_report("I2", imaging(me.id_number, title="腹部B超", status="cancelled"))
    assert (await client.get(fresh["path"]))[1].status == 404


async def test_a_sensitive_report_is_the_owners_alone_unless_the_card_has_no_owner(
    reports_his, resident_with_card, login
):
    his, owner = await reports_his(), await resident_with_card()
    family = await login()
    clock.advance(seconds=61)
    r = await family.add_member(name="张三", id_number=owner.id_number, phone=owner.phone, relation="parent")
    assert r.status == 201, r.json
    child_id = make_id_number(born=date(2018, 5, 1))
    clock.advance(seconds=61)
    r = await family.add_member(name="张小宝", id_number=child_id, phone=owner.phone, relation="child")
    assert r.status == 201, r.json
    child_card = r.json["card"]["card_id"]
    await his.push_report("P1", imaging(owner.id_number, kind="pathology", title="病理报告", sensitive=True))
    await his.push_report("L1", blood_count(owner.id_number))
    await his.push_report("P2", imaging(child_id, name="张小宝", kind="pathology", title="儿童病理", sensitive=True))
    await his.push_pdf("P1", PDF)
    owners = {x["title"]: x for x in (await owner.get("/api/v1/reports")).json}
    assert set(owners) == {"病理报告", "血常规"} and owners["病理报告"]["sensitive"] is True
    seen_by_family = {x["title"] for x in (await family.get("/api/v1/reports")).json}
    assert seen_by_family == {"血常规", "儿童病理"}
    sensitive_id = owners["病理报告"]["report_id"]
    for r in (
        await family.get(f"/api/v1/reports/{sensitive_id}"),
        await family.post(f"/api/v1/reports/{sensitive_id}/pdf-link"),
    ):
        assert r.status == 404 and r.json["error"]["code"] == "report_not_found"
    assert (await owner.get(f"/api/v1/reports/{sensitive_id}")).status == 200
    assert (await owner.post(f"/api/v1/reports/{sensitive_id}/pdf-link")).status == 200
    child_reports = (await family.get(f"/api/v1/reports?card_id={child_card}")).json
    assert [x["title"] for x in child_reports] == ["儿童病理"]
    assert (await family.get(f"/api/v1/reports/{child_reports[0]['report_id']}")).status == 200
