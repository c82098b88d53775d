"""Operator log-in and accounts. Catalog, schedules, terminals, referrals and the audit log live
with their domains behind the same guards; what spans domains (creating a hospital's admin,
intake secrets, figures) is in backend/console."""

from pydantic import BaseModel, Field
from sanic import Blueprint, Request, json
from sanic.response import empty
from sanic_ext import openapi

from backend.http import Input, body, client_ip, query
from backend.operators import rules, service
from backend.operators.guards import operator, platform_operator

bp = Blueprint("operators", url_prefix="/admin")


class Login(Input):
    username: str = Field(pattern=rules.USERNAME)
    password: str = Field(min_length=1, max_length=256)


class OperatorQuery(BaseModel):
    hospital_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


@bp.post("/login")
@openapi.summary(
    "Operator log-in -> bearer token for /admin (429 limit_exceeded with retry_after after too many "
    "failures per username or per address; 503 busy when too many log-ins are checked at once)"
)
@body(Login)
async def login(request: Request, body: Login):
    return json(
        await service.login(
            deps=request.app.ctx.deps, username=body.username, password=body.password, ip=client_ip(request)
        )
    )


@bp.post("/logout")
@openapi.summary("OPERATOR: end this console session")
@operator
async def logout(request: Request):
    token = (request.headers.get("authorization") or "").partition(" ")[2].strip()
    await service.logout(token=token, hospital_id=request.ctx.operator.hospital_id)
    return empty()


@bp.get("/me")
@openapi.summary("OPERATOR: who is logged in (role, hospital)")
@operator
async def me(request: Request):
    p = request.ctx.operator
    return json({"operator_id": p.operator_id, "username": p.username, "role": p.role, "hospital_id": p.hospital_id})


@bp.get("/operators")
@openapi.summary("PLATFORM: operator accounts")
@platform_operator
@query(OperatorQuery)
async def list_operators(request: Request, query: OperatorQuery):
    return json(await service.list_operators(hospital_id=query.hospital_id))


@bp.post("/operators/<operator_id:id>/retire")
@openapi.summary("PLATFORM: retire an operator (their sessions end at once)")
@platform_operator
async def retire_operator(request: Request, operator_id: int):
    return json(await service.retire_operator(operator_id=operator_id))
