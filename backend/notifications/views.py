from typing import Annotated

from pydantic import BaseModel, Field, StrictBool, model_validator
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.edge import refuses
from backend.errors import BadRequest
from backend.http import Input, body, query
from backend.identity.guards import resident
from backend.notifications import service

bp = Blueprint("notifications", url_prefix="/notifications")


class InboxQuery(BaseModel):
    before: int | None = Field(default=None, ge=1, le=2**31 - 1, description="the next_before of the previous page")
    limit: int = Field(default=service.INBOX_PAGE, ge=1, le=service.INBOX_PAGE_MAX)


class Subscriptions(Input):
    templates: dict[str, str] = Field(
        max_length=32, description='what wx.requestSubscribeMessage answered, by kind: {kind: "accept"|"reject"}'
    )


MessageId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class MarkRead(Input):
    ids: list[MessageId] = Field(default_factory=list, max_length=200)
    all: StrictBool = False

    @model_validator(mode="after")
    def _something(self):
        if not self.ids and not self.all:
            raise ValueError("give ids, or all: true")
        return self


@bp.get("")
@openapi.summary("The inbox: every message to the caller, newest first, paged (next_before), with the unread count")
@resident
@query(InboxQuery)
async def list_notifications(request: Request, query: InboxQuery):
    return json(
        await service.list_for_account(account_id=request.ctx.account_id, before=query.before, limit=query.limit)
    )


@bp.get("/unread")
@openapi.summary("How many of the caller's messages are unread (the badge)")
@resident
async def unread(request: Request):
    return json({"unread": await service.unread_count(account_id=request.ctx.account_id)})


@bp.post("/read")
@openapi.summary("Mark messages read: {ids: [...]} or {all: true}; answers the unread count")
@resident
@body(MarkRead)
async def mark_read(request: Request, body: MarkRead):
    return json(await service.mark_read(account_id=request.ctx.account_id, ids=body.ids, everything=body.all))


@bp.get("/templates")
@openapi.summary("The subscribe-message template id of each kind (for wx.requestSubscribeMessage), and allowances")
@resident
async def templates(request: Request):
    settings = request.app.ctx.deps.settings
    table = service.templates(settings)
    counted = await service.allowances(settings=settings, account_id=request.ctx.account_id)
    return json({"templates": {kind: t.template_id for kind, t in table.items()}, **counted})


@bp.post("/subscriptions")
@openapi.summary("What wx.requestSubscribeMessage answered: one allowance per accepted template")
@refuses({BadRequest: ("unknown_kind", "invalid_answer")})
@resident
@body(Subscriptions)
async def subscriptions(request: Request, body: Subscriptions):
    return json(
        await service.record_subscriptions(
            settings=request.app.ctx.deps.settings, account_id=request.ctx.account_id, answers=body.templates
        )
    )
