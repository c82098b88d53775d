from pydantic import Field
from sanic import Blueprint, Request, json
from sanic.response import empty
from sanic_ext import openapi

from backend.cards import links, service
from backend.edge import refuses
from backend.errors import BadRequest, Conflict, Forbidden, NotFound
from backend.http import DigitText, Input, body
from backend.identity.guards import resident

bp = Blueprint("cards", url_prefix="/cards")


class ClaimCard(Input):
    name: str = Field(min_length=1, max_length=60)
    id_number: DigitText = Field(min_length=1, max_length=32, description="18-character resident ID number (GB 11643)")
    phone: DigitText = Field(min_length=1, max_length=20)
    sms_code: str = Field(pattern=r"^[0-9]{6}$")


class ChangePhone(Input):
    phone: DigitText = Field(
        min_length=1, max_length=20, description="the new phone; the SMS code (purpose change_phone) goes there"
    )
    sms_code: str = Field(pattern=r"^[0-9]{6}$")


@bp.post("")
@openapi.summary("Claim the caller's own electronic health card by real name (实名领卡)")
@openapi.description(
    "A card that exists already (made by a family link, or this account's own) is reached only with the SMS code "
    "sent to its registered phone; another phone is refused with phone_mismatch and the registered phone masked."
)
@refuses(
    {
        BadRequest: ("invalid_name", "invalid_id_number", "invalid_phone"),
        Conflict: ("already_claimed", "self_card_exists", "identity_mismatch", "phone_mismatch"),
    }
)
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
@openapi.description("The owner's alone; for a card without an owner, any account linked to it.")
@refuses({NotFound: ("not_found",), Forbidden: ("owner_only",)})
@resident
async def reissue(request: Request, card_id: str):
    return json(
        await service.reissue_card(deps=request.app.ctx.deps, account_id=request.ctx.account_id, card_id=card_id)
    )


@bp.get("/<card_id:str>/links")
@openapi.summary("The accounts linked to the caller's own card (谁在使用我的卡)")
@refuses({NotFound: ("not_found",)})
@resident
async def list_links(request: Request, card_id: str):
    return json(await links.list_links(account_id=request.ctx.account_id, card_id=card_id))


@bp.delete("/<card_id:str>/links/<link_id:id>")
@openapi.summary("End a link to the caller's own card at once (the 45-day lock binds only the linking account)")
@refuses({NotFound: ("not_found", "link_not_found")})
@resident
async def end_link(request: Request, card_id: str, link_id: int):
    await links.end_link_as_owner(
        deps=request.app.ctx.deps, account_id=request.ctx.account_id, card_id=card_id, link_id=link_id
    )
    return empty()


@bp.put("/<card_id:str>/phone")
@openapi.summary("Move the caller's own card to a new phone, proven by the code sent to that phone")
@refuses(
    {NotFound: ("not_found",), Forbidden: ("owner_only",), BadRequest: ("invalid_phone",), Conflict: ("same_phone",)}
)
@resident
@body(ChangePhone)
async def change_phone(request: Request, card_id: str, body: ChangePhone):
    card = await service.change_phone(
        deps=request.app.ctx.deps,
        account_id=request.ctx.account_id,
        card_id=card_id,
        phone=body.phone,
        sms_code=body.sms_code,
    )
    return json(card)
