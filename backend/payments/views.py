from sanic import Blueprint, Request, json
from sanic.response import empty
from sanic_ext import openapi

from backend.edge import refuses
from backend.errors import Conflict, NotFound, Unauthorized, Unavailable, UpstreamFailed
from backend.identity.guards import resident
from backend.payments import service

bp = Blueprint("payments")


@bp.post("/holds/<hold_id:str>/payment")
@openapi.summary("Start paying a hold: returns pay_params for wx.requestPayment")
@refuses(
    {
        NotFound: ("hold_not_found",),
        Conflict: ("hold_expired", "already_paid"),
        Unavailable: ("payment_unavailable",),
        UpstreamFailed: ("payment_unavailable",),
    }
)
@resident
async def start_payment(request: Request, hold_id: str):
    return json(
        await service.start_payment(
            deps=request.app.ctx.deps, purpose="booking", account_id=request.ctx.account_id, subject=hold_id
        )
    )


@bp.get("/payments/<out_trade_no:str>")
@openapi.summary("A payment of the caller: poll after wx.requestPayment returns")
@resident
async def payment_status(request: Request, out_trade_no: str):
    return json(
        await service.payment_status(
            deps=request.app.ctx.deps, account_id=request.ctx.account_id, out_trade_no=out_trade_no
        )
    )


@bp.post("/payments/wechat/notify")
@openapi.summary("WeChat Pay v3 payment notification (signature-verified, idempotent)")
@refuses({Unauthorized: ("invalid_notification",), NotFound: ("unknown_order",)})
async def notify(request: Request):
    await service.handle_notification(deps=request.app.ctx.deps, headers=request.headers, body=request.body)
    return empty()  # 204: WeChat takes any 2xx without a body as received
