"""Demo reports for the embedded default (dev only), of the README's demo resident 张三 (ID
11010519491231002X) at 武汉市中心医院: a final blood count with one high and one critical
value, a chest CT with its PDF, and a sensitive screening that only the card's owner sees.
Seeded once; a re-run leaves them alone."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

from backend.catalog.models import Hospital
from backend.clock import clock
from backend.privacy.crypto import from_settings
from backend.reports import service
from backend.reports.models import Report
from backend.reports.sample_pdf import one_page_pdf

log = logging.getLogger("ehealth.demo")

DEMO_PATIENT = {"id_number": "11010519491231002X", "name": "张三"}
DEMO_HOSPITAL = "WHCH"
LAB, IMAGING = "lab", "imaging"  # report kinds (backend.reports.rules.KINDS)


def _line(code, loinc, name, value, unit, low, high, flag):
    return {
        "code": code,
        "loinc": loinc,
        "name": name,
        "value": value,
        "unit": unit,
        "reference_range": f"{low}-{high}",
        "reference_low": low,
        "reference_high": high,
        "flag": flag,
    }


def reports(now) -> list[tuple[str, service.Push, list[dict], bytes | None]]:
    blood_at = now - timedelta(hours=3)
    ct_at = now - timedelta(days=1, hours=2)
    screen_at = now - timedelta(days=1, hours=5)
    return [
        (
            "JY20260001",
            service.Push(
                kind=LAB,
                code="58410-2",
                code_system="loinc",
                title="血常规(五分类)",
                department="检验科",
                doctor="李明",
                specimen="静脉血",
                ordered_at=blood_at - timedelta(hours=3),
                collected_at=blood_at - timedelta(hours=2),
                reported_at=blood_at,
                status="final",
                conclusion="白细胞计数偏高；血小板计数 18×10^9/L，低于危急值界限，已电话通知临床。",
                **DEMO_PATIENT,
            ),
            [
                _line("WBC", "6690-2", "白细胞计数", 12.6, "10*9/L", 3.5, 9.5, "high"),
                _line("RBC", "789-8", "红细胞计数", 4.52, "10*12/L", 4.3, 5.8, "normal"),
                _line("HGB", "718-7", "血红蛋白", 138, "g/L", 130, 175, "normal"),
                _line("PLT", "777-3", "血小板计数", 18, "10*9/L", 125, 350, "critical"),
                _line("NEUT_PCT", "770-8", "中性粒细胞百分比", 71.2, "%", 40, 75, "normal"),
            ],
            None,
        ),
        (
            "CT20260001",
            service.Push(
                kind=IMAGING,
                title="胸部CT平扫",
                department="放射科",
                doctor="王芳",
                ordered_at=ct_at - timedelta(hours=4),
                reported_at=ct_at,
                status="final",
                conclusion="双肺纹理清晰，未见明确实质性病变；纵隔未见肿大淋巴结。",
                **DEMO_PATIENT,
            ),
            [{"code": "FINDING", "name": "影像所见", "value": "胸廓对称，双肺纹理清晰，未见实变及结节影。"}],
            one_page_pdf(
                [
                    "Wuhan Central Hospital - Radiology",
                    "Chest CT (plain scan)",
                    "Patient: Zhang * (demo)",
                    "Findings: lungs clear, no consolidation or nodules.",
                    "Impression: no abnormality.",
                ]
            ),
        ),
        (
            "JY20260002",
            service.Push(
                kind=LAB,
                code="75622-1",
                code_system="loinc",
                title="HIV抗原抗体联合检测",
                department="检验科",
                doctor="李明",
                specimen="静脉血",
                collected_at=screen_at - timedelta(hours=6),
                reported_at=screen_at,
                status="final",
                conclusion="阴性。",
                sensitive=True,
                **DEMO_PATIENT,
            ),
            [{"code": "HIVAGAB", "loinc": "75622-1", "name": "HIV抗原抗体", "value": "阴性", "flag": "normal"}],
            None,
        ),
    ]


async def seed(settings) -> None:
    """Called by backend.demo.seed with the database open."""
    hospital = await Hospital.get_or_none(code=DEMO_HOSPITAL)
    if hospital is None:
        return
    deps = SimpleNamespace(pii=from_settings(settings))
    added = 0
    for report_no, push, results, pdf in reports(clock.now()):
        if await Report.exists(hospital_id=hospital.id, report_no=report_no):
            continue
        await service.put_report(deps=deps, hospital=hospital, report_no=report_no, push=push, raw_results=results)
        if pdf is not None:
            await service.put_pdf(hospital=hospital, report_no=report_no, content=pdf)
        added += 1
    log.info("demo reports: %s new", added)
