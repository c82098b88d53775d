"""Hospital systems (HIS): signed intake of admissions and bill days, the deposit feed."""

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field, field_validator
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.errors import BadRequest, NotFound
from backend.his.guards import hospital_system
from backend.http import DigitText, Input, body, json_body, query
from backend.inpatient import rules
from backend.inpatient import service as inpatient

bp = Blueprint("his", url_prefix="/his")

ADMISSION_NO = rules.ADMISSION_NO


def _admission_no(value: str) -> str:
    import re

    if not re.match(ADMISSION_NO, value):
        raise NotFound("no such admission at this hospital", code="admission_not_found")
    return value


class AdmissionPush(Input):
    id_number: DigitText = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=40)
    ward: str = Field(min_length=1, max_length=64)
    bed: str = Field(min_length=1, max_length=16)
    admitted_at: dt.datetime
    discharged_at: dt.datetime | None = None
    deposit_fen: int = Field(default=0, ge=0, le=10**11, description="the deposit the hospital took at its own desk")

    @field_validator("admitted_at", "discharged_at")
    @classmethod
    def _aware(cls, value):
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2026-11-20T09:30:00+08:00")
        if value is not None and not 2000 <= value.year <= 2100:
            raise ValueError("must be a time between the years 2000 and 2100")
        return value

    @field_validator("ward", "bed", "name", "id_number")
    @classmethod
    def _printable(cls, value):
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise ValueError("may not contain control characters")
        return value


class FeedQuery(BaseModel):
    after: DigitText | None = Field(default=None, max_length=20)


class Ack(Input):
    deposit_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(min_length=1, max_length=500)


@bp.put("/<hospital_code:str>/admissions/<admission_no:str>")
@openapi.summary("HIS: create or update an admission (patient by ID number); 201 when new")
@hospital_system
@body(AdmissionPush)
async def put_admission(request: Request, hospital_code: str, admission_no: str, body: AdmissionPush):
    view, created = await inpatient.put_admission(
        deps=request.app.ctx.deps,
        hospital=request.ctx.hospital,
        admission_no=_admission_no(admission_no),
        id_number=body.id_number,
        name=body.name,
        ward=body.ward,
        bed=body.bed,
        admitted_at=body.admitted_at,
        discharged_at=body.discharged_at,
        deposit_fen=body.deposit_fen,
    )
    return json(view, status=201 if created else 200)


@bp.put("/<hospital_code:str>/admissions/<admission_no:str>/days/<day:ymd>")
@openapi.summary(
    "HIS: replace one day's items of an admission (all or nothing; 422 invalid_items lists every bad item)"
)
@hospital_system
async def put_day(request: Request, hospital_code: str, admission_no: str, day: dt.date):
    data = json_body(request)
    if not isinstance(data, dict) or set(data) != {"items"}:
        raise BadRequest('the body must be {"items": [...]}')
    result = await inpatient.put_day(
        hospital=request.ctx.hospital,
        admission_no=_admission_no(admission_no),
        day=day,
        raw_items=data["items"],
        balance_low_fen=request.app.ctx.deps.settings.messages.balance_low_fen,
    )
    return json(result)


@bp.get("/<hospital_code:str>/deposits")
@openapi.summary("HIS: paid online deposits not yet acknowledged, oldest first (follow next_cursor)")
@hospital_system
@query(FeedQuery)
async def deposit_feed(request: Request, hospital_code: str, query: FeedQuery):
    return json(await inpatient.deposit_feed(hospital=request.ctx.hospital, after=query.after))


@bp.post("/<hospital_code:str>/deposits/ack")
@openapi.summary("HIS: acknowledge deposits booked in the hospital's own system (they leave the feed)")
@hospital_system
@body(Ack)
async def acknowledge(request: Request, hospital_code: str, body: Ack):
    return json(await inpatient.acknowledge_deposits(hospital=request.ctx.hospital, deposit_ids=body.deposit_ids))


@bp.post("/<hospital_code:str>/deposits/<deposit_id:id>/refund")
@openapi.summary("HIS: give an online top-up back to the resident's original payment (it stops counting in prepaid)")
@hospital_system
async def refund_deposit(request: Request, hospital_code: str, deposit_id: int):
    return json(
        await inpatient.refund_deposit(deps=request.app.ctx.deps, hospital=request.ctx.hospital, deposit_id=deposit_id)
    )


@bp.post("/<hospital_code:str>/schedules/import")
@openapi.summary(
    "HIS: push sessions (same rows and report as the console import: all or nothing, idempotent by external_id)"
)
@hospital_system
async def import_schedules(request: Request, hospital_code: str):
    from backend.actions import service as actions
    from backend.catalog import service as catalog
    from backend.catalog.views import schedule_rows_from_request

    rows, lines = schedule_rows_from_request(request)
    with actions.acting_as(f"his:{request.ctx.hospital.code}"):  # the import's trail names the hospital's system
        result = await catalog.import_schedules(
            deps=request.app.ctx.deps, hospital_id=request.ctx.hospital.id, rows=rows, lines=lines
        )
    return json(result, status=201)
