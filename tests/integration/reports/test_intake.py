"""Hospital systems push reports (all or nothing, replaced when pushed again) and their PDFs."""

import json
from datetime import date

import pytest

from backend.clock import clock
from backend.notifications.models import Notification
from backend.reports.models import Report, ReportPdf, ReportResult
from backend.reports.rules import MAX_PDF_BYTES
from backend.reports.sample_pdf import one_page_pdf, pdf_of_size
from tests.integration.conftest import at
from tests.integration.reports.conftest import PDF, blood_count, imaging
from tests.support import make_id_number

TODAY = date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(at(TODAY, "10:00"))


async def test_a_report_is_created_then_replaced_and_the_resident_sees_it_amended(reports_his, resident_with_card):
    his, me = await reports_his(), await resident_with_card()
    r = await his.push_report("LAB001", blood_count(me.id_number))
    assert r.status == 201, r.json
    assert r.json["version"] == 1 and r.json["status"] == "final" and r.json["has_critical"] is True
    assert r.json["result_count"] == 3 and r.json["amended_at"] is None
    listed = (await me.get("/api/v1/reports")).json
    assert [x["status"] for x in listed] == ["final"] and listed[0]["amended_at"] is None
    clock.advance(seconds=600)
    fixed = blood_count(me.id_number, results=blood_count(me.id_number)["results"][:2], conclusion="复核后更正")
    r = await his.push_report("LAB001", fixed)
    assert r.status == 200, r.json
    assert r.json["version"] == 2 and r.json["status"] == "amended" and r.json["has_critical"] is False
    assert r.json["amended_at"] == "2026-12-10T10:10:00+08:00"
    report = (await me.get(f"/api/v1/reports/{listed[0]['report_id']}")).json
    assert report["status"] == "amended" and report["amended_at"] == "2026-12-10T10:10:00+08:00"
    assert report["conclusion"] == "复核后更正" and len(report["results"]) == 2
    assert await Report.all().count() == 1 and await ReportResult.all().count() == 2


async def test_a_preliminary_report_made_final_is_final_not_amended(reports_his, resident_with_card):
    his, me = await reports_his(), await resident_with_card()
    assert (await his.push_report("LAB002", blood_count(me.id_number, status="preliminary"))).status == 201
    assert (await me.get("/api/v1/reports")).json == []
    r = await his.push_report("LAB002", blood_count(me.id_number))
    assert r.status == 200 and r.json["status"] == "final" and r.json["amended_at"] is None
    assert [x["status"] for x in (await me.get("/api/v1/reports")).json] == ["final"]


async def test_identity_is_encrypted_and_bad_reports_are_refused_whole(reports_his):
    his = await reports_his()
    id_number = make_id_number()
    assert (await his.push_report("LAB003", blood_count(id_number, name="李小明"))).status == 201
    stored = await Report.get(report_no="LAB003").values()
    assert id_number not in json.dumps(stored, default=str) and "李小明" not in json.dumps(stored, default=str)
    bad = id_number[:-1] + ("0" if id_number[-1] != "0" else "1")
    r = await his.push_report("LAB004", blood_count(bad))
    assert r.status == 400 and r.json["error"]["code"] == "invalid_id_number"
    r = await his.push_report("LAB004", blood_count(id_number, kind="genome"))
    assert r.status == 400 and r.json["error"]["fields"][0]["field"] == "kind"
    r = await his.push_report("LAB004", blood_count(id_number, reported_at="2026-12-10T12:00:00+08:00"))
    assert r.status == 400 and r.json["error"]["code"] == "invalid_report"
    r = await his.push_report("LAB004", blood_count(id_number, collected_at="2026-12-10T09:30:00+08:00"))
    assert r.status == 400 and r.json["error"]["fields"][0]["field"] == "reported_at"
    r = await his.push_report("LAB004", blood_count(id_number, code="CBC", code_system="loinc"))
    assert r.status == 400
    r = await his.push_report("X" * 33, blood_count(id_number))
    assert r.status == 404
    assert not await Report.filter(report_no="LAB004").exists()


async def test_one_bad_line_refuses_the_push_and_every_bad_line_is_reported(reports_his):
    his = await reports_his()
    id_number = make_id_number()
    assert (await his.push_report("LAB010", blood_count(id_number))).status == 201
    good = blood_count(id_number)["results"]
    lines = [
        good[0],
        {**good[1], "flag": "panic"},
        {**good[1], "value": None},
        {**good[1], "loinc": "7187"},
        good[2],
        {**good[0], "value": "1e400" and 1e400},
        {**good[0], "reference_low": 10, "reference_high": 1},
        {**good[0], "color": "red"},
        "not a line",
    ]
    r = await his.push_report("LAB010", blood_count(id_number, results=lines, conclusion="不应写入"))
    assert r.status == 422, r.json
    assert r.json["error"]["code"] == "invalid_results"
    assert [(i["index"], i["field"]) for i in r.json["error"]["items"]] == [
        (1, "flag"),
        (2, "value"),
        (3, "loinc"),
        (5, "value"),
        (6, "reference_high"),
        (7, "color"),
        (8, "result"),
    ]
    report = await Report.get(report_no="LAB010")
    assert report.version == 1 and report.conclusion != "不应写入"
    assert await ReportResult.filter(report_id=report.id).count() == 3


async def test_the_pdf_is_checked_stored_and_replaced(reports_his):
    his = await reports_his()
    assert (await his.push_report("IMG001", imaging(make_id_number()))).status == 201
    r = await his.push_pdf("IMG001", PDF)
    assert r.status == 204, r.text
    pdf = await ReportPdf.get(report__report_no="IMG001")
    assert bytes(pdf.content) == PDF and pdf.size == len(PDF)
    newer = one_page_pdf(["Chest CT", "Addendum"])
    assert (await his.push_pdf("IMG001", newer)).status == 204
    assert bytes((await ReportPdf.get(report__report_no="IMG001")).content) == newer
    assert await ReportPdf.all().count() == 1
    # the largest PDF allowed is taken; one byte more is not, nor a body that is not a PDF
    largest, too_large = pdf_of_size(MAX_PDF_BYTES), pdf_of_size(MAX_PDF_BYTES + 1)
    assert (await his.push_pdf("IMG001", largest)).status == 204
    r = await his.push_pdf("IMG001", too_large)
    assert r.status == 413 and r.json["error"]["code"] == "pdf_too_large"
    r = await his.push_pdf("IMG001", b"PK\x03\x04 a zip file, not a PDF")
    assert r.status == 422 and r.json["error"]["code"] == "invalid_pdf"
    r = await his.push_pdf("IMG001", PDF[: len(PDF) // 2])
    assert r.status == 422 and r.json["error"]["code"] == "invalid_pdf"
    r = await his.push_pdf("IMG001", PDF, content_type="image/png")
    assert r.status == 415
    r = await his.push_pdf("IMG999", PDF)
    assert r.status == 404 and r.json["error"]["code"] == "report_not_found"
    r = await his.push_pdf("IMG001", PDF, **{"X-Signature": "0" * 64})
    assert r.status == 401
    assert bytes((await ReportPdf.get(report__report_no="IMG001")).content) == largest


async def test_a_replaced_report_drops_its_pdf_until_the_new_one_comes(reports_his, resident_with_card):
    his, me = await reports_his(), await resident_with_card()
    await his.push_report("IMG002", imaging(me.id_number))
    await his.push_pdf("IMG002", PDF)
    assert (await me.get("/api/v1/reports")).json[0]["has_pdf"] is True
    await his.push_report("IMG002", imaging(me.id_number, conclusion="更正"))
    assert (await me.get("/api/v1/reports")).json[0]["has_pdf"] is False


async def test_another_hospital_cannot_reach_the_report(reports_his):
    x, y = await reports_his(), await reports_his()
    assert (await x.push_report("LAB020", blood_count(make_id_number()))).status == 201
    r = await y.push_pdf("LAB020", PDF)
    assert r.status == 404
    r = await y.request("PUT", x.path("/reports/LAB020"), blood_count(make_id_number()))
    assert r.status == 401


async def test_a_visible_report_is_announced_to_the_accounts_allowed_to_see_it(reports_his, resident_with_card, login):
    his, me = await reports_his(), await resident_with_card()
    family = await login()
    clock.advance(seconds=61)
    r = await family.add_member(name="张三", id_number=me.id_number, phone=me.phone, relation="parent")
    assert r.status == 201, r.json
    await his.push_report("LAB030", blood_count(me.id_number, status="preliminary"))
    assert not await Notification.filter(kind="report_ready").exists()
    await his.push_report("LAB030", blood_count(me.id_number))
    notes = await Notification.filter(kind="report_ready").order_by("account_id")
    assert sorted(n.account_id for n in notes) == sorted([me.account_id, family.account_id])
    payload = notes[0].payload
    assert payload["card_id"] == me.card_id and payload["critical"] is True and payload["title"] == "血常规"
    assert payload["hospital"] == his.hospital["name"] and isinstance(payload["report_id"], int)
    # a sensitive report: the card's owner alone
    await his.push_report("PAT001", imaging(me.id_number, kind="pathology", title="病理报告", sensitive=True))
    sensitive = [n for n in await Notification.filter(kind="report_ready") if n.payload["title"] == "病理报告"]
    assert [n.account_id for n in sensitive] == [me.account_id]
