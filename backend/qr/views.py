from typing import Literal

from pydantic import BaseModel
from sanic import Blueprint, Request, json
from sanic.response import raw
from sanic_ext import openapi

from backend.cards import service as cards
from backend.errors import NotFound
from backend.http import query
from backend.identity.guards import resident
from backend.qr import service

bp = Blueprint("qr", url_prefix="/cards")


class QrQuery(BaseModel):
    kind: Literal["dynamic", "static"] = "dynamic"
    format: Literal["json", "png", "svg"] = "json"
    size: Literal["screen", "print"] = "screen"


@bp.get("/<card_id:str>/qrcode")
@openapi.summary("The card's QR code: dynamic (refresh every 60 s) or static; JSON, PNG or SVG")
@resident
@query(QrQuery)
async def qrcode_for_card(request: Request, card_id: str, query: QrQuery):
    # Residents refresh this every minute at the clinic: answered from Redis, no database.
    deps = request.app.ctx.deps
    if not cards.rules.is_card_id(card_id) or await cards.usable_card(deps, account_id=request.ctx.account_id, card_id=card_id) is None:
        raise NotFound("no such card")
    code = service.issue(deps, card_id, kind=query.kind)
    # a dynamic code must not outlive its minute in any cache
    headers = {"Cache-Control": "no-store" if query.kind == "dynamic" else "private, max-age=3600"}
    if query.format == "json":
        return json(code, headers=headers)
    body, content_type = service.image(code["payload"], fmt=query.format, size=query.size)
    return raw(body, content_type=content_type, headers=headers)
