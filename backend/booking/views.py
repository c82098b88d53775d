import datetime as dt

from pydantic import BaseModel, Field
from sanic import Blueprint, Request, json
from sanic.response import empty
from sanic_ext import openapi

from backend.booking import referrals, service
from backend.booking.models import Referral
from backend.catalog.models import Schedule
from backend.edge import refuses, status_of
from backend.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    IllegalTransition,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from backend.http import Input, body, client_ip, documents_body, json_body, query, validate_model
from backend.identity.guards import resident
from backend.identity.rules import bearer_token
from backend.operators.guards import operator, platform_operator, require_hospital, require_object, scope_or

bp = Blueprint("booking")


class NewHold(Input):
    schedule_id: int = Field(ge=1, le=2**31 - 1)
    card_id: str = Field(min_length=1, max_length=64)


def _hold_request(request: Request) -> tuple[int, str]:
    """The hold body's (schedule_id, card_id), on the hot path: a well-formed body is taken as
    it is (not even a model is built); anything else goes through pydantic, which accepts or
    refuses exactly as it does everywhere else."""
    data = json_body(request)
    if type(data) is dict and len(data) == 2:
        sid, cid = data.get("schedule_id"), data.get("card_id")
        if type(sid) is int and 1 <= sid < 2**31 and type(cid) is str and 1 <= len(cid) <= 64:
            return sid, cid
    body = validate_model(NewHold, data)
    return body.schedule_id, body.card_id


@bp.post("/holds")
@openapi.summary("Hold a slot (锁号) for 10 minutes; pay it to book")
@refuses(
    {
        BadRequest: ("invalid_request",),
        Unauthorized: ("invalid_token",),
        Forbidden: ("not_released", "not_admitted"),
        NotFound: ("card_not_found", "schedule_not_found"),
        TooManyRequests: ("limit_exceeded",),
        Conflict: ("sold_out", "already_held", "card_inactive", "schedule_suspended", "schedule_closed", "retry"),
    }
)
@openapi.secured("bearer")
@documents_body(NewHold.model_json_schema())
async def place_hold(request: Request):
    # No auth round trip here: the hold script checks the token inside the same Redis call.
    # Refusals (sold out, mostly, at 13:00) are answered here rather than raised: Sanic's
    # exception path costs more than the whole hold.
    try:
        schedule_id, card_id = _hold_request(request)
        hold = await service.place_hold(
            deps=request.app.ctx.deps,
            token=bearer_token(request.headers.get("authorization")),
            card_id=card_id,
            schedule_id=schedule_id,
            ip=client_ip(request),
        )
    except AppError as refused:
        request.ctx.refusal = refused.code  # for the holds metric, which would otherwise parse the body
        return json(refused.body(), status=status_of(refused))
    return json(hold, status=201)


@bp.get("/holds/<hold_id:str>")
@openapi.summary("A hold of the caller")
@resident
async def get_hold(request: Request, hold_id: str):
    return json(await service.get_hold(deps=request.app.ctx.deps, account_id=request.ctx.account_id, hold_id=hold_id))


@bp.delete("/holds/<hold_id:str>")
@openapi.summary("Give a hold back before paying")
@refuses({NotFound: ("hold_not_found",)})
@resident
async def release_hold(request: Request, hold_id: str):
    await service.release_hold(deps=request.app.ctx.deps, account_id=request.ctx.account_id, hold_id=hold_id)
    return empty()


@bp.get("/bookings")
@openapi.summary("Bookings of the caller's own and linked cards")
@resident
async def list_bookings(request: Request):
    return json(await service.list_bookings(deps=request.app.ctx.deps, account_id=request.ctx.account_id))


@bp.get("/bookings/<booking_id:id>")
@openapi.summary("One booking")
@resident
async def get_booking(request: Request, booking_id: int):
    return json(
        await service.get_booking(deps=request.app.ctx.deps, account_id=request.ctx.account_id, booking_id=booking_id)
    )


@bp.delete("/bookings/<booking_id:id>")
@openapi.summary("Cancel (退号) until the deadline: refund to the original payment, slot back to stock")
@refuses(
    {
        NotFound: ("not_found",),
        IllegalTransition: ("booking_checked_in", "not_cancellable"),
        Conflict: ("cancel_deadline_passed",),
    }
)
@resident
async def cancel_booking(request: Request, booking_id: int):
    return json(
        await service.cancel_booking(
            deps=request.app.ctx.deps, account_id=request.ctx.account_id, booking_id=booking_id
        )
    )


# --- operators ---------------------------------------------------------------------------------


class Suspension(Input):
    reason: str = Field(min_length=1, max_length=200)


class NewReferral(Input):
    card_id: str = Field(min_length=64, max_length=64)
    hospital_id: int = Field(ge=1, le=2**31 - 1)
    department_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    valid_until: dt.date
    issued_by: str = Field(min_length=1, max_length=128, description="family doctor / community health centre")


@bp.post("/admin/schedules/<schedule_id:id>/suspend")
@openapi.summary("OPERATOR: suspend a session (停诊): cancel all bookings and holds, refund, notify")
@operator
@body(Suspension)
async def suspend(request: Request, schedule_id: int, body: Suspension):
    await require_object(request, Schedule, schedule_id, what="schedule")
    return json(await service.suspend_schedule(deps=request.app.ctx.deps, schedule_id=schedule_id, reason=body.reason))


@bp.post("/admin/referrals")
@openapi.summary("OPERATOR/community: issue a family-doctor referral (referral slots 10 days ahead)")
@operator
@body(NewReferral)
async def issue_referral(request: Request, body: NewReferral):
    require_hospital(request, body.hospital_id)
    referral = await referrals.issue_referral(
        deps=request.app.ctx.deps,
        card_id=body.card_id,
        hospital_id=body.hospital_id,
        department_id=body.department_id,
        valid_until=body.valid_until,
        issued_by=body.issued_by,
    )
    return json(referral, status=201)


class ReferralQuery(BaseModel):
    hospital_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


@bp.get("/admin/referrals")
@openapi.summary("OPERATOR: referrals, newest first (a hospital admin: their hospital's)")
@operator
@query(ReferralQuery)
async def list_referrals(request: Request, query: ReferralQuery):
    return json(
        await referrals.list_referrals(
            hospital_id=scope_or(request, query.hospital_id), limit=query.limit, offset=query.offset
        )
    )


@bp.post("/admin/referrals/<referral_id:id>/revoke")
@openapi.summary("OPERATOR: revoke a referral")
@operator
async def revoke_referral(request: Request, referral_id: int):
    await require_object(request, Referral, referral_id, what="referral")
    return json(await referrals.revoke_referral(deps=request.app.ctx.deps, referral_id=referral_id))


@bp.post("/admin/stock/rebuild")
@openapi.summary("PLATFORM: rebuild the hold store from the database (after a Redis loss)")
@platform_operator
async def rebuild(request: Request):
    return json(await service.rebuild_stock(request.app.ctx.deps))
