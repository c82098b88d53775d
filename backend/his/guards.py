"""Authentication of hospital systems: every request signed with the hospital's intake secret,
exactly like a terminal's (backend.staff.signing.verify)."""

from __future__ import annotations

import functools

from sanic import Request
from sanic_ext import openapi

from backend.catalog.models import Hospital
from backend.errors import Forbidden, Unauthorized
from backend.his import service
from backend.staff import rules, signing

TIMESTAMP_WINDOW_S = 300
NONCE_TTL_S = 600


def hospital_system(handler):
    """Require a request signed by the system of the hospital named in the path; sets
    request.ctx.hospital. A hospital reaches only its own data: every query starts from it."""

    @functools.wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        request.ctx.hospital = await authenticate(request, kwargs.get("hospital_code", ""))
        return await handler(request, *args, **kwargs)

    return openapi.secured("hospital_system")(wrapper)


async def authenticate(request: Request, hospital_code: str) -> Hospital:
    deps = request.app.ctx.deps
    nonce = request.headers.get("x-nonce", "")
    if not (request.headers.get("x-timestamp") and rules.NONCE_RE.match(nonce) and request.headers.get("x-signature")):
        raise Unauthorized(
            "signed hospital-system headers required (X-Timestamp, X-Nonce, X-Signature)", code="his_unauthenticated"
        )
    hospital = await Hospital.get_or_none(code=hospital_code) if len(hospital_code) <= 32 else None
    secret = await service.secret_of(deps, hospital.id) if hospital is not None else None
    if secret is None:
        raise Unauthorized("no intake credentials for this hospital", code="his_unauthenticated")
    await signing.verify(
        request,
        deps=deps,
        secret=secret,
        nonce_key=deps.keys("hn", hospital.id, nonce),
        nonce_ttl_s=NONCE_TTL_S,
        skew_s=TIMESTAMP_WINDOW_S,
    )
    if hospital.status != "active":
        raise Forbidden("this hospital is retired", code="hospital_retired")
    return hospital
