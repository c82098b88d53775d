from pydantic import Field
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.cards import service
from backend.http import DigitText, Input, body
from backend.identity.guards import resident

bp = Blueprint("cards", url_prefix="/cards")


class ClaimCard(Input):
    name: str = Field(min_length=1, max_length=60)
    id_number: DigitText = Field(min_length=1, max_length=32, description="18-character resident ID number (GB 11643)")
    phone: DigitText = Field(min_length=1, max_length=20)
    sms_code: str = Field(pattern=r"^[0-9]{6}$")


@bp.post("")
@openapi.summary("Claim the caller's own electronic health card by real name (实名领卡)")
@resident
@body(ClaimCard)
async def claim(request: Request, body: ClaimCard):
    card, created = await service.claim_card(
        deps=request.app.ctx.deps,
        account_id=request.ctx.account_id,
        name=body.name,
        id_number=body.id_number,
        phone=body.phone,
        sms_code=body.sms_code,
    )
    return json(card, status=201 if created else 200)


@bp.get("")
@openapi.summary("The caller's own card first, then linked family members' cards")
@resident
async def list_cards(request: Request):
    return json(await service.list_cards(deps=request.app.ctx.deps, account_id=request.ctx.account_id))


@bp.get("/<card_id:str>")
@openapi.summary("One card the caller may use")
@resident
async def get_card(request: Request, card_id: str):
    return json(await service.get_card(deps=request.app.ctx.deps, account_id=request.ctx.account_id, card_id=card_id))


@bp.post("/<card_id:str>/reissue")
@openapi.summary("Reissue the card_id (revokes the printed static code; bookings are kept)")
@resident
async def reissue(request: Request, card_id: str):
    return json(await service.reissue_card(deps=request.app.ctx.deps, account_id=request.ctx.account_id, card_id=card_id))
