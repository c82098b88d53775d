from typing import Literal

from pydantic import BaseModel
from sanic import Blueprint, Request, json
from sanic.response import raw
from sanic_ext import openapi

from backend.cards import service as cards
from backend.errors import NotFound, Unauthorized
from backend.http import validate_model
from backend.identity.rules import bearer_token
from backend.qr import images, service

bp = Blueprint("qr", url_prefix="/cards")


class QrQuery(BaseModel):
    kind: Literal["dynamic", "static"] = "dynamic"
    format: Literal["json", "png", "svg"] = "json"
    size: Literal["screen", "print"] = "screen"


DEFAULT_QUERY = QrQuery()


@bp.get("/<card_id:str>/qrcode")
@openapi.summary("The card's QR code: dynamic (refresh every 60 s) or static; JSON, PNG or SVG")
@openapi.secured("bearer")
@openapi.parameter("kind", str, "query")
@openapi.parameter("format", str, "query")
@openapi.parameter("size", str, "query")
async def qrcode_for_card(request: Request, card_id: str):
    # Residents refresh this every minute at the clinic: the session and the card are checked in
    # one batched Redis call (no database), and images are drawn off the event loop.
    deps = request.app.ctx.deps
    # the refresh every minute asks for the defaults: no validation to run for an empty query
    query = (
        DEFAULT_QUERY
        if not request.query_string
        else validate_model(QrQuery, {k: v[0] if len(v) == 1 else v for k, v in request.args.items()})
    )
    token = bearer_token(request.headers.get("authorization"))
    if not cards.rules.is_card_id(card_id):
        if token is None:
            raise Unauthorized("a valid bearer token is required", code="invalid_token")
        raise NotFound("no such card")
    await service.card_for_fetch(deps, token=token, card_id=card_id)
    code = service.issue(deps, card_id, kind=query.kind)
    # a dynamic code must not outlive its minute in any cache
    headers = {"Cache-Control": "no-store" if query.kind == "dynamic" else "private, max-age=3600"}
    if query.format == "json":
        return json(code, headers=headers)
    body, content_type = await images.image(code["payload"], kind=query.kind, fmt=query.format, size=query.size)
    return raw(body, content_type=content_type, headers=headers)
