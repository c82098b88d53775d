from pydantic import Field
from sanic import Blueprint, Request, json
from sanic.response import empty
from sanic_ext import openapi

from backend.edge import refuses
from backend.errors import TooManyRequests
from backend.http import Input, body, client_ip
from backend.identity import service
from backend.identity.guards import resident

bp = Blueprint("identity", url_prefix="/auth")


class WxLogin(Input):
    code: str = Field(min_length=1, max_length=128, description="the code from wx.login()")


@bp.post("/wx-login")
@openapi.summary("Log in with a wx.login code; returns the service's own bearer token")
@refuses({TooManyRequests: ("limit_exceeded",)})
@body(WxLogin)
async def wx_login(request: Request, body: WxLogin):
    deps = request.app.ctx.deps
    await service.check_login_rate(deps=deps, ip=client_ip(request))
    return json(await service.login_with_wechat(deps=deps, code=body.code))


@bp.post("/logout")
@openapi.summary("Revoke the bearer token")
@resident
async def logout(request: Request):
    await service.logout(deps=request.app.ctx.deps, token=request.ctx.token)
    return empty()


@bp.get("/me")
@openapi.summary("Who the bearer token belongs to")
@resident
async def me(request: Request):
    return json({"account_id": request.ctx.account_id})
