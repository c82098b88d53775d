import datetime as dt

from pydantic import BaseModel, Field, model_validator
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.catalog import rules, service
from backend.catalog.models import Department, Doctor, Schedule
from backend.errors import BadRequest, Unauthorized
from backend.http import Input, body, json_body, query
from backend.identity import rules as identity_rules
from backend.identity import service as identity
from backend.operators.guards import operator, platform_operator, require_hospital, require_object

bp = Blueprint("catalog")


class Printable(Input):
    """Names without control characters (PostgreSQL refuses NUL in text: a 400, not a 500)."""

    @model_validator(mode="after")
    def _no_control_characters(self):
        for name, value in self:
            if isinstance(value, str) and any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
                raise ValueError(f"{name}: may not contain control characters")
        return self


CODE = r"^[A-Za-z0-9_-]{1,32}$"
HHMM = r"^[0-9]{2}:[0-9]{2}$"


class ScheduleQuery(BaseModel):
    date: dt.date | None = None


@bp.get("/hospitals")
@openapi.summary("Member hospitals")
async def list_hospitals(request: Request):
    return json(await service.list_hospitals())


@bp.get("/hospitals/<hospital_id:id>/departments")
@openapi.summary("Departments of a hospital")
async def list_departments(request: Request, hospital_id: int):
    return json(await service.list_departments(hospital_id=hospital_id))


@bp.get("/departments/<department_id:id>/schedules")
@openapi.summary("Sessions of a department on a date (default: the next 10 days), with live remaining slots")
@query(ScheduleQuery)
async def list_schedules(request: Request, department_id: int, query: ScheduleQuery):
    viewer = await _viewer(request)
    return json(
        await service.list_schedules(
            deps=request.app.ctx.deps, department_id=department_id, day=query.date, account_id=viewer
        )
    )


@bp.get("/schedules/<schedule_id:id>")
@openapi.summary("One session with live remaining slots")
async def get_schedule(request: Request, schedule_id: int):
    viewer = await _viewer(request)
    return json(await service.get_schedule(deps=request.app.ctx.deps, schedule_id=schedule_id, account_id=viewer))


async def _viewer(request: Request) -> int | None:
    """The signed-in resident, if any: listings need no sign-in, but a referral holder sees
    referral slots open early."""
    token = identity_rules.bearer_token(request.headers.get("authorization"))
    if token is None:
        return None
    try:
        return await identity.authenticate(deps=request.app.ctx.deps, token=token)
    except Unauthorized:
        return None


# --- operators ---------------------------------------------------------------------------------


class NewHospital(Printable):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=128)
    release_time: str = Field(default="13:00", pattern=HHMM, description="daily release time, 06:00-22:00")


class HospitalChange(Printable):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    release_time: str | None = Field(default=None, pattern=HHMM)


class NewDepartment(Printable):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=128)


class NewDoctor(Printable):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=64)
    title: str = Field(default="", max_length=64)
    department_code: str = Field(pattern=CODE)


class DepartmentChange(Printable):
    name: str | None = Field(default=None, min_length=1, max_length=128)


class DoctorChange(Printable):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    title: str | None = Field(default=None, max_length=64)
    department_code: str | None = Field(default=None, pattern=CODE)


class ScheduleChange(Input):
    capacity: int | None = Field(default=None, ge=1, le=500)
    referral_quota: int | None = Field(default=None, ge=0, le=500)
    fee_fen: int | None = Field(default=None, ge=0, le=1_000_000)


class DoctorQuery(BaseModel):
    department_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class AdminScheduleQuery(BaseModel):
    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None
    department_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


MAX_IMPORT_ROWS = 2000


def schedule_rows_from_request(request: Request) -> tuple[list, list[int] | None]:
    """JSON {"schedules": [...]} or CSV (text/csv, a header line naming the columns)."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type in ("text/csv", "application/csv"):
        try:
            rows, lines = rules.parse_schedule_csv((request.body or b"").decode("utf-8-sig"), max_rows=MAX_IMPORT_ROWS)
        except UnicodeDecodeError:
            raise BadRequest("the CSV must be UTF-8", code="invalid_schedules") from None
        except rules.InvalidSchedule as exc:
            raise BadRequest(
                f"the CSV (line {exc.line}) {exc}",
                code="invalid_schedules",
                rows=[{"index": -1, "line": exc.line, "field": exc.field, "reason": str(exc)}],
            ) from None
    else:
        data = json_body(request)
        if not isinstance(data, dict) or set(data) != {"schedules"} or not isinstance(data["schedules"], list):
            raise BadRequest(
                'the body must be {"schedules": [...]} or a CSV (Content-Type: text/csv)', code="invalid_schedules"
            )
        rows, lines = data["schedules"], None
    if not rows:
        raise BadRequest("no rows to import", code="invalid_schedules")
    if len(rows) > MAX_IMPORT_ROWS:
        raise BadRequest(f"at most {MAX_IMPORT_ROWS} rows per import", code="invalid_schedules")
    return rows, lines


@bp.get("/admin/hospitals")
@openapi.summary("OPERATOR: hospitals (a hospital admin sees only theirs), retired ones included")
@operator
async def admin_list_hospitals(request: Request):
    return json(await service.admin_list_hospitals(hospital_id=request.ctx.operator.scope))


@bp.post("/admin/hospitals")
@openapi.summary("PLATFORM: onboard a hospital")
@platform_operator
@body(NewHospital)
async def create_hospital(request: Request, body: NewHospital):
    return json(
        await service.create_hospital(code=body.code, name=body.name, release_time=body.release_time), status=201
    )


@bp.patch("/admin/hospitals/<hospital_id:id>")
@openapi.summary("OPERATOR: rename a hospital or change its release time (future imports)")
@operator
@body(HospitalChange)
async def update_hospital(request: Request, hospital_id: int, body: HospitalChange):
    require_hospital(request, hospital_id)
    return json(await service.update_hospital(hospital_id=hospital_id, name=body.name, release_time=body.release_time))


@bp.post("/admin/hospitals/<hospital_id:id>/retire")
@openapi.summary("PLATFORM: retire a hospital (hidden from residents, its HIS refused)")
@platform_operator
async def retire_hospital(request: Request, hospital_id: int):
    return json(await service.retire_hospital(hospital_id=hospital_id))


@bp.get("/admin/hospitals/<hospital_id:id>/departments")
@openapi.summary("OPERATOR: departments of a hospital, retired ones included")
@operator
async def admin_list_departments(request: Request, hospital_id: int):
    require_hospital(request, hospital_id)
    return json(await service.admin_list_departments(hospital_id=hospital_id))


@bp.post("/admin/hospitals/<hospital_id:id>/departments")
@openapi.summary("OPERATOR: add a department")
@operator
@body(NewDepartment)
async def create_department(request: Request, hospital_id: int, body: NewDepartment):
    require_hospital(request, hospital_id)
    return json(await service.create_department(hospital_id=hospital_id, code=body.code, name=body.name), status=201)


@bp.patch("/admin/departments/<department_id:id>")
@openapi.summary("OPERATOR: rename a department")
@operator
@body(DepartmentChange)
async def update_department(request: Request, department_id: int, body: DepartmentChange):
    await require_object(request, Department, department_id, what="department")
    return json(await service.update_department(department_id=department_id, name=body.name))


@bp.post("/admin/departments/<department_id:id>/retire")
@openapi.summary("OPERATOR: retire a department (no longer listed nor importable)")
@operator
async def retire_department(request: Request, department_id: int):
    await require_object(request, Department, department_id, what="department")
    return json(await service.retire_department(department_id=department_id))


@bp.get("/admin/hospitals/<hospital_id:id>/doctors")
@openapi.summary("OPERATOR: doctors of a hospital")
@operator
@query(DoctorQuery)
async def admin_list_doctors(request: Request, hospital_id: int, query: DoctorQuery):
    require_hospital(request, hospital_id)
    return json(await service.admin_list_doctors(hospital_id=hospital_id, department_id=query.department_id))


@bp.post("/admin/hospitals/<hospital_id:id>/doctors")
@openapi.summary("OPERATOR: add a doctor")
@operator
@body(NewDoctor)
async def create_doctor(request: Request, hospital_id: int, body: NewDoctor):
    require_hospital(request, hospital_id)
    return json(
        await service.create_doctor(
            hospital_id=hospital_id,
            code=body.code,
            name=body.name,
            title=body.title,
            department_code=body.department_code,
        ),
        status=201,
    )


@bp.patch("/admin/doctors/<doctor_id:id>")
@openapi.summary("OPERATOR: edit a doctor (name, title, department)")
@operator
@body(DoctorChange)
async def update_doctor(request: Request, doctor_id: int, body: DoctorChange):
    await require_object(request, Doctor, doctor_id, what="doctor")
    return json(
        await service.update_doctor(
            doctor_id=doctor_id, name=body.name, title=body.title, department_code=body.department_code
        )
    )


@bp.post("/admin/doctors/<doctor_id:id>/retire")
@openapi.summary("OPERATOR: retire a doctor (no new sessions can be imported for them)")
@operator
async def retire_doctor(request: Request, doctor_id: int):
    await require_object(request, Doctor, doctor_id, what="doctor")
    return json(await service.retire_doctor(doctor_id=doctor_id))


@bp.get("/admin/hospitals/<hospital_id:id>/schedules")
@openapi.summary("OPERATOR: sessions of a hospital with booked and remaining slots (paged)")
@operator
@query(AdminScheduleQuery)
async def admin_list_schedules(request: Request, hospital_id: int, query: AdminScheduleQuery):
    require_hospital(request, hospital_id)
    return json(
        await service.admin_list_schedules(
            deps=request.app.ctx.deps,
            hospital_id=hospital_id,
            date_from=query.from_,
            date_to=query.to,
            department_id=query.department_id,
            limit=query.limit,
            offset=query.offset,
        )
    )


@bp.post("/admin/hospitals/<hospital_id:id>/schedules/import")
@openapi.summary(
    "OPERATOR: bulk import of sessions, JSON or CSV: every row checked, a report of every bad row, all or "
    "nothing; idempotent by external_id"
)
@operator
async def import_schedules(request: Request, hospital_id: int):
    require_hospital(request, hospital_id)
    rows, lines = schedule_rows_from_request(request)
    result = await service.import_schedules(deps=request.app.ctx.deps, hospital_id=hospital_id, rows=rows, lines=lines)
    return json(result, status=201)


@bp.patch("/admin/schedules/<schedule_id:id>")
@openapi.summary("OPERATOR: change a session's capacity, referral quota or fee (never below what is booked)")
@operator
@body(ScheduleChange)
async def update_schedule(request: Request, schedule_id: int, body: ScheduleChange):
    await require_object(request, Schedule, schedule_id, what="schedule")
    return json(
        await service.update_schedule(
            deps=request.app.ctx.deps,
            schedule_id=schedule_id,
            capacity=body.capacity,
            referral_quota=body.referral_quota,
            fee_fen=body.fee_fen,
        )
    )


@bp.post("/admin/schedules/<schedule_id:id>/retire")
@openapi.summary("OPERATOR: withdraw a session nobody booked (with bookings: suspend it)")
@operator
async def retire_schedule(request: Request, schedule_id: int):
    await require_object(request, Schedule, schedule_id, what="schedule")
    return json(await service.retire_schedule(deps=request.app.ctx.deps, schedule_id=schedule_id))
