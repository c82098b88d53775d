"""Hospitals, departments, doctors and schedules: operator set-up and resident browsing."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.actions import service as actions
from backend.catalog import rules
from backend.catalog.models import Department, Doctor, Hospital, Schedule
from backend.clock import clock, iso, local_datetime
from backend.errors import AppError, BadRequest, Conflict, NotFound
from backend.text import capped

log = logging.getLogger("ehealth.catalog")


def _invalid(exc: rules.InvalidSchedule, *, prefix: str = "") -> BadRequest:
    field = f"{prefix}{exc.field}"
    return BadRequest(f"{field}: {exc}", code="invalid_schedule", fields=[{"field": field, "message": str(exc)}])


def hospital_view(h: Hospital) -> dict:
    return {"id": h.id, "code": h.code, "name": h.name, "release_time": h.release_time, "status": h.status}


def department_view(d: Department) -> dict:
    return {"id": d.id, "hospital_id": d.hospital_id, "code": d.code, "name": d.name, "status": d.status}


def doctor_view(d: Doctor) -> dict:
    return {
        "id": d.id,
        "code": d.code,
        "name": d.name,
        "title": d.title,
        "department_id": d.department_id,
        "status": d.status,
    }


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
        release_time = rules.validate_release_time(release_time)
    except rules.InvalidSchedule as exc:
        raise _invalid(exc) from None
    try:
        async with in_transaction() as conn:
            hospital = await Hospital.create(
                code=code, name=name, release_time=release_time, created_at=clock.now(), using_db=conn
            )
            await actions.record(
                "hospital.create",
                target=("hospital", hospital.id),
                hospital_id=hospital.id,
                change={"code": code, "name": name, "release_time": release_time},
                using_db=conn,
            )
    except IntegrityError:
        raise Conflict("a hospital with this code exists", code="duplicate") from None
    return hospital_view(hospital)


async def update_hospital(*, hospital_id: int, name: str | None, release_time: str | None) -> dict:
    hospital = await _hospital(hospital_id)
    before = hospital_view(hospital)
    if release_time is not None:
        try:
            hospital.release_time = rules.validate_release_time(release_time)
        except rules.InvalidSchedule as exc:
            raise _invalid(exc) from None
    if name is not None:
        hospital.name = name
    async with in_transaction() as conn:
        await hospital.save(using_db=conn)
        await actions.record(
            "hospital.update",
            target=("hospital", hospital.id),
            hospital_id=hospital.id,
            change=actions.diff(before, hospital_view(hospital)),
            using_db=conn,
        )
    return hospital_view(hospital)


async def create_department(*, hospital_id: int, code: str, name: str) -> dict:
    await _hospital(hospital_id)
    try:
        async with in_transaction() as conn:
            dept = await Department.create(hospital_id=hospital_id, code=code, name=name, using_db=conn)
            await actions.record(
                "department.create",
                target=("department", dept.id),
                hospital_id=hospital_id,
                change={"code": code, "name": name},
                using_db=conn,
            )
    except IntegrityError:
        raise Conflict("a department with this code exists in this hospital", code="duplicate") from None
    return department_view(dept)


async def create_doctor(*, hospital_id: int, code: str, name: str, title: str, department_code: str) -> dict:
    await _hospital(hospital_id)
    dept = await Department.get_or_none(hospital_id=hospital_id, code=department_code)
    if dept is None:
        raise NotFound("no such department in this hospital", code="department_not_found")
    try:
        async with in_transaction() as conn:
            doctor = await Doctor.create(
                hospital_id=hospital_id, department_id=dept.id, code=code, name=name, title=title, using_db=conn
            )
            await actions.record(
                "doctor.create",
                target=("doctor", doctor.id),
                hospital_id=hospital_id,
                change={"code": code, "name": name, "title": title, "department_id": dept.id},
                using_db=conn,
            )
    except IntegrityError:
        raise Conflict("a doctor with this code exists in this hospital", code="duplicate") from None
    return doctor_view(doctor)


async def import_schedules(*, deps, hospital_id: int, rows: list, lines: list[int] | None = None) -> dict:
    """Bulk import (JSON or CSV, from the console, the CLI or a HIS). All or nothing: every row is
    checked first (fields, codes, date within the booking horizon, conflicts) and any bad row
    refuses the batch with a report of every bad row; only then does one transaction write.
    `external_id` makes re-imports idempotent: an identical row is left as it is, a changed one
    is refused."""
    hospital = await _hospital(hospital_id)
    if not rows:
        raise BadRequest("no rows to import", code="invalid_schedules")
    departments = {
        d.code: d for d in await Department.filter(hospital_id=hospital_id, status=rules.CatalogStatus.ACTIVE)
    }
    doctors = {d.code: d for d in await Doctor.filter(hospital_id=hospital_id, status=rules.CatalogStatus.ACTIVE)}
    external_ids = [r.get("external_id") for r in rows if isinstance(r, dict) and isinstance(r.get("external_id"), str)]
    existing = (
        {
            s.external_id: s
            for s in await Schedule.filter(hospital_id=hospital_id, external_id__in=[e.strip() for e in external_ids])
        }
        if external_ids
        else {}
    )
    today, horizon = clock.today(), deps.settings.schedules.horizon_days
    planned, problems, seen = [], [], set()
    for i, raw in enumerate(rows):
        try:
            row = rules.parse_schedule_row(raw, today=today, horizon_days=horizon)
            dept = departments.get(row.department_code)
            if dept is None:
                raise rules.InvalidSchedule("department_code", "no such department in this hospital")
            doctor = doctors.get(row.doctor_code)
            if doctor is None or doctor.department_id != dept.id:
                raise rules.InvalidSchedule("doctor_code", "no such doctor in that department")
            if row.external_id is not None:
                if row.external_id in seen:
                    raise rules.InvalidSchedule("external_id", "appears twice in this import")
                seen.add(row.external_id)
            fields = dict(
                department_id=dept.id,
                doctor_id=doctor.id,
                date=row.date,
                start=row.start,
                end=row.end,
                capacity=row.capacity,
                referral_quota=row.referral_quota,
                fee_fen=row.fee_fen,
            )
            known = existing.get(row.external_id) if row.external_id else None
            if known is not None and not all(getattr(known, k) == v for k, v in fields.items()):
                raise rules.InvalidSchedule(
                    "external_id", "exists with other values; edit or suspend that schedule instead"
                )
            planned.append((row, fields, known))
        except rules.InvalidSchedule as exc:
            problem = {"index": i, "field": exc.field, "reason": str(exc)}
            if lines is not None:
                problem["line"] = lines[i]
            problems.append(problem)
    if problems:
        shown, more = capped(problems)
        raise AppError(
            f"{len(problems)} of {len(rows)} rows refused; nothing was imported",
            code="invalid_schedules",
            status=422,
            rows=shown,
            **more,
        )
    created, unchanged, ids = 0, 0, []
    async with in_transaction() as conn:
        for row, fields, known in planned:
            if known is not None:
                unchanged += 1
                ids.append(known.id)
                continue
            released = rules.release_times(row.date, hospital.release_time)
            try:
                schedule = await Schedule.create(
                    hospital_id=hospital_id,
                    external_id=row.external_id,
                    release_at=released.ordinary,
                    referral_release_at=released.referral,
                    created_at=clock.now(),
                    using_db=conn,
                    **fields,
                )
            except IntegrityError:  # the same external_id imported at the same moment elsewhere
                raise Conflict(
                    f"schedule {row.external_id} was imported meanwhile; import again", code="schedule_conflict"
                ) from None
            created += 1
            ids.append(schedule.id)
        made = [i for i, (_, _, known) in zip(ids, planned) if known is None]
        await actions.record(
            "schedule.import",
            target=("hospital", hospital_id),
            hospital_id=hospital_id,
            using_db=conn,
            change={"rows": len(rows), "created": created, "unchanged": unchanged, "created_ids": made[:500]},
        )
    await deps.stock.schedules_changed(deps, await Schedule.filter(id__in=ids))
    log.info("imported schedules hospital=%s created=%s unchanged=%s", hospital_id, created, unchanged)
    return {"created": created, "unchanged": unchanged, "schedule_ids": ids}


# --- residents -----------------------------------------------------------------------------------


async def list_hospitals() -> list[dict]:
    return [hospital_view(h) for h in await Hospital.filter(status=rules.CatalogStatus.ACTIVE).order_by("id")]


async def list_departments(*, hospital_id: int) -> list[dict]:
    await _hospital(hospital_id)
    return [
        department_view(d)
        for d in await Department.filter(hospital_id=hospital_id, status=rules.CatalogStatus.ACTIVE).order_by("id")
    ]


async def list_schedules(*, deps, department_id: int, day: date | None, account_id: int | None = None) -> list[dict]:
    if not await Department.exists(id=department_id):
        raise NotFound("no such department", code="department_not_found")
    query = Schedule.filter(department_id=department_id).exclude(status=rules.ScheduleStatus.RETIRED)
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
            hid == s.hospital_id and (did is None or did == s.department_id) and until >= s.date
            for hid, did, until in referrals
        )
        status = rules.seen_status(
            stored=s.status,
            now=now,
            release_at=s.release_at,
            referral_release_at=s.referral_release_at,
            closes_at=local_datetime(s.date, s.start),
            remaining=remaining,
            referral_remaining=min(remaining, max(0, s.referral_quota - used.get(s.id, 0))),
            has_referral=has_referral,
        )
        views.append(schedule_view(s, remaining=remaining, status=status))
    return views


async def _hospital(hospital_id: int) -> Hospital:
    hospital = await Hospital.get_or_none(id=hospital_id)
    if hospital is None:
        raise NotFound("no such hospital", code="hospital_not_found")
    return hospital


# --- operator console: lists, edits, retirement ---------------------------------------------------


async def admin_list_hospitals(*, hospital_id: int | None) -> list[dict]:
    query = Hospital.all() if hospital_id is None else Hospital.filter(id=hospital_id)
    return [hospital_view(h) for h in await query.order_by("id")]


async def retire_hospital(*, hospital_id: int) -> dict:
    """Hidden from residents and refused to its hospital system; history stays."""
    hospital = await _hospital(hospital_id)
    before = hospital_view(hospital)
    hospital.status = rules.CatalogStatus.RETIRED
    async with in_transaction() as conn:
        await hospital.save(using_db=conn, update_fields=["status"])
        await actions.record(
            "hospital.retire",
            target=("hospital", hospital.id),
            hospital_id=hospital.id,
            change=actions.diff(before, hospital_view(hospital)),
            using_db=conn,
        )
    return hospital_view(hospital)


async def admin_list_departments(*, hospital_id: int) -> list[dict]:
    await _hospital(hospital_id)
    return [department_view(d) for d in await Department.filter(hospital_id=hospital_id).order_by("id")]


async def update_department(*, department_id: int, name: str | None) -> dict:
    dept = await Department.get(id=department_id)
    before = department_view(dept)
    if name is not None:
        dept.name = name
    async with in_transaction() as conn:
        await dept.save(using_db=conn, update_fields=["name"])
        await actions.record(
            "department.update",
            target=("department", dept.id),
            hospital_id=dept.hospital_id,
            change=actions.diff(before, department_view(dept)),
            using_db=conn,
        )
    return department_view(dept)


async def retire_department(*, department_id: int) -> dict:
    """No longer listed for residents nor open to new imports; existing sessions stay."""
    dept = await Department.get(id=department_id)
    before = department_view(dept)
    dept.status = rules.CatalogStatus.RETIRED
    async with in_transaction() as conn:
        await dept.save(using_db=conn, update_fields=["status"])
        await actions.record(
            "department.retire",
            target=("department", dept.id),
            hospital_id=dept.hospital_id,
            change=actions.diff(before, department_view(dept)),
            using_db=conn,
        )
    return department_view(dept)


async def admin_list_doctors(*, hospital_id: int, department_id: int | None) -> list[dict]:
    await _hospital(hospital_id)
    query = Doctor.filter(hospital_id=hospital_id)
    if department_id is not None:
        query = query.filter(department_id=department_id)
    return [doctor_view(d) for d in await query.order_by("id")]


async def update_doctor(*, doctor_id: int, name: str | None, title: str | None, department_code: str | None) -> dict:
    doctor = await Doctor.get(id=doctor_id)
    before = doctor_view(doctor)
    if department_code is not None:
        dept = await Department.get_or_none(hospital_id=doctor.hospital_id, code=department_code)
        if dept is None:
            raise NotFound("no such department in this hospital", code="department_not_found")
        doctor.department_id = dept.id
    if name is not None:
        doctor.name = name
    if title is not None:
        doctor.title = title
    async with in_transaction() as conn:
        await doctor.save(using_db=conn, update_fields=["name", "title", "department_id"])
        await actions.record(
            "doctor.update",
            target=("doctor", doctor.id),
            hospital_id=doctor.hospital_id,
            change=actions.diff(before, doctor_view(doctor)),
            using_db=conn,
        )
    return doctor_view(doctor)


async def retire_doctor(*, doctor_id: int) -> dict:
    doctor = await Doctor.get(id=doctor_id)
    before = doctor_view(doctor)
    doctor.status = rules.CatalogStatus.RETIRED
    async with in_transaction() as conn:
        await doctor.save(using_db=conn, update_fields=["status"])
        await actions.record(
            "doctor.retire",
            target=("doctor", doctor.id),
            hospital_id=doctor.hospital_id,
            change=actions.diff(before, doctor_view(doctor)),
            using_db=conn,
        )
    return doctor_view(doctor)


async def admin_list_schedules(
    *,
    deps,
    hospital_id: int,
    date_from: date | None,
    date_to: date | None,
    department_id: int | None,
    limit: int,
    offset: int,
) -> dict:
    await _hospital(hospital_id)
    query = Schedule.filter(hospital_id=hospital_id)
    if date_from is not None:
        query = query.filter(date__gte=date_from)
    if date_to is not None:
        query = query.filter(date__lte=date_to)
    if department_id is not None:
        query = query.filter(department_id=department_id)
    total = await query.count()
    schedules = await query.order_by("date", "start", "id").offset(offset).limit(limit).select_related("doctor")
    views = await _with_remaining(deps, schedules)
    booked = await deps.stock.booked([s.id for s in schedules])
    for view in views:
        view["booked"] = booked.get(view["id"], 0)
        view["external_id"] = next(s.external_id for s in schedules if s.id == view["id"])
    return {"schedules": views, "total": total, "limit": limit, "offset": offset}


async def update_schedule(
    *, deps, schedule_id: int, capacity: int | None, referral_quota: int | None, fee_fen: int | None
) -> dict:
    """Change a session's stock or fee. Capacity never drops below what is booked (nor below
    the slots held right now); the hold store is refreshed at once."""
    async with in_transaction() as conn:
        schedule = await Schedule.select_for_update().using_db(conn).get(id=schedule_id)
        if schedule.status != rules.ScheduleStatus.OPEN:
            raise Conflict(f"this session is {schedule.status}", code="schedule_closed")
        new_capacity = schedule.capacity if capacity is None else capacity
        new_quota = schedule.referral_quota if referral_quota is None else referral_quota
        new_fee = schedule.fee_fen if fee_fen is None else fee_fen
        try:
            rules.validate_stock(capacity=new_capacity, referral_quota=new_quota, fee_fen=new_fee)
        except rules.InvalidSchedule as exc:
            raise _invalid(exc) from None
        booked = (await deps.stock.booked([schedule_id], using_db=conn)).get(schedule_id, 0)
        in_use = await deps.stock.held_or_booked_now(deps, schedule_id)
        if new_capacity < max(booked, in_use):
            raise Conflict(
                f"capacity cannot go below the {max(booked, in_use)} slots booked or held",
                code="capacity_below_booked",
                booked=booked,
                in_use=in_use,
            )
        before = {"capacity": schedule.capacity, "referral_quota": schedule.referral_quota, "fee_fen": schedule.fee_fen}
        schedule.capacity, schedule.referral_quota, schedule.fee_fen = new_capacity, new_quota, new_fee
        await schedule.save(using_db=conn, update_fields=["capacity", "referral_quota", "fee_fen"])
        after = {"capacity": new_capacity, "referral_quota": new_quota, "fee_fen": new_fee}
        await actions.record(
            "schedule.update",
            target=("schedule", schedule.id),
            hospital_id=schedule.hospital_id,
            change=actions.diff(before, after),
            using_db=conn,
        )
    await deps.stock.schedules_changed(deps, [schedule])
    return await get_schedule(deps=deps, schedule_id=schedule_id)


async def retire_schedule(*, deps, schedule_id: int) -> dict:
    """Withdraw a session nobody has booked (one with bookings is suspended instead, which
    refunds them)."""
    async with in_transaction() as conn:
        schedule = await Schedule.select_for_update().using_db(conn).get(id=schedule_id)
        if (await deps.stock.booked([schedule_id], using_db=conn)).get(schedule_id):
            raise Conflict(
                "this session has bookings; suspend it (停诊) to cancel and refund them", code="has_bookings"
            )
        rules.SCHEDULE_MOVES.check(schedule.status, rules.ScheduleStatus.RETIRED)
        before = schedule.status
        schedule.status = rules.ScheduleStatus.RETIRED
        await schedule.save(using_db=conn, update_fields=["status"])
        await actions.record(
            "schedule.retire",
            target=("schedule", schedule.id),
            hospital_id=schedule.hospital_id,
            change={"status": [str(before), str(schedule.status)]},
            using_db=conn,
        )
    await deps.stock.schedules_changed(deps, [schedule])  # the hold store refuses holds on it from now on
    return await get_schedule(deps=deps, schedule_id=schedule_id)
