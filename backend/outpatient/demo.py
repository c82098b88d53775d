"""Demo outpatient charges for the embedded default (dev only): today's visit of 张三 (the README's
demo resident) at 武汉市中心医院 left three unpaid charges, a prescription, a lab order and an
insurance (医保) one, so the charges page has something to pay at once. One visit per day:
re-running on another day adds that day's visit, and never touches a charge already pushed."""

from __future__ import annotations

import logging
from decimal import Decimal
from types import SimpleNamespace

from backend.catalog.models import Hospital
from backend.clock import clock, local_datetime
from backend.inpatient.demo import DEMO_HOSPITAL, DEMO_PATIENT
from backend.inpatient.rules import amount_fen
from backend.outpatient import service
from backend.outpatient.models import Charge
from backend.privacy.crypto import from_settings

log = logging.getLogger("ehealth.demo")

# (suffix, department, doctor, insurance, pay_group, items: (code, name, category, unit, quantity, unit price))
CHARGES = [
    (
        "01",
        "呼吸内科",
        "李建国",
        False,
        None,
        [
            ("YP101", "阿莫西林胶囊 0.25g*24粒", "drug", "盒", "2", 1850),
            ("YP102", "复方甘草口服溶液 100ml", "drug", "瓶", "1", 960),
            ("YP103", "布洛芬缓释胶囊 0.3g*20粒", "drug", "盒", "1", 1580),
        ],
    ),
    (
        "02",
        "呼吸内科",
        "李建国",
        False,
        None,
        [
            ("JY001", "血常规(五分类)", "lab", "次", "1", 2000),
            ("JY021", "C反应蛋白测定", "lab", "次", "1", 1500),
            ("CL011", "一次性采血针", "material", "支", "1", 120),
        ],
    ),
    (
        "03",
        "呼吸内科",
        "李建国",
        True,
        None,
        [("JC001", "胸部CT平扫", "exam", "次", "1", 26000)],
    ),
]


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


async def seed(settings) -> None:
    """Called by backend.demo.seed with the database open."""
    deps = SimpleNamespace(pii=from_settings(settings))
    hospital = await Hospital.get_or_none(code=DEMO_HOSPITAL)
    if hospital is None:
        return
    today = clock.today()
    visit = f"MZ{today:%Y%m%d}"
    added = 0
    for suffix, department, doctor, insurance, pay_group, rows in CHARGES:
        charge_no = f"{visit}{suffix}"
        if await Charge.exists(hospital_id=hospital.id, charge_no=charge_no):
            continue
        items = _items(rows)
        await service.put_charge(
            deps=deps,
            hospital=hospital,
            charge_no=charge_no,
            department=department,
            doctor=doctor,
            ordered_at=local_datetime(today, "09:10"),
            raw_items=items,
            total_fen=sum(i["amount_fen"] for i in items),
            pay_group=pay_group,
            insurance=insurance,
            visit_no=visit,
            **DEMO_PATIENT,
        )
        added += 1
    log.info("demo outpatient charges: visit %s, %s new charges", visit, added)
