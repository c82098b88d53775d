"""Hospitals, departments, doctors and schedules: operator set-up and resident browsing."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.catalog import rules
from backend.catalog.models import Department, Doctor, Hospital, Schedule
from backend.clock import clock, iso, local_datetime
from backend.errors import BadRequest, Conflict, NotFound

log = logging.getLogger("ehealth.catalog")


def _invalid(exc: rules.InvalidSchedule, *, prefix: str = "") -> BadRequest:
    field = f"{prefix}{exc.field}"
    return BadRequest(f"{field}: {exc}", code="invalid_schedule", fields=[{"field": field, "message": str(exc)}])


def hospital_view(h: Hospital) -> dict:
    return {"id": h.id, "code": h.code, "name": h.name, "release_time": h.release_time, "status": h.status}


def department_view(d: Department) -> dict:
    return {"id": d.id, "hospital_id": d.hospital_id, "code": d.code, "name": d.name}


def doctor_view(d: Doctor) -> dict:
    return {"id": d.id, "code": d.code, "name": d.name, "title": d.title, "department_id": d.department_id}


def schedule_view(s: Schedule, *, remaining: int, status: str | None = None) -> dict:
    return {
        "id": s.id,
        "hospital_id": s.hospital_id,
        "department_id": s.department_id,
        "doctor": {"id": s.doctor.id, "name": s.doctor.name, "title": s.doctor.title},
        "date": s.date.isoformat(),
        "start": s.start,
        "end": s.end,
        "capacity": s.capacity,
        "referral_quota": s.referral_quota,
        "remaining": remaining,
        "fee_fen": s.fee_fen,
        "release_at": iso(s.release_at),
        "referral_release_at": iso(s.referral_release_at),
        "status": status or s.status,
    }


# --- operators -----------------------------------------------------------------------------------

async def create_hospital(*, code: str, name: str, release_time: str = "13:00") -> dict:
    try:
        rules.validate_release_time(release_time)
    except rules.InvalidSchedule as exc:
        raise _invalid(exc) from None
    try:
        hospital = await Hospital.create(code=code, name=name, release_time=release_time, created_at=clock.now())
    except IntegrityError:
        raise Conflict("a hospital with this code exists", code="duplicate") from None
    return hospital_view(hospital)


async def update_hospital(*, hospital_id: int, name: str | None, release_time: str | None) -> dict:
    hospital = await _hospital(hospital_id)
    if release_time is not None:
        try:
            hospital.release_time = rules.validate_release_time(release_time)
        except rules.InvalidSchedule as exc:
            raise _invalid(exc) from None
    if name is not None:
        hospital.name = name
    await hospital.save()
    return hospital_view(hospital)


async def create_department(*, hospital_id: int, code: str, name: str) -> dict:
    await _hospital(hospital_id)
    try:
        dept = await Department.create(hospital_id=hospital_id, code=code, name=name)
    except IntegrityError:
        raise Conflict("a department with this code exists in this hospital", code="duplicate") from None
    return department_view(dept)


async def create_doctor(*, hospital_id: int, code: str, name: str, title: str, department_code: str) -> dict:
    await _hospital(hospital_id)
    dept = await Department.get_or_none(hospital_id=hospital_id, code=department_code)
    if dept is None:
        raise NotFound("no such department in this hospital", code="department_not_found")
    try:
        doctor = await Doctor.create(hospital_id=hospital_id, department_id=dept.id, code=code, name=name, title=title)
    except IntegrityError:
        raise Conflict("a doctor with this code exists in this hospital", code="duplicate") from None
    return doctor_view(doctor)


async def import_schedules(*, deps, hospital_id: int, items: list) -> dict:
    """Bulk import (JSON from the operator console or a HIS). All or nothing: every item is
    checked first and a single bad one rejects the batch. `external_id` makes re-imports
    idempotent: an identical item is left as it is, a changed one is refused once slots exist."""
    hospital = await _hospital(hospital_id)
    departments = {d.code: d for d in await Department.filter(hospital_id=hospital_id)}
    doctors = {d.code: d for d in await Doctor.filter(hospital_id=hospital_id)}
    today = clock.today()
    planned = []
    for i, item in enumerate(items):
        prefix = f"schedules.{i}."
        dept = departments.get(item.department_code)
        if dept is None:
            raise BadRequest(f"{prefix}department_code: no such department", code="invalid_schedule")
        doctor = doctors.get(item.doctor_code)
        if doctor is None or doctor.department_id != dept.id:
            raise BadRequest(f"{prefix}doctor_code: no such doctor in that department", code="invalid_schedule")
        try:
            rules.validate_period(item.start, item.end)
            rules.validate_stock(capacity=item.capacity, referral_quota=item.referral_quota, fee_fen=item.fee_fen)
        except rules.InvalidSchedule as exc:
            raise _invalid(exc, prefix=prefix) from None
        if item.date < today:
            raise BadRequest(f"{prefix}date: is in the past", code="invalid_schedule")
        planned.append((item, dept, doctor, rules.release_times(item.date, hospital.release_time)))

    created, unchanged, ids = 0, 0, []
    async with in_transaction() as conn:
        for item, dept, doctor, released in planned:
            existing = None
            if item.external_id:
                existing = await Schedule.get_or_none(hospital_id=hospital_id, external_id=item.external_id).using_db(conn)
            fields = dict(
                department_id=dept.id, doctor_id=doctor.id, date=item.date, start=item.start, end=item.end,
                capacity=item.capacity, referral_quota=item.referral_quota, fee_fen=item.fee_fen,
            )
            if existing is not None:
                same = all(getattr(existing, k) == v for k, v in fields.items())
                if not same:
                    raise Conflict(
                        f"schedule {item.external_id} exists with other values; suspend it and import a new one",
                        code="schedule_conflict",
                    )
                unchanged += 1
                ids.append(existing.id)
                continue
            schedule = await Schedule.create(
                hospital_id=hospital_id, external_id=item.external_id, release_at=released.ordinary,
                referral_release_at=released.referral, created_at=clock.now(), using_db=conn, **fields,
            )
            created += 1
            ids.append(schedule.id)
    await deps.stock.schedules_changed(deps, await Schedule.filter(id__in=ids))
    log.info("imported schedules hospital=%s created=%s unchanged=%s", hospital_id, created, unchanged)
    return {"created": created, "unchanged": unchanged, "schedule_ids": ids}


# --- residents -----------------------------------------------------------------------------------

async def list_hospitals() -> list[dict]:
    return [hospital_view(h) for h in await Hospital.filter(status="active").order_by("id")]


async def list_departments(*, hospital_id: int) -> list[dict]:
    await _hospital(hospital_id)
    return [department_view(d) for d in await Department.filter(hospital_id=hospital_id, status="active").order_by("id")]


async def list_schedules(*, deps, department_id: int, day: date | None, account_id: int | None = None) -> list[dict]:
    if not await Department.exists(id=department_id):
        raise NotFound("no such department", code="department_not_found")
    query = Schedule.filter(department_id=department_id)
    if day is not None:
        query = query.filter(date=day)
    else:
        today = clock.today()
        query = query.filter(date__gte=today, date__lte=today + timedelta(days=10))
    schedules = await query.order_by("date", "start", "id").select_related("doctor")
    return await _with_remaining(deps, schedules, account_id=account_id)


async def get_schedule(*, deps, schedule_id: int, account_id: int | None = None) -> dict:
    schedule = await Schedule.get_or_none(id=schedule_id).select_related("doctor")
    if schedule is None:
        raise NotFound("no such schedule", code="schedule_not_found")
    return (await _with_remaining(deps, [schedule], account_id=account_id))[0]


async def _with_remaining(deps, schedules: list[Schedule], *, account_id: int | None = None) -> list[dict]:
    """Views with live remaining slots and the status as this caller sees it (a resident with a
    referral sees referral slots open before the ordinary release)."""
    if not schedules:
        return []
    used = await deps.stock.used_slots(deps, schedules)
    referrals = await deps.stock.referral_scope(deps, account_id) if account_id is not None else []
    now = clock.now()
    views = []
    for s in schedules:
        remaining = max(0, s.capacity - used.get(s.id, 0)) if s.status == rules.ScheduleStatus.OPEN else 0
        has_referral = any(
            hid == s.hospital_id and (did is None or did == s.department_id) and until >= s.date for hid, did, until in referrals
        )
        status = rules.seen_status(
            stored=s.status, now=now, release_at=s.release_at, referral_release_at=s.referral_release_at,
            closes_at=local_datetime(s.date, s.start), remaining=remaining,
            referral_remaining=min(remaining, max(0, s.referral_quota - used.get(s.id, 0))), has_referral=has_referral,
        )
        views.append(schedule_view(s, remaining=remaining, status=status))
    return views


async def _hospital(hospital_id: int) -> Hospital:
    hospital = await Hospital.get_or_none(id=hospital_id)
    if hospital is None:
        raise NotFound("no such hospital", code="hospital_not_found")
    return hospital
