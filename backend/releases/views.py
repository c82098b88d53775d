"""The release waiting room: residents take and poll tickets; operators set a hospital's room."""

from __future__ import annotations

from pydantic import Field
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.edge import refuses
from backend.errors import BadRequest, Conflict, NotFound, TooManyRequests, Unauthorized
from backend.http import Input, body, client_ip
from backend.identity.rules import bearer_token
from backend.operators.guards import operator, require_hospital
from backend.releases import service

bp = Blueprint("releases")


@bp.post("/releases/<hospital_id:id>/tickets")
@openapi.summary("Take a ticket for the hospital's coming release (one per account and release)")
@openapi.description(
    "From a few minutes before the release time: tickets taken before the release are put in a "
    "random order at the release moment, later ones queue in arrival order. 201 when new, 200 "
    "with the ticket the account already has. During the release window a hold in the newly "
    "released sessions needs an admitted ticket (403 not_admitted otherwise)."
)
@refuses(
    {
        Unauthorized: ("invalid_token",),
        NotFound: ("hospital_not_found",),
        Conflict: ("room_not_open",),
        TooManyRequests: ("limit_exceeded",),
    }
)
@openapi.secured("bearer")
async def take_ticket(request: Request, hospital_id: int):
    # the session is read with the address's count, in one round trip (service.take_ticket)
    ticket, created = await service.take_ticket(
        deps=request.app.ctx.deps,
        token=bearer_token(request.headers.get("authorization")),
        hospital_id=hospital_id,
        ip=client_ip(request),
    )
    return json(ticket, status=201 if created else 200)


@bp.get("/releases/<hospital_id:id>/tickets/<ticket:str>")
@openapi.summary("A ticket's position, the number admitted so far, the estimated wait and its status")
@openapi.description(
    "Cheap enough to poll every few seconds: one Redis call. The signed ticket is its own "
    "credential; it names the account it was issued to and admits only that account's holds."
)
@refuses({NotFound: ("ticket_not_found", "hospital_not_found")})
async def ticket_status(request: Request, hospital_id: int, ticket: str):
    return json(await service.ticket_status(deps=request.app.ctx.deps, hospital_id=hospital_id, ticket=ticket))


class RoomChange(Input):
    enabled: bool | None = None
    rate_per_s: int | None = Field(default=None, ge=0, le=100_000)


@bp.get("/admin/hospitals/<hospital_id:id>/release-room")
@openapi.summary("OPERATOR: the hospital's release waiting room, its settings and live figures")
@refuses({NotFound: ("hospital_not_found",)})
@operator
async def get_room(request: Request, hospital_id: int):
    require_hospital(request, hospital_id)
    return json(await service.room_view(deps=request.app.ctx.deps, hospital_id=hospital_id))


@bp.put("/admin/hospitals/<hospital_id:id>/release-room")
@openapi.summary("OPERATOR: turn the hospital's waiting room on or off, or set its admission rate per second")
@refuses({BadRequest: ("invalid_request",), NotFound: ("hospital_not_found",)})
@operator
@body(RoomChange)
async def set_room(request: Request, hospital_id: int, body: RoomChange):
    require_hospital(request, hospital_id)
    return json(
        await service.set_room(
            deps=request.app.ctx.deps, hospital_id=hospital_id, enabled=body.enabled, rate_per_s=body.rate_per_s
        )
    )
