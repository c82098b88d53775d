"""Operator (platform administrator) authentication for /admin routes."""

from __future__ import annotations

import functools
import hmac

from sanic import Request
from sanic_ext import openapi

from backend.errors import Unauthorized


def operator(handler):
    """Require `Authorization: Bearer <ADMIN_TOKEN>`."""

    @functools.wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        scheme, _, token = (request.headers.get("authorization") or "").strip().partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        expected = request.app.ctx.deps.settings.admin_token
        if not token or not hmac.compare_digest(token.encode(), expected.encode()):
            raise Unauthorized("operator credentials required", code="unauthorized")
        return await handler(request, *args, **kwargs)

    return openapi.secured("operator")(wrapper)
