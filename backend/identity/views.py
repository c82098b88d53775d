from pydantic import Field
from sanic import Blueprint, Request, json
from sanic.response import empty
from sanic_ext import openapi

from backend.http import Input, body
from backend.identity import service
from backend.identity.guards import resident

bp = Blueprint("identity", url_prefix="/auth")


class WxLogin(Input):
    code: str = Field(min_length=1, max_length=128, description="the code from wx.login()")


@bp.post("/wx-login")
@openapi.summary("Log in with a wx.login code; returns the service's own bearer token")
@body(WxLogin)
async def wx_login(request: Request, body: WxLogin):
    return json(await service.login_with_wechat(deps=request.app.ctx.deps, code=body.code))


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
