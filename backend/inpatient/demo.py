"""Demo inpatient data for the embedded default (dev only): an ongoing admission of 张三
(ID 11010519491231002X, the README's demo resident) at 武汉市中心医院, admitted three days ago,
with a realistic day of charges for every day up to today. Re-running adds the days that are
missing, so the stay goes on."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from backend.catalog.models import Hospital
from backend.clock import SHANGHAI, clock, local_datetime
from backend.inpatient import service
from backend.inpatient.models import Admission, BillDay
from backend.inpatient.rules import amount_fen
from backend.privacy.crypto import from_settings

log = logging.getLogger("ehealth.demo")

DEMO_PATIENT = {"id_number": "11010519491231002X", "name": "张三"}
DEMO_HOSPITAL = "WHCH"
DEMO_ADMISSION = "ZY20260001"

# (item_code, name, category, unit, quantity, unit_price_fen)
EVERY_DAY = [
    ("CW001", "床位费(三人间)", "bed", "天", "1", 4500),
    ("HL001", "一级护理", "nursing", "天", "1", 2800),
    ("ZC001", "住院诊查费", "other", "天", "1", 1000),
    ("YP011", "0.9%氯化钠注射液 250ml", "drug", "瓶", "2", 350),
    ("YP021", "注射用头孢呋辛钠 1.5g", "drug", "支", "2", 2860),
    ("YP031", "阿司匹林肠溶片 100mg", "drug", "片", "1", 12),
    ("YP041", "肝素钠封管注射液 12500U", "drug", "支", "0.5", 1525),
    ("ZL001", "静脉输液(第一组)", "treatment", "组", "1", 800),
    ("ZL002", "静脉输液(续组)", "treatment", "组", "1", 300),
    ("CL001", "一次性使用输液器", "material", "套", "2", 450),
]
FIRST_DAY = [
    ("JC001", "胸部CT平扫", "exam", "次", "1", 26000),
    ("JC011", "常规心电图检查(十二导联)", "exam", "次", "1", 2500),
    ("JY001", "血常规(五分类)", "lab", "次", "1", 2000),
    ("JY011", "肝功能(十一项)", "lab", "项", "11", 590),
    ("JY021", "C反应蛋白测定", "lab", "次", "1", 1500),
]
LATER_DAY = [
    ("JY001", "血常规(五分类)", "lab", "次", "1", 2000),
    ("YP051", "盐酸氨溴索口服溶液 100ml", "drug", "ml", "15.5", 9),
]
RETURN = [("YP021", "注射用头孢呋辛钠 1.5g(退药)", "drug", "支", "-1", 2860)]


def _items(rows) -> list[dict]:
    return [
        {
            "item_code": c,
            "name": n,
            "category": cat,
            "unit": u,
            "quantity": q,
            "unit_price_fen": p,
            "amount_fen": amount_fen(Decimal(q), p),
        }
        for c, n, cat, u, q, p in rows
    ]


def day_items(n: int) -> list[dict]:
    """The charges of day n (0 = the day of admission)."""
    rows = list(EVERY_DAY) + (FIRST_DAY if n == 0 else LATER_DAY if n % 2 == 0 else [])
    if n == 2:
        rows += RETURN
    return _items(rows)


async def seed(settings) -> None:
    """Called by backend.demo.seed with the database open."""
    deps = SimpleNamespace(pii=from_settings(settings))
    hospital = await Hospital.get_or_none(code=DEMO_HOSPITAL)
    if hospital is None:
        return
    today = clock.today()
    admission = await Admission.get_or_none(hospital_id=hospital.id, admission_no=DEMO_ADMISSION)
    if admission is None:
        await service.put_admission(
            deps=deps,
            hospital=hospital,
            admission_no=DEMO_ADMISSION,
            ward="心血管内科一病区",
            bed="12",
            admitted_at=local_datetime(today - timedelta(days=3), "09:30"),
            discharged_at=None,
            deposit_fen=300000,
            **DEMO_PATIENT,
        )
        admission = await Admission.get(hospital_id=hospital.id, admission_no=DEMO_ADMISSION)
    if admission.discharged_at is not None:
        return
    first = admission.admitted_at.astimezone(SHANGHAI).date()
    have = set(await BillDay.filter(admission_id=admission.id).values_list("date", flat=True))
    added = 0
    day = first
    while day <= today:
        if day not in have:
            await service.put_day(
                hospital=hospital, admission_no=DEMO_ADMISSION, day=day, raw_items=day_items((day - first).days)
            )
            added += 1
        day += timedelta(days=1)
    log.info("demo inpatient data: admission %s, %s new days", DEMO_ADMISSION, added)
