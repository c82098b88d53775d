from pydantic import Field
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.http import DigitText, Input, body, client_ip
from backend.sms import service
from backend.sms.rules import PURPOSES

bp = Blueprint("sms", url_prefix="/sms")


class SendCode(Input):
    phone: DigitText = Field(min_length=1, max_length=20)
    purpose: str = Field(description=f"one of {', '.join(PURPOSES)}", max_length=32)


@bp.post("/codes")
@openapi.summary("Send a 6-digit SMS code (one per 60 s and 10 per day per number)")
@body(SendCode)
async def send_code(request: Request, body: SendCode):
    result = await service.send_code(
        deps=request.app.ctx.deps, phone=body.phone, purpose=body.purpose, ip=client_ip(request)
    )
    return json(result, status=202)
