"""The operator console's endpoints that span domains: a hospital's admin account (operators +
catalog), hospital intake secrets (his), figures (cards, booking, payments, queueing), a card's
phone reset at a counter (cards + the audit trail). Nothing imports this package but the
composition root."""

import datetime as dt

from pydantic import BaseModel, Field, model_validator
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.cards import service as cards
from backend.catalog.models import Hospital
from backend.clock import clock
from backend.console import figures as figures_service
from backend.errors import BadRequest, NotFound
from backend.his import service as his
from backend.http import Input, body, query
from backend.operators import rules, service
from backend.operators.guards import operator, platform_operator, scope_or

bp = Blueprint("console", url_prefix="/admin")

MAX_FIGURE_DAYS = 366


class NewOperator(Input):
    username: str = Field(pattern=rules.USERNAME)
    password: str = Field(min_length=1, max_length=256)
    role: str = Field(pattern=r"^(platform|hospital_admin)$")
    hospital_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class PhoneReset(Input):
    phone: str = Field(min_length=1, max_length=32, description="the new registered phone (mainland mobile)")
    reason: str = Field(min_length=1, max_length=200, description="why, e.g. which ID document was seen at the counter")


class FigureQuery(BaseModel):
    hospital_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None

    @model_validator(mode="after")
    def _range(self):
        if self.from_ and self.to and self.from_ > self.to:
            raise ValueError("from is after to")
        return self


@bp.post("/operators")
@openapi.summary("PLATFORM: create an operator (platform, or hospital_admin of one hospital)")
@platform_operator
@body(NewOperator)
async def create_operator(request: Request, body: NewOperator):
    if body.hospital_id is not None and not await Hospital.exists(id=body.hospital_id):
        raise NotFound("no such hospital", code="hospital_not_found")
    return json(
        await service.create_operator(
            username=body.username,
            password=body.password,
            role=body.role,
            hospital_id=body.hospital_id,
            deps=request.app.ctx.deps,
        ),
        status=201,
    )


@bp.post("/hospitals/<hospital_id:id>/intake-secret")
@openapi.summary("PLATFORM: issue or rotate a hospital system's intake secret (shown only in this answer)")
@platform_operator
async def issue_intake_secret(request: Request, hospital_id: int):
    return json(await his.issue_secret(deps=request.app.ctx.deps, hospital_id=hospital_id), status=201)


@bp.put("/cards/<card_id:str>/phone")
@openapi.summary("OPERATOR: reset a card's registered phone at a hospital counter, the ID document seen (audited)")
@openapi.description(
    "For a resident who lost access to their owner account, or a card without an owner (a child's). A platform "
    "operator or any hospital admin (the card belongs to the region); the audit entry names the admin's hospital, "
    "the old and new phone masked and the reason. 400 invalid_phone, 404 card_not_found."
)
@operator
@body(PhoneReset)
async def reset_phone(request: Request, card_id: str, body: PhoneReset):
    return json(
        await cards.reset_phone_by_operator(
            request.app.ctx.deps,
            card_id=card_id,
            phone=body.phone,
            reason=body.reason,
            hospital_id=request.ctx.operator.hospital_id,
        )
    )


@bp.get("/figures")
@openapi.summary(
    "OPERATOR: cards issued, bookings per day, no-show rate, payments and refunds (a hospital admin: their hospital)"
)
@operator
@query(FigureQuery)
async def figures(request: Request, query: FigureQuery):
    date_to = query.to or clock.today()
    date_from = query.from_ or date_to - dt.timedelta(days=29)
    if (date_to - date_from).days >= MAX_FIGURE_DAYS:
        raise BadRequest(f"at most {MAX_FIGURE_DAYS} days at once", code="invalid_range")
    return json(
        await figures_service.figures(
            hospital_id=scope_or(request, query.hospital_id), date_from=date_from, date_to=date_to
        )
    )
