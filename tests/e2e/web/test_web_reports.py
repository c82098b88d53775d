"""Browser test of reports: a hospital pushes a blood count and a CT with its PDF; the resident
sees the list, the results table with the critical value standing out, and opens the PDF
through its signed link."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets

import httpx
from playwright.sync_api import expect

from backend.reports.sample_pdf import one_page_pdf
from backend.staff.rules import canonical, signature
from tests.support import make_id_number, make_phone

ADMIN = {"Authorization": "Bearer dev-admin-token"}


def _his(api, path: str, raw: bytes, content_type: str, secret: str):
    now = int(dt.datetime.fromisoformat(api.get("/dev/clock").json()["now"]).timestamp())
    nonce = secrets.token_hex(16)
    headers = {
        "X-Timestamp": str(now),
        "X-Nonce": nonce,
        "Content-Type": content_type,
        "X-Signature": signature(secret, canonical("PUT", "/api/v1" + path, str(now), nonce, raw)),
    }
    response = api.put(path, content=raw, headers=headers)
    assert response.status_code in (200, 201, 204), response.text


def test_reports_list_detail_and_pdf(web_server, api, launch, watch):
    hospital = api.get("/hospitals").json()[0]
    secret = api.post(f"/admin/hospitals/{hospital['id']}/intake-secret", headers=ADMIN).json()["secret"]
    id_number = make_id_number(born=dt.date(1975, 3, 3))
    now = dt.datetime.fromisoformat(api.get("/dev/clock").json()["now"])
    blood = {
        "id_number": id_number,
        "name": "赵敏",
        "kind": "lab",
        "code": "58410-2",
        "code_system": "loinc",
        "title": "血常规",
        "department": "检验科",
        "doctor": "李医生",
        "specimen": "静脉血",
        "collected_at": (now - dt.timedelta(hours=3)).isoformat(),
        "reported_at": (now - dt.timedelta(hours=1)).isoformat(),
        "status": "final",
        "conclusion": "血小板危急值，已通知临床。",
        "results": [
            {
                "code": "WBC",
                "name": "白细胞计数",
                "value": 11.2,
                "unit": "10*9/L",
                "reference_range": "3.5-9.5",
                "flag": "high",
            },
            {
                "code": "HGB",
                "name": "血红蛋白",
                "value": 135,
                "unit": "g/L",
                "reference_range": "130-175",
                "flag": "normal",
            },
            {
                "code": "PLT",
                "name": "血小板计数",
                "value": 18,
                "unit": "10*9/L",
                "reference_range": "125-350",
                "flag": "critical",
            },
        ],
    }
    ct = {
        "id_number": id_number,
        "name": "赵敏",
        "kind": "imaging",
        "title": "胸部CT平扫",
        "department": "放射科",
        "doctor": "王医生",
        "reported_at": (now - dt.timedelta(hours=5)).isoformat(),
        "status": "final",
        "conclusion": "双肺未见明显异常。",
        "results": [],
    }
    code = hospital["code"]
    suffix = secrets.token_hex(3).upper()
    _his(api, f"/his/{code}/reports/L{suffix}", json.dumps(blood).encode(), "application/json", secret)
    _his(api, f"/his/{code}/reports/C{suffix}", json.dumps(ct).encode(), "application/json", secret)
    pdf = one_page_pdf(["Chest CT", "No abnormality"])
    _his(api, f"/his/{code}/reports/C{suffix}/pdf", pdf, "application/pdf", secret)

    context = launch().new_context(base_url=web_server, viewport={"width": 390, "height": 844}, locale="zh-CN")
    w = watch(context.new_page(), "reports")
    page = w.page
    page.goto("/login")
    page.fill("input[name=wx-user]", "reportpatient")
    page.get_by_role("button", name="微信一键登录").click()
    page.get_by_role("link", name="实名领卡").click()
    page.fill("input[name=name]", "赵敏")
    page.fill("input[name=id_number]", id_number)
    page.fill("input[name=phone]", make_phone())
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_text("已自动填入").wait_for()
    page.get_by_role("button", name="领取电子健康卡").click()
    page.wait_for_url(re.compile(r"/cards/[0-9a-f]{64}$"))
    page.goto("/")
    page.get_by_role("link", name=re.compile("报告查询")).click()
    w.wait(page.get_by_test_id("reports"))
    items = page.locator(".report")
    assert items.count() == 2
    assert "危急值" in items.nth(0).inner_text() and "血常规" in items.nth(0).inner_text()
    w.shot("reports-list")
    page.locator("[data-kind=imaging]").click()
    expect(page.locator(".report")).to_have_count(1)
    assert "胸部CT平扫" in page.locator(".report").inner_text()
    page.locator("[data-kind=all]").click()
    expect(page.locator(".report")).to_have_count(2)

    page.locator(".report").nth(0).click()
    w.wait(page.get_by_test_id("results"))
    assert "1 项危急值" in page.get_by_test_id("critical-banner").inner_text()
    critical = page.locator("tr.critical")
    assert critical.count() == 1 and "血小板计数" in critical.inner_text() and "危急值" in critical.inner_text()
    assert page.locator("tr.abnormal").count() == 1 and "↑" in page.locator("tr.abnormal").inner_text()
    assert (
        page.locator("tr.critical td").first.evaluate("e => getComputedStyle(e).backgroundColor")
        == "rgb(253, 236, 236)"
    )
    w.shot("report-blood-count")

    page.go_back()
    w.wait(page.get_by_test_id("reports"))
    page.locator(".report", has_text="胸部CT平扫").click()
    w.wait(page.get_by_test_id("open-pdf"))
    w.shot("report-ct")
    with context.expect_page() as opened:
        page.get_by_test_id("open-pdf").click()
    popup = opened.value
    popup.wait_for_url(re.compile(r"/pdf\?"), wait_until="commit")
    url = popup.url
    assert re.search(r"/api/v1/reports/\d+/pdf\?expires=\d+&signature=[0-9a-f]{64}$", url), url
    # the link works in a browser with no bearer: what the tab fetched
    fetched = httpx.get(url)
    assert (
        fetched.status_code == 200 and fetched.headers["content-type"] == "application/pdf" and fetched.content == pdf
    )
    tampered = httpx.get(url[:-1] + ("0" if url[-1] != "0" else "1"))
    assert tampered.status_code == 404
    popup.close()
    w.assert_clean()
