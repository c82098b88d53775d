import datetime as dt

from pydantic import BaseModel, Field
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.catalog import service
from backend.errors import Unauthorized
from backend.http import Input, body, query
from backend.identity import rules as identity_rules
from backend.identity import service as identity
from backend.operators.guards import operator

bp = Blueprint("catalog")

CODE = r"^[A-Za-z0-9_-]{1,32}$"
HHMM = r"^\d{2}:\d{2}$"


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
    return json(await service.list_schedules(deps=request.app.ctx.deps, department_id=department_id, day=query.date, account_id=viewer))


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

class NewHospital(Input):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=128)
    release_time: str = Field(default="13:00", pattern=HHMM, description="daily release time, 06:00-22:00")


class HospitalChange(Input):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    release_time: str | None = Field(default=None, pattern=HHMM)


class NewDepartment(Input):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=128)


class NewDoctor(Input):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=64)
    title: str = Field(default="", max_length=64)
    department_code: str = Field(pattern=CODE)


class ScheduleItem(Input):
    external_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    department_code: str = Field(pattern=CODE)
    doctor_code: str = Field(pattern=CODE)
    date: dt.date
    start: str = Field(pattern=HHMM)
    end: str = Field(pattern=HHMM)
    capacity: int
    referral_quota: int = 0
    fee_fen: int


class ScheduleImport(Input):
    schedules: list[ScheduleItem] = Field(min_length=1, max_length=2000)


@bp.post("/admin/hospitals")
@openapi.summary("OPERATOR: onboard a hospital")
@operator
@body(NewHospital)
async def create_hospital(request: Request, body: NewHospital):
    return json(await service.create_hospital(code=body.code, name=body.name, release_time=body.release_time), status=201)


@bp.patch("/admin/hospitals/<hospital_id:id>")
@openapi.summary("OPERATOR: rename a hospital or change its release time (future imports)")
@operator
@body(HospitalChange)
async def update_hospital(request: Request, hospital_id: int, body: HospitalChange):
    return json(await service.update_hospital(hospital_id=hospital_id, name=body.name, release_time=body.release_time))


@bp.post("/admin/hospitals/<hospital_id:id>/departments")
@openapi.summary("OPERATOR: add a department")
@operator
@body(NewDepartment)
async def create_department(request: Request, hospital_id: int, body: NewDepartment):
    return json(await service.create_department(hospital_id=hospital_id, code=body.code, name=body.name), status=201)


@bp.post("/admin/hospitals/<hospital_id:id>/doctors")
@openapi.summary("OPERATOR: add a doctor")
@operator
@body(NewDoctor)
async def create_doctor(request: Request, hospital_id: int, body: NewDoctor):
    return json(await service.create_doctor(hospital_id=hospital_id, code=body.code, name=body.name, title=body.title, department_code=body.department_code), status=201)


@bp.post("/admin/hospitals/<hospital_id:id>/schedules/import")
@openapi.summary("OPERATOR/HIS: bulk import of sessions (all or nothing; idempotent by external_id)")
@operator
@body(ScheduleImport)
async def import_schedules(request: Request, hospital_id: int, body: ScheduleImport):
    result = await service.import_schedules(deps=request.app.ctx.deps, hospital_id=hospital_id, items=body.schedules)
    return json(result, status=201)
