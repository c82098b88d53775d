"""The console counts reports received and delivered per hospital and day."""

from datetime import date

from backend.clock import clock
from tests.integration.conftest import at
from tests.integration.reports.conftest import blood_count, imaging
from tests.support import make_id_number


async def test_reports_received_and_delivered_per_hospital_and_day(catalog, reports_his, resident_with_card):
    clock.freeze(at(date(2026, 12, 10), "10:00"))
    x, y, me = await reports_his(), await reports_his(), await resident_with_card()
    await x.push_report("L1", blood_count(me.id_number))
    await x.push_report("L2", blood_count(make_id_number()))
    await y.push_report("I1", imaging(me.id_number))
    ids = {r["title"]: r["report_id"] for r in (await me.get("/api/v1/reports")).json}
    clock.freeze(at(date(2026, 12, 11), "09:00"))
    await x.push_report("L1", blood_count(me.id_number, conclusion="更正"))  # a replacement is not a new report
    assert (await me.get(f"/api/v1/reports/{ids['血常规']}")).status == 200
    r = await catalog.admin("GET", f"/admin/figures?hospital_id={x.hospital['id']}&from=2026-12-01&to=2026-12-31")
    assert r.status == 200, r.json
    assert r.json["reports"] == {
        "received": 2,
        "delivered": 1,
        "per_hospital_day": [
            {"hospital_id": x.hospital["id"], "date": "2026-12-10", "received": 2, "delivered": 0},
            {"hospital_id": x.hospital["id"], "date": "2026-12-11", "received": 0, "delivered": 1},
        ],
    }
    region = (await catalog.admin("GET", "/admin/figures?from=2026-12-10&to=2026-12-10")).json["reports"]
    assert region["received"] >= 3 and {r["hospital_id"] for r in region["per_hospital_day"]} >= {
        x.hospital["id"],
        y.hospital["id"],
    }
