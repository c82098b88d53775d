"""Residents' inpatient bills (住院清单) for their own and linked members' cards."""

import datetime as dt

from pydantic import BaseModel, Field
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.edge import refuses
from backend.errors import NotFound
from backend.http import Input, body, query
from backend.identity.guards import resident
from backend.inpatient import service
from backend.inpatient.rules import ADMISSION_NO

bp = Blueprint("inpatient", url_prefix="/inpatient")


class AdmissionsQuery(BaseModel):
    card_id: str = Field(min_length=1, max_length=64)


class BillQuery(BaseModel):
    hospital_id: int = Field(ge=1, le=2**31 - 1)
    card_id: str = Field(min_length=1, max_length=64)
    admission_no: str = Field(pattern=ADMISSION_NO)


@bp.get("/admissions")
@openapi.summary("Admissions of a card (own or a linked member's), newest first, with their balance")
@resident
@query(AdmissionsQuery)
async def list_admissions(request: Request, query: AdmissionsQuery):
    return json(
        await service.list_admissions(
            deps=request.app.ctx.deps, account_id=request.ctx.account_id, card_id=query.card_id
        )
    )


@bp.get("/bills")
@openapi.summary("The bill of one admission: days with items and subtotals, total, prepaid, balance")
@resident
@query(BillQuery)
async def get_bill(request: Request, query: BillQuery):
    return json(
        await service.get_bill(
            deps=request.app.ctx.deps,
            account_id=request.ctx.account_id,
            hospital_id=query.hospital_id,
            card_id=query.card_id,
            admission_no=query.admission_no,
        )
    )


@bp.get("/bills/summary")
@openapi.summary(
    "The bill of one admission without its items, light for a long stay: days with item counts, "
    "subtotals and category subtotals; total, prepaid, balance"
)
@refuses({NotFound: ("admission_not_found",)})
@resident
@query(BillQuery)
async def get_bill_summary(request: Request, query: BillQuery):
    return json(
        await service.get_bill_summary(
            deps=request.app.ctx.deps,
            account_id=request.ctx.account_id,
            hospital_id=query.hospital_id,
            card_id=query.card_id,
            admission_no=query.admission_no,
        )
    )


class BillDayQuery(BillQuery):
    offset: int = Field(default=0, ge=0, le=service.MAX_DAY_PAGE * 100, description="next_offset of the previous page")
    limit: int = Field(default=service.DAY_PAGE, ge=1, le=service.MAX_DAY_PAGE)


@bp.get("/bills/days/<day:ymd>")
@openapi.summary("The items of one day of a bill, a page at a time (follow next_offset until it is null)")
@refuses({NotFound: ("admission_not_found", "bill_day_not_found")})
@resident
@query(BillDayQuery)
async def get_bill_day(request: Request, day: dt.date, query: BillDayQuery):
    return json(
        await service.get_bill_day(
            deps=request.app.ctx.deps,
            account_id=request.ctx.account_id,
            hospital_id=query.hospital_id,
            card_id=query.card_id,
            admission_no=query.admission_no,
            day=day,
            offset=query.offset,
            limit=query.limit,
        )
    )


class DepositStart(Input):
    hospital_id: int = Field(ge=1, le=2**31 - 1)
    card_id: str = Field(min_length=1, max_length=64)
    admission_no: str = Field(pattern=ADMISSION_NO)
    amount_fen: int = Field(
        strict=True,
        ge=-(2**63),
        le=2**63 - 1,
        description="positive, at most DEPOSIT_MAX_FEN (default 5,000,000 fen); checked by the service so the "
        "refusal names the limit",
    )


@bp.post("/deposits")
@openapi.summary("Top up the deposit (预缴金) of an ongoing admission: the top-up and its WeChat Pay order (201)")
@resident
@body(DepositStart)
async def create_deposit(request: Request, body: DepositStart):
    started = await service.create_deposit(
        deps=request.app.ctx.deps,
        account_id=request.ctx.account_id,
        hospital_id=body.hospital_id,
        card_id=body.card_id,
        admission_no=body.admission_no,
        amount_fen=body.amount_fen,
    )
    return json(started, status=201)
