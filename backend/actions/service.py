"""The trail of operator actions: every change made from the console or the command line.
(Its own package, importing no domain, so that every domain can write to it.)

Who acts is set once per request by the operator guards (and by the command line) with
`acting_as`; the use cases then call `record(...)` next to the change, inside its transaction
when it has one (`using_db=`), so a change and its entry commit or roll back together.
`change` holds the fields changed, old -> new (`diff`), and never a secret: identity data goes
in masked form only (`masked_phone`).
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from backend.actions.models import OperatorAction
from backend.clock import clock, iso
from backend.privacy.masking import mask_phone

SYSTEM = "system"  # no operator: start-up seeding, or a use case called from code


@dataclass(frozen=True)
class Actor:
    operator_id: int | None
    name: str


_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("operator_actor", default=None)


def actor_of(who) -> Actor:
    """An Actor from an operator principal (operator_id, username), an Actor, or a name."""
    if isinstance(who, Actor):
        return who
    if isinstance(who, str):
        return Actor(operator_id=None, name=who)
    return Actor(operator_id=who.operator_id, name=who.username)


@contextmanager
def acting_as(who):
    token = _current.set(actor_of(who))
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Actor:
    return _current.get() or Actor(operator_id=None, name=SYSTEM)


def _plain(value):
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed."""
    return {k: [_plain(before.get(k)), _plain(v)] for k, v in after.items() if before.get(k) != v}


def masked_phone(phone: str | None) -> str | None:
    return None if phone is None else mask_phone(phone)


async def record(
    action: str,
    *,
    target: tuple[str, object],
    hospital_id: int | None = None,
    change: dict | None = None,
    reason: str | None = None,
    actor=None,
    using_db=None,
) -> OperatorAction:
    who = actor_of(actor) if actor is not None else current()
    kind, target_id = target
    return await OperatorAction.create(
        at=clock.now(),
        operator_id=who.operator_id,
        actor=who.name[:80],
        hospital_id=hospital_id,
        action=action,
        target_kind=kind,
        target_id=str(target_id),
        change=_plain(change or {}),
        reason=reason,
        using_db=using_db,
    )


# --- the console's view --------------------------------------------------------------------------


def view(row: OperatorAction) -> dict:
    return {
        "id": row.id,
        "at": iso(row.at),
        "operator": {"id": row.operator.id, "username": row.operator.username} if row.operator else None,
        "actor": row.actor,
        "hospital": {"id": row.hospital.id, "name": row.hospital.name} if row.hospital else None,
        "action": row.action,
        "target": {"kind": row.target_kind, "id": row.target_id},
        "change": row.change,
        "reason": row.reason,
    }


async def for_console(
    *,
    hospital_id: int | None,
    operator_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    target_kind: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: int | None = None,
    limit: int = 50,
) -> dict:
    """Operator actions newest first, filtered, paged by a cursor (the last id of the previous
    page). With `hospital_id`, only that hospital's entries (platform-wide ones have none)."""
    query = OperatorAction.all()
    if hospital_id is not None:
        query = query.filter(hospital_id=hospital_id)
    if operator_id is not None:
        query = query.filter(operator_id=operator_id)
    if actor:
        query = query.filter(actor=actor)
    if action:
        query = query.filter(action=action)
    if target_kind:
        query = query.filter(target_kind=target_kind)
    if target_id:
        query = query.filter(target_id=target_id)
    if since:
        query = query.filter(at__gte=since)
    if until:
        query = query.filter(at__lt=until)
    if before:
        query = query.filter(id__lt=before)
    rows = await query.order_by("-id").limit(limit + 1).select_related("operator", "hospital")
    page = rows[:limit]
    return {"entries": [view(r) for r in page], "next_cursor": str(page[-1].id) if len(rows) > limit else None}
