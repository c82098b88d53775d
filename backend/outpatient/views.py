"""Outpatient charges (门诊缴费): residents list and pay (/outpatient), hospital systems push,
void, read the paid feed, acknowledge, reject and refund (/his/{hospital_code}/charges), the
console lists a hospital's paid charges (/admin/hospitals/{id}/charges)."""

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.catalog.models import Hospital
from backend.edge import refuses
from backend.errors import BadRequest, Conflict, NotFound, Unavailable, UpstreamFailed
from backend.his.guards import hospital_system
from backend.http import DigitText, Input, body, query
from backend.identity.guards import resident
from backend.operators.guards import operator, scope_or
from backend.outpatient import rules, service

bp = Blueprint("outpatient", url_prefix="/outpatient")
his_bp = Blueprint("his_charges", url_prefix="/his")
admin_bp = Blueprint("console_charges", url_prefix="/admin")

FEN = Field(strict=True, ge=-(2**63), le=2**63 - 1)


def _printable(value):
    if value is not None and any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("may not contain control characters")
    return value


# --- residents -----------------------------------------------------------------------------------


class ChargesQuery(BaseModel):
    card_id: str = Field(min_length=1, max_length=64)
    status: Literal["unpaid", "paid"] | None = None


@bp.get("/charges")
@openapi.summary(
    "Charges of a card (own or a linked member's): unpaid, or paid (with receipt number, guidance and refunds)"
)
@refuses({NotFound: ("card_not_found",)})
@resident
@query(ChargesQuery)
async def list_charges(request: Request, query: ChargesQuery):
    return json(
        await service.list_charges(account_id=request.ctx.account_id, card_id=query.card_id, status=query.status)
    )


class PayCharges(Input):
    hospital_id: int = Field(ge=1, le=2**31 - 1)
    card_id: str = Field(min_length=1, max_length=64)
    charge_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(min_length=1, max_length=50)
    versions: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] | None = Field(
        default=None,
        max_length=50,
        description="the version of each charge as the resident saw it (same order as charge_ids): a charge "
        "changed since refuses the order with 409 charge_changed",
    )


@bp.post("/payments")
@openapi.summary(
    "Pay unpaid charges of one card at one hospital in one WeChat Pay order (201; the same selection again: "
    "the same open order)"
)
@refuses(
    {
        NotFound: ("card_not_found", "charge_not_found"),
        Conflict: ("charge_changed", "charge_in_payment", "charge_paid", "charge_not_payable", "pay_group_incomplete"),
        Unavailable: ("payment_unavailable",),
        UpstreamFailed: ("payment_unavailable",),
    }
)
@resident
@body(PayCharges)
async def pay_charges(request: Request, body: PayCharges):
    started = await service.create_order(
        deps=request.app.ctx.deps,
        account_id=request.ctx.account_id,
        hospital_id=body.hospital_id,
        card_id=body.card_id,
        charge_ids=body.charge_ids,
        versions=body.versions,
    )
    return json(started, status=201)


# --- hospital systems ----------------------------------------------------------------------------


def _charge_no(value: str) -> str:
    if not rules.valid_charge_no(value):
        raise NotFound("no such charge at this hospital", code="charge_not_found")
    return value


class ChargePush(Input):
    id_number: DigitText = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=40)
    department: str = Field(min_length=1, max_length=64)
    doctor: str = Field(min_length=1, max_length=40)
    ordered_at: dt.datetime
    items: Any = Field(
        description="[{item_code, name, category, unit, quantity, unit_price_fen, amount_fen}] by the bill rules; "
        "any bad item refuses the charge (422 invalid_items, one entry per bad item)"
    )
    total_fen: int = Field(strict=True, ge=-(2**63), le=2**63 - 1, description="must equal the sum of amount_fen")
    pay_group: str | None = Field(default=None, pattern=rules.PAY_GROUP, description="paid together or not at all")
    insurance: bool = Field(default=False, description="医保: shown, paid at the hospital, not online")
    visit_no: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,32}$", description="groups one visit's charges"
    )

    @field_validator("ordered_at")
    @classmethod
    def _aware(cls, value):
        if value.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2026-11-20T09:30:00+08:00")
        return value

    _text = field_validator("name", "department", "doctor", "id_number")(classmethod(lambda cls, v: _printable(v)))


@his_bp.put("/<hospital_code:str>/charges/<charge_no:str>")
@openapi.summary(
    "HIS: create (201) or replace while unpaid (200, version + 1) an outpatient charge; 409 charge_paid once paid; "
    "422 invalid_items"
)
@hospital_system
@body(ChargePush)
async def put_charge(request: Request, hospital_code: str, charge_no: str, body: ChargePush):
    deps = request.app.ctx.deps
    view, created, to_close = await service.put_charge(
        deps=deps,
        hospital=request.ctx.hospital,
        charge_no=_charge_no(charge_no),
        id_number=body.id_number,
        name=body.name,
        department=body.department,
        doctor=body.doctor,
        ordered_at=body.ordered_at,
        raw_items=body.items,
        total_fen=body.total_fen,
        pay_group=body.pay_group,
        insurance=body.insurance,
        visit_no=body.visit_no,
    )
    await service.close_orders(deps, to_close)
    return json(view, status=201 if created else 200)


@his_bp.delete("/<hospital_code:str>/charges/<charge_no:str>")
@openapi.summary("HIS: void an unpaid charge (an order open for it is closed; paid meanwhile: refunded)")
@refuses({NotFound: ("charge_not_found",), Conflict: ("charge_paid",)})
@hospital_system
async def void_charge(request: Request, hospital_code: str, charge_no: str):
    deps = request.app.ctx.deps
    view, to_close = await service.void_charge(hospital=request.ctx.hospital, charge_no=_charge_no(charge_no))
    await service.close_orders(deps, to_close)
    return json(view)


class FeedQuery(BaseModel):
    after: DigitText | None = Field(default=None, max_length=20)


@his_bp.get("/<hospital_code:str>/charges/paid")
@openapi.summary("HIS: paid charges not yet acknowledged, oldest first (follow next_cursor)")
@hospital_system
@query(FeedQuery)
async def paid_feed(request: Request, hospital_code: str, query: FeedQuery):
    return json(await service.paid_feed(hospital=request.ctx.hospital, after=query.after))


class AckEntry(Input):
    charge_no: str = Field(pattern=rules.CHARGE_NO)
    receipt_no: str | None = Field(default=None, min_length=1, max_length=64)
    guide: str | None = Field(default=None, min_length=1, max_length=200, description="e.g. 请到门诊药房3号窗口取药")

    _text = field_validator("receipt_no", "guide")(classmethod(lambda cls, v: _printable(v)))


class Ack(Input):
    charges: list[AckEntry] = Field(min_length=1, max_length=500)


@his_bp.post("/<hospital_code:str>/charges/ack")
@openapi.summary("HIS: acknowledge paid charges with receipt number and guidance (they leave the feed)")
@hospital_system
@body(Ack)
async def acknowledge(request: Request, hospital_code: str, body: Ack):
    return json(
        await service.acknowledge(hospital=request.ctx.hospital, entries=[e.model_dump() for e in body.charges])
    )


class Reject(Input):
    reason: str = Field(min_length=1, max_length=200)

    _text = field_validator("reason")(classmethod(lambda cls, v: _printable(v)))


@his_bp.post("/<hospital_code:str>/charges/<charge_no:str>/reject")
@openapi.summary("HIS: the hospital could not settle a paid charge: all of it goes back to the resident")
@refuses({NotFound: ("charge_not_found",), Conflict: ("charge_not_rejectable",)})
@hospital_system
@body(Reject)
async def reject_charge(request: Request, hospital_code: str, charge_no: str, body: Reject):
    return json(
        await service.reject_charge(
            deps=request.app.ctx.deps,
            hospital=request.ctx.hospital,
            charge_no=_charge_no(charge_no),
            reason=body.reason,
        )
    )


class RefundRequest(Input):
    amount_fen: int = Field(strict=True, ge=-(2**63), le=2**63 - 1, description="positive, at most what is left")
    reason: str = Field(min_length=1, max_length=200)
    refund_no: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,32}$",
        description="the hospital's own refund number: the same request sent again is answered, not counted twice",
    )

    _text = field_validator("reason")(classmethod(lambda cls, v: _printable(v)))


@his_bp.post("/<hospital_code:str>/charges/<charge_no:str>/refund")
@openapi.summary(
    "HIS: give back part or all of a paid charge (never more than was paid in all); 201, 200 when repeated"
)
@refuses(
    {
        NotFound: ("charge_not_found",),
        Conflict: ("charge_not_refundable", "refund_exceeds_paid", "refund_no_reused"),
    }
)
@hospital_system
@body(RefundRequest)
async def refund_charge(request: Request, hospital_code: str, charge_no: str, body: RefundRequest):
    view, new = await service.refund_charge(
        deps=request.app.ctx.deps,
        hospital=request.ctx.hospital,
        charge_no=_charge_no(charge_no),
        amount_fen=body.amount_fen,
        reason=body.reason,
        refund_no=body.refund_no,
    )
    return json(view, status=201 if new else 200)


# --- the console ---------------------------------------------------------------------------------


class ConsoleQuery(BaseModel):
    state: Literal["waiting", "overdue", "acknowledged", "rejected", "refunded"] | None = None


@admin_bp.get("/hospitals/<hospital_id:id>/charges")
@openapi.summary(
    "OPERATOR: a hospital's paid outpatient charges: waiting for acknowledgement (overdue ones marked), "
    "acknowledged, rejected, refunded (a hospital admin: their hospital)"
)
@refuses({NotFound: ("hospital_not_found",)})
@operator
@query(ConsoleQuery)
async def console_charges(request: Request, hospital_id: int, query: ConsoleQuery):
    scoped = scope_or(request, hospital_id)
    if scoped != hospital_id or not await Hospital.exists(id=hospital_id):
        raise NotFound("no such hospital", code="hospital_not_found")
    return json(
        await service.console_charges(
            hospital_id=hospital_id,
            state=query.state,
            overdue_minutes=request.app.ctx.deps.settings.payments.charge_ack_overdue_minutes,
        )
    )


__all__ = ["bp", "his_bp", "admin_bp", "BadRequest"]
