import datetime as dt

from pydantic import BaseModel, Field, field_validator
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.actions import service as actions
from backend.audit import service
from backend.http import query
from backend.identity.guards import resident
from backend.operators.guards import operator, scope_or

bp = Blueprint("audit")


class LogQuery(BaseModel):
    card_id: str | None = Field(default=None, max_length=64)
    terminal_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    from_: dt.datetime | None = Field(default=None, alias="from")
    to: dt.datetime | None = None
    limit: int = Field(default=100, ge=1, le=500)

    @field_validator("from_", "to")
    @classmethod
    def _aware(cls, value):
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a UTC offset")
        return value


@bp.get("/cards/<card_id:str>/access-log")
@openapi.summary("Who scanned or viewed this card (hospital, terminal, time, result)")
@resident
async def card_access_log(request: Request, card_id: str):
    return json(
        await service.for_resident(account_id=request.ctx.account_id, card_id=card_id, deps=request.app.ctx.deps)
    )


@bp.get("/admin/access-log")
@openapi.summary("OPERATOR: the access log by card or terminal and time range")
@operator
@query(LogQuery)
async def access_log(request: Request, query: LogQuery):
    if request.ctx.operator.scope is not None:  # a hospital admin: their hospital's entries only
        return json(
            (
                await service.for_console(
                    hospital_id=request.ctx.operator.scope,
                    card_id=query.card_id,
                    terminal_id=query.terminal_id,
                    action=None,
                    result=None,
                    since=query.from_,
                    until=query.to,
                    before=None,
                    limit=query.limit,
                    deps=request.app.ctx.deps,
                )
            )["entries"]
        )
    return json(
        await service.for_operator(
            card_id=query.card_id,
            terminal_id=query.terminal_id,
            since=query.from_,
            until=query.to,
            limit=query.limit,
            deps=request.app.ctx.deps,
        )
    )


class TimePage(BaseModel):
    """A time range (with a UTC offset) and a page, newest first: what both audit logs take."""

    from_: dt.datetime | None = Field(default=None, alias="from")
    to: dt.datetime | None = None
    before: int | None = Field(default=None, ge=1, le=2**63 - 1, description="next_cursor of the previous page")
    limit: int = Field(default=50, ge=1, le=500)

    @field_validator("from_", "to")
    @classmethod
    def _aware(cls, value):
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a UTC offset")
        return value


class AuditQuery(TimePage):
    hospital_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    card_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    terminal_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    action: str | None = Field(default=None, pattern=r"^[a-z_]{1,16}$")
    result: str | None = Field(default=None, pattern=r"^[a-z_]{1,32}$")


@bp.get("/admin/audit")
@openapi.summary(
    "OPERATOR: the scan log, filtered (hospital, card, terminal, action, result, time) and paged newest first"
)
@operator
@query(AuditQuery)
async def audit_log(request: Request, query: AuditQuery):
    return json(
        await service.for_console(
            hospital_id=scope_or(request, query.hospital_id),
            card_id=query.card_id,
            terminal_id=query.terminal_id,
            action=query.action,
            result=query.result,
            since=query.from_,
            until=query.to,
            before=query.before,
            limit=query.limit,
            deps=request.app.ctx.deps,
        )
    )


class ActionQuery(TimePage):
    hospital_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    operator_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    actor: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_.@:-]{1,80}$", description='a username, "cli", "his:<code>"'
    )
    action: str | None = Field(
        default=None, pattern=r"^[a-z_]{1,24}\.[a-z_]{1,23}$", description='e.g. "schedule.suspend"'
    )
    target_kind: str | None = Field(default=None, pattern=r"^[a-z_]{1,24}$", description='e.g. "schedule", "card"')
    target_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")


@bp.get("/admin/audit/actions")
@openapi.summary("OPERATOR: every operator action (who, where, what, the change, the reason), filtered, newest first")
@openapi.description(
    "Beside the scan log of GET /admin/audit. Filters: hospital_id, operator_id, actor, action, target_kind + "
    "target_id, from/to (with a UTC offset); `before` is the previous page's next_cursor. A hospital admin sees only "
    "their hospital's entries: platform-wide actions (operator accounts of the platform, stock rebuilds) have no "
    "hospital and are not shown to them."
)
@operator
@query(ActionQuery)
async def operator_actions(request: Request, query: ActionQuery):
    return json(
        await actions.for_console(
            hospital_id=scope_or(request, query.hospital_id),
            operator_id=query.operator_id,
            actor=query.actor,
            action=query.action,
            target_kind=query.target_kind,
            target_id=query.target_id,
            since=query.from_,
            until=query.to,
            before=query.before,
            limit=query.limit,
        )
    )
