from pydantic import Field
from sanic import Blueprint, Request, json
from sanic.response import empty
from sanic_ext import openapi

from backend.cards.rules import RELATIONS
from backend.edge import refuses
from backend.errors import Conflict, NotFound
from backend.family import service
from backend.http import DigitText, Input, body
from backend.identity.guards import resident

bp = Blueprint("family", url_prefix="/family")


class AddMember(Input):
    name: str = Field(min_length=1, max_length=60)
    id_number: DigitText = Field(min_length=1, max_length=32)
    phone: DigitText = Field(min_length=1, max_length=20, description="the member's phone; the SMS code goes there")
    relation: str = Field(description=f"one of {', '.join(RELATIONS)}", max_length=16)
    sms_code: str = Field(pattern=r"^[0-9]{6}$")


@bp.get("")
@openapi.summary("Linked family members")
@resident
async def list_members(request: Request):
    return json(await service.list_members(deps=request.app.ctx.deps, account_id=request.ctx.account_id))


@bp.post("")
@openapi.summary("Link a family member (claims their card if it does not exist yet)")
@resident
@body(AddMember)
async def add_member(request: Request, body: AddMember):
    member = await service.add_member(
        deps=request.app.ctx.deps,
        account_id=request.ctx.account_id,
        name=body.name,
        id_number=body.id_number,
        phone=body.phone,
        relation=body.relation,
        sms_code=body.sms_code,
    )
    return json(member, status=201)


@bp.delete("/<member_id:id>")
@openapi.summary("Unlink a family member (allowed from day 45 after linking)")
@refuses({NotFound: ("not_found",), Conflict: ("removal_locked",)})
@resident
async def remove_member(request: Request, member_id: int):
    await service.remove_member(deps=request.app.ctx.deps, account_id=request.ctx.account_id, member_id=member_id)
    return empty()
