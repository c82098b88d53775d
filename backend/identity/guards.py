"""Authentication guards for resident routes."""

from __future__ import annotations

import functools

from sanic import Request
from sanic_ext import openapi

from backend.identity import rules, service


def resident(handler):
    """Require `Authorization: Bearer <token>`; sets request.ctx.account_id."""

    @functools.wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        token = rules.bearer_token(request.headers.get("authorization"))
        request.ctx.token = token
        request.ctx.account_id = await service.authenticate(deps=request.app.ctx.deps, token=token)
        return await handler(request, *args, **kwargs)

    return openapi.secured("bearer")(wrapper)
