"""A hospital system pushing reports and PDFs, and report bodies to push."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.clock import clock
from backend.reports.sample_pdf import one_page_pdf
from tests.integration.inpatient.conftest import HospitalSystem


class ReportSystem(HospitalSystem):
    async def push_report(self, report_no: str, payload: dict):
        return await self.request("PUT", self.path(f"/reports/{report_no}"), payload)

    async def push_pdf(self, report_no: str, content: bytes, *, content_type: str = "application/pdf", **overrides):
        path = self.path(f"/reports/{report_no}/pdf")
        headers = {**self.headers("PUT", path, content, **overrides), "Content-Type": content_type}
        _, r = await self.client.request("PUT", path, content=content, headers=headers)
        return r


def blood_count(id_number: str, **changes) -> dict:
    """A final blood count with one high and one critical value (the hospital's LOINC codes)."""
    reported = clock.now() - timedelta(hours=1)
    body = {
        "id_number": id_number,
        "name": "张三",
        "kind": "lab",
        "code": "58410-2",
        "code_system": "loinc",
        "title": "血常规",
        "department": "检验科",
        "doctor": "李医生",
        "specimen": "静脉血",
        "ordered_at": (reported - timedelta(hours=3)).isoformat(),
        "collected_at": (reported - timedelta(hours=2)).isoformat(),
        "reported_at": reported.isoformat(),
        "status": "final",
        "conclusion": "白细胞升高，血小板危急值",
        "results": [
            {
                "code": "WBC",
                "loinc": "6690-2",
                "name": "白细胞计数",
                "value": 11.2,
                "unit": "10*9/L",
                "reference_range": "3.5-9.5",
                "reference_low": 3.5,
                "reference_high": 9.5,
                "flag": "high",
            },
            {
                "code": "HGB",
                "loinc": "718-7",
                "name": "血红蛋白",
                "value": "135",
                "unit": "g/L",
                "reference_range": "130-175",
                "flag": "normal",
            },
            {
                "code": "PLT",
                "loinc": "777-3",
                "name": "血小板计数",
                "value": 18,
                "unit": "10*9/L",
                "reference_range": "125-350",
                "reference_low": 125,
                "reference_high": 350,
                "flag": "critical",
            },
        ],
    }
    body.update(changes)
    return body


def imaging(id_number: str, **changes) -> dict:
    reported = clock.now() - timedelta(hours=2)
    body = {
        "id_number": id_number,
        "name": "张三",
        "kind": "imaging",
        "title": "胸部CT平扫",
        "department": "放射科",
        "doctor": "王医生",
        "reported_at": reported.isoformat(),
        "status": "final",
        "conclusion": "双肺未见明显异常。",
        "results": [{"code": "FINDING", "name": "影像所见", "value": "双肺纹理清晰，未见实质性病变。"}],
    }
    body.update(changes)
    return body


PDF = one_page_pdf(["Chest CT", "No abnormality"])


@pytest.fixture
def reports_his(catalog):
    async def make(hospital: dict | None = None) -> ReportSystem:
        hospital = hospital or await catalog.hospital()
        r = await catalog.admin("POST", f"/admin/hospitals/{hospital['id']}/intake-secret")
        assert r.status == 201, r.json
        return ReportSystem(catalog.client, hospital, r.json["secret"])

    return make
