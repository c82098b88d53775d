"""Demo data for the embedded default, seeded on `python -m backend` in dev: two hospitals,
their departments and doctors, and sessions for the coming 10 days. Idempotent."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

from backend import db
from backend.catalog import rules
from backend.catalog.models import Department, Doctor, Hospital, Schedule
from backend.clock import clock
from backend.his import service as his
from backend.his.models import IntakeSecret
from backend.inpatient.demo import seed as seed_inpatient
from backend.outpatient.demo import seed as seed_outpatient
from backend.privacy.crypto import from_settings
from backend.reports.demo import seed as seed_reports

log = logging.getLogger("ehealth.demo")

HOSPITALS = [
    (
        "WHCH",
        "武汉市中心医院",
        "13:00",
        [
            ("NEIKE", "心血管内科", [("D001", "李明", "主任医师", 5000), ("D002", "王芳", "主治医师", 1500)]),
            ("ERKE", "儿科", [("D003", "张伟", "副主任医师", 3000)]),
            ("PIFU", "皮肤科", [("D004", "刘洋", "主治医师", 1500)]),
        ],
    ),
    (
        "WHTJ",
        "同济社区卫生服务中心",
        "08:00",
        [
            ("QUANKE", "全科", [("D101", "陈静", "主治医师", 1000)]),
            ("ZHONGYI", "中医科", [("D102", "杨光", "副主任医师", 2000)]),
        ],
    ),
]
DEMO_HOSPITAL_CODES = [code for code, *_ in HOSPITALS]
PERIODS = [("08:00", "09:00", 12), ("09:00", "10:00", 12), ("14:00", "15:00", 10)]


async def seed(settings) -> None:
    await db.init(settings.database.url)
    try:
        created = 0
        today = clock.today()
        for code, name, release_time, departments in HOSPITALS:
            hospital, _ = await Hospital.get_or_create(
                code=code, defaults={"name": name, "release_time": release_time, "created_at": clock.now()}
            )
            for dcode, dname, doctors in departments:
                dept, _ = await Department.get_or_create(hospital=hospital, code=dcode, defaults={"name": dname})
                for doc_code, doc_name, title, fee in doctors:
                    doctor, _ = await Doctor.get_or_create(
                        hospital=hospital,
                        code=doc_code,
                        defaults={"department": dept, "name": doc_name, "title": title},
                    )
                    for offset in range(0, 11):
                        day = today + timedelta(days=offset)
                        released = rules.release_times(day, hospital.release_time)
                        for start, end, capacity in PERIODS:
                            external_id = f"demo-{doc_code}-{day:%Y%m%d}-{start.replace(':', '')}"
                            _, made = await Schedule.get_or_create(
                                hospital=hospital,
                                external_id=external_id,
                                defaults=dict(
                                    department=dept,
                                    doctor=doctor,
                                    date=day,
                                    start=start,
                                    end=end,
                                    capacity=capacity,
                                    referral_quota=2,
                                    fee_fen=fee,
                                    release_at=released.ordinary,
                                    referral_release_at=released.referral,
                                    created_at=clock.now(),
                                ),
                            )
                            created += made
        log.info("demo data: %s new sessions", created)
        if settings.dev_helpers:  # fixed intake secrets are for dev and test only
            await seed_dev_intake_secrets(settings)
        await seed_inpatient(settings)
        await seed_reports(settings)
        await seed_outpatient(settings)
    finally:
        await db.close()


async def seed_dev_intake_secrets(settings) -> None:
    """Each demo hospital's system signs with `dev-his-<code>` (SPEC, "Hospital systems")."""
    deps = SimpleNamespace(pii=from_settings(settings))
    for hospital in await Hospital.filter(code__in=DEMO_HOSPITAL_CODES):
        if not await IntakeSecret.exists(hospital_id=hospital.id):
            await his.store_secret(deps, hospital_id=hospital.id, secret=his.dev_secret(hospital.code))
