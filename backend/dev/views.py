from datetime import datetime

from pydantic import Field, field_validator
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.clock import clock, iso
from backend.http import Input, body

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
