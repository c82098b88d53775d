"""Operator authentication and roles for /admin routes.

`@operator`: any logged-in operator (bearer token from POST /admin/login); sets
request.ctx.operator (a Principal) and makes them the actor of the audit trail
(backend/actions) for the request. `@platform_operator`: platform operators only. A hospital
admin reaches only their hospital: views check with `require_hospital` / `require_object`.
In dev and test only, the fixed token `dev-admin-token` acts as a platform operator (production
has no static operator token).
"""

from __future__ import annotations

import functools
import hmac

from sanic import Request
from sanic_ext import openapi

from backend.actions import service as actions
from backend.errors import Forbidden, NotFound, Unauthorized
from backend.operators import rules, service


async def authenticate(request: Request) -> rules.Principal:
    settings = request.app.ctx.deps.settings
    scheme, _, token = (request.headers.get("authorization") or "").strip().partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    if not token or len(token) > 256:
        raise Unauthorized("operator credentials required", code="unauthorized")
    if (
        settings.dev_helpers
        and settings.app.dev_admin_token
        and hmac.compare_digest(token.encode(), settings.app.dev_admin_token.encode())
    ):
        return rules.DEV_PLATFORM
    principal = await service.principal_for_token(token)
    if principal is None:
        raise Unauthorized("operator credentials required (log in again)", code="unauthorized")
    return principal


def operator(handler):
    """Any operator; hospital admins are then limited to their hospital by the view."""

    @functools.wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        request.ctx.operator = await authenticate(request)
        with actions.acting_as(request.ctx.operator):  # whatever the handler changes is audited as theirs
            return await handler(request, *args, **kwargs)

    return openapi.secured("operator")(wrapper)


def platform_operator(handler):
    """Platform operators only."""

    @functools.wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        principal = await authenticate(request)
        if not principal.is_platform:
            raise Forbidden("platform operators only", code="platform_only")
        request.ctx.operator = principal
        with actions.acting_as(principal):
            return await handler(request, *args, **kwargs)

    return openapi.secured("operator")(wrapper)


def require_hospital(request: Request, hospital_id: int | None) -> None:
    if not request.ctx.operator.reaches(hospital_id):
        raise Forbidden("this is outside your hospital", code="outside_hospital")


async def require_object(request: Request, model, object_id: int, *, what: str) -> int:
    """The hospital of a catalog object (department, doctor, schedule, terminal...), checked."""
    found = await model.filter(id=object_id).limit(1).values_list("hospital_id", flat=True)
    hospital_id = found[0] if found else None
    if hospital_id is None:
        raise NotFound(f"no such {what}", code=f"{what}_not_found")
    require_hospital(request, hospital_id)
    return hospital_id


def scope_or(request: Request, hospital_id: int | None) -> int | None:
    """A list filter: a hospital admin always sees only their hospital (asking for another is
    refused); a platform operator sees the one asked for, or all."""
    principal = request.ctx.operator
    if hospital_id is not None:
        require_hospital(request, hospital_id)
        return hospital_id
    return principal.scope
