"""Operator accounts: create, list, retire, log in (bearer tokens kept only as hashes)."""

from __future__ import annotations

import logging
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.actions import service as actions
from backend.clock import clock, iso
from backend.errors import BadRequest, Conflict, NotFound, TooManyRequests, Unauthorized, Unavailable
from backend.identity.rules import new_token, token_expiry, token_hash
from backend.operators import kdf, rules
from backend.operators.models import Operator, OperatorSession

log = logging.getLogger("ehealth.operators")

SESSION_TTL_S = 12 * 3600


def operator_view(o: Operator) -> dict:
    return {
        "id": o.id,
        "username": o.username,
        "role": o.role,
        "hospital_id": o.hospital_id,
        "status": o.status,
        "created_at": iso(o.created_at),
        "last_login_at": iso(o.last_login_at),
    }


async def create_operator(*, username: str, password: str, role: str, hospital_id: int | None, deps=None) -> dict:
    if role not in rules.ROLES:
        raise BadRequest(f"role: must be one of {', '.join(rules.ROLES)}", code="invalid_operator")
    if (role == rules.HOSPITAL_ADMIN) != (hospital_id is not None):
        raise BadRequest(
            "hospital_id: a hospital admin needs exactly one hospital; a platform operator none",
            code="invalid_operator",
        )
    try:
        rules.check_password_strength(password)
    except ValueError as exc:
        raise BadRequest(f"password: {exc}", code="weak_password") from None
    password_hash = await kdf.gate(deps).run(rules.hash_password, password, deps.settings.operators.password_profile)
    try:
        async with in_transaction() as conn:
            operator = await Operator.create(
                username=username,
                password_hash=password_hash,
                role=role,
                hospital_id=hospital_id,
                created_at=clock.now(),
                using_db=conn,
            )
            await actions.record(
                "operator.create",
                target=("operator", operator.id),
                hospital_id=hospital_id,
                change={"username": username, "role": role, "hospital_id": hospital_id},
                using_db=conn,
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
    before = operator.status
    operator.status = "retired"
    async with in_transaction() as conn:
        await operator.save(using_db=conn, update_fields=["status"])
        ended = (
            await OperatorSession.filter(operator_id=operator_id, revoked_at__isnull=True)
            .using_db(conn)
            .update(revoked_at=clock.now())
        )
        await actions.record(
            "operator.retire",
            target=("operator", operator.id),
            hospital_id=operator.hospital_id,
            change={"status": [before, operator.status], "sessions_ended": ended},
            using_db=conn,
        )
    return operator_view(operator)


async def _reserve(deps, key: str, limit: int, *, rule: str, message: str) -> None:
    window_ms = deps.settings.operators.login_failure_window_s * 1000
    reserved, value = await deps.scripts("operators.reserve", keys=[key], args=[limit, window_ms])
    if not reserved:
        retry_after = max(1, -(-int(value) // 1000))
        raise TooManyRequests(
            message,
            code="limit_exceeded",
            rule=rule,
            retry_after=retry_after,
            until=iso(clock.now() + timedelta(seconds=retry_after)),
        )


async def login(*, deps, username: str, password: str, ip: str = "unknown") -> dict:
    """Failures are counted per username and per client address. Each attempt reserves one
    failure on both counters BEFORE the password is checked (atomically, in Redis), so any
    number of attempts at once get at most the allowed number of checks; a successful log-in
    resets the account's counter and gives the address's reservation back."""
    cfg = deps.settings.operators
    account_key = deps.keys("opfail", username.lower())
    ip_key = deps.keys("opfail-ip", ip)
    await _reserve(
        deps,
        ip_key,
        cfg.login_failures_per_ip,
        rule="login_failures_ip",
        message="too many failed log-ins from this address; try again later",
    )
    try:
        await _reserve(
            deps,
            account_key,
            cfg.login_failures_per_account,
            rule="login_failures",
            message="too many failed log-ins for this username; try again later",
        )
    except TooManyRequests:
        await deps.scripts("operators.give_back", keys=[ip_key], args=[])  # no password was tried
        raise
    operator = await Operator.get_or_none(username=username, status="active")
    try:
        verified = await kdf.gate(deps).run(
            rules.verify_password,
            operator.password_hash if operator else None,
            password,
            cfg.password_profile,
        )
    except Unavailable:  # not checked at all: neither counter keeps this attempt
        await deps.scripts("operators.give_back", keys=[account_key], args=[])
        await deps.scripts("operators.give_back", keys=[ip_key], args=[])
        raise
    if not verified:
        raise Unauthorized("wrong username or password", code="invalid_credentials")
    await deps.redis.delete(account_key)
    await deps.scripts("operators.give_back", keys=[ip_key], args=[])
    now = clock.now()
    token = new_token()
    changed = ["last_login_at"]
    operator.last_login_at = now
    if rules.needs_rehash(operator.password_hash, cfg.password_profile):
        operator.password_hash = await kdf.gate(deps).run(rules.hash_password, password, cfg.password_profile)
        changed.append("password_hash")
    async with in_transaction() as conn:
        await OperatorSession.create(
            token_hash=token_hash(token),
            operator_id=operator.id,
            created_at=now,
            expires_at=token_expiry(now, SESSION_TTL_S),
            using_db=conn,
        )
        await operator.save(using_db=conn, update_fields=changed)
        await actions.record(
            "operator.login",
            target=("operator", operator.id),
            hospital_id=operator.hospital_id,
            actor=rules.Principal(
                operator_id=operator.id,
                username=operator.username,
                role=operator.role,
                hospital_id=operator.hospital_id,
            ),
            using_db=conn,
        )
    return {"token": token, "expires_in": SESSION_TTL_S, "operator": operator_view(operator)}


async def logout(*, token: str, hospital_id: int | None = None) -> None:
    async with in_transaction() as conn:
        ended = (
            await OperatorSession.filter(token_hash=token_hash(token), revoked_at__isnull=True)
            .using_db(conn)
            .update(revoked_at=clock.now())
        )
        operator_id = actions.current().operator_id
        await actions.record(
            "operator.logout",
            target=("operator", operator_id or "-"),
            hospital_id=hospital_id,
            change={"sessions_ended": ended},
            using_db=conn,
        )


async def principal_for_token(token: str) -> rules.Principal | None:
    session = await OperatorSession.get_or_none(token_hash=token_hash(token)).select_related("operator")
    if session is None or session.revoked_at is not None or clock.now() >= session.expires_at:
        return None
    o = session.operator
    if o.status != "active":
        return None
    return rules.Principal(operator_id=o.id, username=o.username, role=o.role, hospital_id=o.hospital_id)
