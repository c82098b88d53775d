from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.identity.guards import resident
from backend.notifications import service

bp = Blueprint("notifications", url_prefix="/notifications")


@bp.get("")
@openapi.summary("Messages sent to the caller (suspended sessions and refunds)")
@resident
async def list_notifications(request: Request):
    return json(await service.list_for_account(account_id=request.ctx.account_id))
