"""The demo resident's reports: a blood count with a high and a critical value, a CT with its PDF,
and a sensitive screening; seeded once."""

from datetime import date

from backend.clock import clock
from backend.reports import demo
from backend.reports.models import Report
from tests.integration.conftest import at
from tests.support import make_phone


async def test_the_demo_patient_has_the_three_reports(catalog, login, deps):
    clock.freeze(at(date(2026, 12, 10), "10:00"))
    r = await catalog.admin("POST", "/admin/hospitals", {"code": demo.DEMO_HOSPITAL, "name": "武汉市中心医院"})
    assert r.status == 201, r.json
    await demo.seed(deps.settings)
    await demo.seed(deps.settings)  # a re-run adds nothing
    assert await Report.all().count() == 3
    me = await login()
    r = await me.claim(name="张三", id_number=demo.DEMO_PATIENT["id_number"], phone=make_phone())
    assert r.status == 201, r.json
    listed = {x["title"]: x for x in (await me.get("/api/v1/reports")).json}
    assert set(listed) == {"血常规(五分类)", "胸部CT平扫", "HIV抗原抗体联合检测"}
    assert listed["胸部CT平扫"]["has_pdf"] and listed["HIV抗原抗体联合检测"]["sensitive"]
    blood = (await me.get(f"/api/v1/reports/{listed['血常规(五分类)']['report_id']}")).json
    assert sorted(x["flag"] for x in blood["results"] if x["flag"] != "normal") == ["critical", "high"]
    link = (await me.post(f"/api/v1/reports/{listed['胸部CT平扫']['report_id']}/pdf-link")).json
    _, pdf = await me.client.get(link["path"])
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF-")
