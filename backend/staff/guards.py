"""Authentication of terminal requests (see backend.staff.rules for the scheme)."""

from __future__ import annotations

import functools
import hmac

from sanic import Request
from sanic_ext import openapi

from backend.errors import Forbidden, Unauthorized
from backend.staff import rules, signing
from backend.staff.models import Terminal

NONCE_TTL_FACTOR = 3  # nonces are remembered well past the accepted timestamp window


def terminal(handler):
    """Require a valid signed terminal request; sets request.ctx.terminal."""

    @functools.wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        request.ctx.terminal = await authenticate(request)
        return await handler(request, *args, **kwargs)

    return openapi.secured("terminal")(wrapper)


async def authenticate(request: Request) -> Terminal:
    deps = request.app.ctx.deps
    code = request.headers.get("x-terminal-id", "")
    timestamp = request.headers.get("x-timestamp", "")
    nonce = request.headers.get("x-nonce", "")
    given = request.headers.get("x-signature", "")
    if not (rules.CODE_RE.match(code) and timestamp and rules.NONCE_RE.match(nonce) and given):
        raise Unauthorized("terminal credentials required", code="terminal_unauthenticated")
    found = await Terminal.get_or_none(terminal_code=code)
    if found is None:
        raise Unauthorized("unknown terminal", code="terminal_unauthenticated")
    secret = rules.derive_secret(deps.settings.terminal_master_key, found.terminal_code, found.credential_version)
    if not hmac.compare_digest(rules.secret_hash(secret), found.secret_hash):
        raise Unauthorized("this terminal's credentials were replaced", code="terminal_unauthenticated")
    skew = deps.settings.terminal_clock_skew_s
    await signing.verify(
        request, deps=deps, secret=secret, nonce_key=deps.keys("tn", found.id, nonce), nonce_ttl_s=skew * NONCE_TTL_FACTOR, skew_s=skew
    )
    if found.status != "active":
        raise Forbidden("this terminal is disabled", code="terminal_disabled")
    return found
