"""Operator accounts: create, list, retire, log in (bearer tokens kept only as hashes)."""

from __future__ import annotations

import logging

from tortoise.exceptions import IntegrityError

from backend.clock import clock, iso
from backend.errors import BadRequest, Conflict, NotFound, TooManyRequests, Unauthorized
from backend.identity.rules import new_token, token_expiry, token_hash
from backend.operators import rules
from backend.operators.models import Operator, OperatorSession

log = logging.getLogger("ehealth.operators")

SESSION_TTL_S = 12 * 3600
LOGIN_FAILURES_ALLOWED = 10
LOGIN_FAILURE_WINDOW_S = 900


def operator_view(o: Operator) -> dict:
    return {
        "id": o.id, "username": o.username, "role": o.role, "hospital_id": o.hospital_id, "status": o.status,
        "created_at": iso(o.created_at), "last_login_at": iso(o.last_login_at),
    }


async def create_operator(*, username: str, password: str, role: str, hospital_id: int | None) -> dict:
    if role not in rules.ROLES:
        raise BadRequest(f"role: must be one of {', '.join(rules.ROLES)}", code="invalid_operator")
    if (role == rules.HOSPITAL_ADMIN) != (hospital_id is not None):
        raise BadRequest("hospital_id: a hospital admin needs exactly one hospital; a platform operator none", code="invalid_operator")
    try:
        rules.check_password_strength(password)
    except ValueError as exc:
        raise BadRequest(f"password: {exc}", code="weak_password") from None
    try:
        operator = await Operator.create(
            username=username, password_hash=rules.hash_password(password), role=role, hospital_id=hospital_id, created_at=clock.now()
        )
    except IntegrityError:
        raise Conflict("this username is taken", code="duplicate") from None
    log.info("operator %s created role=%s hospital=%s", operator.id, role, hospital_id)
    return operator_view(operator)


async def list_operators(*, hospital_id: int | None) -> list[dict]:
    query = Operator.all() if hospital_id is None else Operator.filter(hospital_id=hospital_id)
    return [operator_view(o) for o in await query.order_by("id")]


async def retire_operator(*, operator_id: int) -> dict:
    operator = await Operator.get_or_none(id=operator_id)
    if operator is None:
        raise NotFound("no such operator")
    operator.status = "retired"
    await operator.save(update_fields=["status"])
    await OperatorSession.filter(operator_id=operator_id, revoked_at__isnull=True).update(revoked_at=clock.now())
    return operator_view(operator)


async def login(*, deps, username: str, password: str) -> dict:
    failures_key = deps.keys("opfail", username.lower())
    failures = int(await deps.redis.get(failures_key) or 0)
    if failures >= LOGIN_FAILURES_ALLOWED:
        raise TooManyRequests("too many failed log-ins for this username; try again later", code="limit_exceeded", rule="login_failures")
    operator = await Operator.get_or_none(username=username, status="active")
    if not rules.verify_password(operator.password_hash if operator else None, password):
        async with deps.redis.pipeline(transaction=True) as pipe:
            pipe.incr(failures_key)
            pipe.expire(failures_key, LOGIN_FAILURE_WINDOW_S)
            await pipe.execute()
        raise Unauthorized("wrong username or password", code="invalid_credentials")
    await deps.redis.delete(failures_key)
    now = clock.now()
    token = new_token()
    await OperatorSession.create(token_hash=token_hash(token), operator_id=operator.id, created_at=now, expires_at=token_expiry(now, SESSION_TTL_S))
    changed = ["last_login_at"]
    operator.last_login_at = now
    if rules.needs_rehash(operator.password_hash):
        operator.password_hash = rules.hash_password(password)
        changed.append("password_hash")
    await operator.save(update_fields=changed)
    return {"token": token, "expires_in": SESSION_TTL_S, "operator": operator_view(operator)}


async def logout(*, token: str) -> None:
    await OperatorSession.filter(token_hash=token_hash(token), revoked_at__isnull=True).update(revoked_at=clock.now())


async def principal_for_token(token: str) -> rules.Principal | None:
    session = await OperatorSession.get_or_none(token_hash=token_hash(token)).select_related("operator")
    if session is None or session.revoked_at is not None or clock.now() >= session.expires_at:
        return None
    o = session.operator
    if o.status != "active":
        return None
    return rules.Principal(operator_id=o.id, username=o.username, role=o.role, hospital_id=o.hospital_id)
