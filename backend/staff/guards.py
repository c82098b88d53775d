"""Authentication of terminal requests (see backend.staff.rules for the scheme)."""

from __future__ import annotations

import functools
import hmac

from sanic import Request
from sanic_ext import openapi

from backend.errors import Forbidden, Unauthorized
from backend.staff import rules, signing, terminal_cache
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
    entry = terminal_cache.cached(deps, code)
    from_cache = entry is not None
    if entry is None:
        entry = await terminal_cache.load(deps, code)
    try:
        _check_signature(request, deps, entry, code=code, timestamp=timestamp, nonce=nonce, given=given)
    except Unauthorized:
        if not from_cache:
            raise
        # the terminal may have been rotated since it was cached: decide on the stored row
        entry = await terminal_cache.load(deps, code)
        from_cache = False
        _check_signature(request, deps, entry, code=code, timestamp=timestamp, nonce=nonce, given=given)
    skew = deps.settings.terminals.clock_skew_s
    fresh, generation = await terminal_cache.claim_nonce(
        deps, terminal_id=entry.terminal.id, nonce=nonce, ttl_s=skew * NONCE_TTL_FACTOR
    )
    if from_cache and generation != entry.generation:
        # disabled, enabled or rotated since this worker cached it: decide on the stored row
        entry = await terminal_cache.load(deps, code)
        _check_signature(request, deps, entry, code=code, timestamp=timestamp, nonce=nonce, given=given)
    if not fresh:
        raise Unauthorized("this request was already received (replayed nonce)", code="replayed_nonce")
    found = entry.terminal
    if found.status != "active":
        raise Forbidden("this terminal is disabled", code="terminal_disabled")
    return found


def _check_signature(request: Request, deps, entry, *, code: str, timestamp: str, nonce: str, given: str) -> None:
    if entry is None:
        raise Unauthorized("unknown terminal", code="terminal_unauthenticated")
    found = entry.terminal
    secret = rules.derive_secret(deps.settings.terminals.master_key, found.terminal_code, found.credential_version)
    if not hmac.compare_digest(rules.secret_hash(secret), found.secret_hash):
        raise Unauthorized("this terminal's credentials were replaced", code="terminal_unauthenticated")
    signing.check(request, secret=secret, skew_s=deps.settings.terminals.clock_skew_s)
