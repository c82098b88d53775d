from datetime import datetime

from pydantic import Field, field_validator
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.clock import clock, iso
from backend.dev.standins import StandInError
from backend.errors import Conflict, NotFound
from backend.http import Input, body
from backend.payments.service import handle_notification

bp = Blueprint("dev", url_prefix="/dev")


class SetClock(Input):
    now: datetime | None = Field(default=None, description="ISO-8601 with offset; omit to return to real time")
    frozen: bool = Field(default=False, description="stop the clock at `now` instead of letting it run on")

    @field_validator("now")
    @classmethod
    def _aware(cls, value):
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2026-11-23T12:59:50+08:00")
        return value


@bp.get("/clock")
@openapi.summary("DEV: the service clock")
async def get_clock(request: Request):
    return json({"now": iso(clock.now()), "real": clock.is_real})


@bp.post("/clock")
@openapi.summary("DEV: set the service clock")
@body(SetClock)
async def set_clock(request: Request, body: SetClock):
    if body.now is None:
        clock.reset()
    else:
        clock.set(body.now, frozen=body.frozen)
    return json({"now": iso(clock.now()), "real": clock.is_real})


@bp.post("/payments/<out_trade_no:str>/complete")
@openapi.summary("DEV: the WeChat stand-in has the payer pay this order and sends its signed notification")
async def complete_payment(request: Request, out_trade_no: str):
    deps = request.app.ctx.deps
    standin_pay = getattr(deps.standin, "pay", None)
    if standin_pay is None:
        raise NotFound("no WeChat stand-in is running", code="no_standin")
    if out_trade_no not in standin_pay.orders:
        raise NotFound("the stand-in has no such order", code="unknown_order")
    try:
        headers, body = standin_pay.complete_payment(out_trade_no)
    except StandInError as exc:
        raise Conflict(str(exc), code="not_payable") from None
    # The notification goes through the same verification as one arriving at /payments/wechat/notify.
    outcome = await handle_notification(deps=deps, headers=headers, body=body)
    return json({"out_trade_no": out_trade_no, "outcome": outcome})
