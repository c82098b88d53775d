from typing import Literal

from pydantic import BaseModel, Field
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.edge import refuses
from backend.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    IllegalTransition,
    NotFound,
    Unauthorized,
    Unprocessable,
)
from backend.http import Input, body, query
from backend.operators.guards import operator, require_hospital, require_object, scope_or
from backend.staff import service
from backend.staff.guards import terminal
from backend.staff.models import Terminal

bp = Blueprint("staff")


class Scan(Input):
    payload: str = Field(min_length=1, max_length=200)
    purpose: Literal["identify", "payment"] = "identify"


class CheckIn(Input):
    payload: str = Field(min_length=1, max_length=200)
    booking_id: int = Field(ge=1, le=2**31 - 1)


class NewTerminal(Input):
    hospital_id: int = Field(ge=1, le=2**31 - 1)
    name: str = Field(min_length=1, max_length=64)


class TerminalQuery(BaseModel):
    hospital_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


@bp.post("/staff/scan")
@openapi.summary("TERMINAL: resolve a card code to the masked identity and today's bookings here")
@refuses(
    {
        Unauthorized: ("terminal_unauthenticated", "bad_signature", "stale_timestamp", "replayed_nonce"),
        Forbidden: ("terminal_disabled",),
        BadRequest: ("invalid_request", "qr_malformed", "card_mismatch"),
        NotFound: ("qr_unknown",),
        Gone: ("qr_expired", "qr_revoked"),
        Unprocessable: ("qr_tampered", "qr_static_not_allowed"),
        Conflict: ("qr_reused", "card_inactive"),
    }
)
@terminal
@body(Scan)
async def scan(request: Request, body: Scan):
    return json(
        await service.scan(
            deps=request.app.ctx.deps, terminal=request.ctx.terminal, payload=body.payload, purpose=body.purpose
        )
    )


@bp.post("/staff/checkins")
@openapi.summary("TERMINAL: check a patient in with their dynamic code (single use)")
@refuses(
    {
        Unauthorized: ("terminal_unauthenticated", "bad_signature", "stale_timestamp", "replayed_nonce"),
        Forbidden: ("terminal_disabled",),
        BadRequest: ("invalid_request", "qr_malformed", "card_mismatch"),
        Gone: ("qr_expired", "qr_revoked"),
        Unprocessable: ("qr_tampered", "qr_static_not_allowed"),
        NotFound: ("booking_not_found",),
        Conflict: ("qr_reused", "card_inactive", "not_today"),
        IllegalTransition: ("already_checked_in", "not_checkinable"),
    }
)
@terminal
@body(CheckIn)
async def check_in(request: Request, body: CheckIn):
    return json(
        await service.check_in(
            deps=request.app.ctx.deps, terminal=request.ctx.terminal, payload=body.payload, booking_id=body.booking_id
        )
    )


@bp.post("/staff/schedules/<schedule_id:id>/call-next")
@openapi.summary("TERMINAL: call the next checked-in patient of a session")
@refuses(
    {
        Unauthorized: ("terminal_unauthenticated", "bad_signature", "stale_timestamp", "replayed_nonce"),
        Forbidden: ("terminal_disabled",),
        NotFound: ("not_found",),
        Conflict: ("queue_empty",),
    }
)
@terminal
async def call_next(request: Request, schedule_id: int):
    return json(
        await service.call_next(
            terminal=request.ctx.terminal,
            schedule_id=schedule_id,
            queue_reminder_ahead=request.app.ctx.deps.settings.messages.queue_reminder_ahead,
        )
    )


@bp.post("/admin/terminals")
@openapi.summary("OPERATOR: register a terminal for a hospital; its secret is shown only here")
@operator
@body(NewTerminal)
async def register(request: Request, body: NewTerminal):
    require_hospital(request, body.hospital_id)
    return json(
        await service.register_terminal(deps=request.app.ctx.deps, hospital_id=body.hospital_id, name=body.name),
        status=201,
    )


@bp.get("/admin/terminals")
@openapi.summary("OPERATOR: terminals")
@operator
@query(TerminalQuery)
async def list_terminals(request: Request, query: TerminalQuery):
    return json(await service.list_terminals(hospital_id=scope_or(request, query.hospital_id)))


@bp.post("/admin/terminals/<terminal_id:id>/disable")
@openapi.summary("OPERATOR: disable a terminal (refused at once)")
@operator
async def disable(request: Request, terminal_id: int):
    await require_object(request, Terminal, terminal_id, what="terminal")
    return json(await service.set_terminal_status(terminal_id=terminal_id, active=False, deps=request.app.ctx.deps))


@bp.post("/admin/terminals/<terminal_id:id>/enable")
@openapi.summary("OPERATOR: enable a terminal again")
@operator
async def enable(request: Request, terminal_id: int):
    await require_object(request, Terminal, terminal_id, what="terminal")
    return json(await service.set_terminal_status(terminal_id=terminal_id, active=True, deps=request.app.ctx.deps))


@bp.post("/admin/terminals/<terminal_id:id>/rotate")
@openapi.summary("OPERATOR: new credentials for a terminal (the old secret stops working)")
@operator
async def rotate(request: Request, terminal_id: int):
    await require_object(request, Terminal, terminal_id, what="terminal")
    return json(await service.rotate_terminal(deps=request.app.ctx.deps, terminal_id=terminal_id))
