"""The access log: who scanned or viewed which card, when, with what result."""

from __future__ import annotations

from datetime import datetime

from backend.audit import stream
from backend.audit.models import AccessLog
from backend.cards import service as cards
from backend.cards.models import Card
from backend.clock import clock, iso
from backend.errors import NotFound

MAX_ROWS = 500


async def record(*, terminal, card_pk: int | None, action: str, result: str, deps=None) -> None:
    if deps is not None:  # the scan path: through the audit stream (backend/audit/stream.py)
        await stream.append(deps, terminal=terminal, card_pk=card_pk, action=action, result=result)
        return
    await AccessLog.create(
        terminal_id=terminal.id,
        hospital_id=terminal.hospital_id,
        card_id=card_pk,
        action=action,
        result=result,
        at=clock.now(),
    )


def _view(row: AccessLog, *, with_card: bool) -> dict:
    view = {
        "id": row.id,
        "at": iso(row.at),
        "action": row.action,
        "result": row.result,
        "hospital": {"id": row.hospital.id, "name": row.hospital.name} if row.hospital else None,
        "terminal": {"id": row.terminal.id, "name": row.terminal.name} if row.terminal else None,
    }
    if with_card:
        view["card_id"] = row.card.card_id if row.card else None
    return view


async def for_resident(*, account_id: int, card_id: str, deps=None) -> list[dict]:
    if deps is not None:  # a scan shows up at once, not at the next drain
        await stream.drain(deps)
    card, _, _ = await cards.card_for_account(account_id=account_id, card_id=card_id)
    rows = (
        await AccessLog.filter(card_id=card.id)
        .order_by("-at", "-id")
        .limit(MAX_ROWS)
        .select_related("hospital", "terminal")
    )
    return [_view(r, with_card=False) for r in rows]


def _filtered(*, hospital_id=None, card_pk=None, terminal_id=None, action=None, result=None, since=None, until=None):
    query = AccessLog.all()
    if hospital_id is not None:
        query = query.filter(hospital_id=hospital_id)
    if card_pk is not None:
        query = query.filter(card_id=card_pk)
    if terminal_id:
        query = query.filter(terminal_id=terminal_id)
    if action:
        query = query.filter(action=action)
    if result:
        query = query.filter(result=result)
    if since:
        query = query.filter(at__gte=since)
    if until:
        query = query.filter(at__lt=until)
    return query


async def for_operator(
    *,
    card_id: str | None,
    terminal_id: int | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    deps=None,
) -> list[dict]:
    if deps is not None:
        await stream.drain(deps)
    card_pk = None
    if card_id:
        card = await Card.get_or_none(card_id=card_id)
        if card is None:
            raise NotFound("no such card", code="card_not_found")
        card_pk = card.id
    query = _filtered(card_pk=card_pk, terminal_id=terminal_id, since=since, until=until)
    rows = await query.order_by("-at", "-id").limit(min(limit, MAX_ROWS)).select_related("hospital", "terminal", "card")
    return [_view(r, with_card=True) for r in rows]


async def for_console(
    *,
    hospital_id: int | None,
    card_id: str | None,
    terminal_id: int | None,
    action: str | None,
    result: str | None,
    since: datetime | None,
    until: datetime | None,
    before: int | None,
    limit: int,
    deps=None,
) -> dict:
    """The scan log for the operator console, newest first, filtered and paged by a cursor (the
    last id of the previous page). `hospital_id` is forced for a hospital admin."""
    if deps is not None:  # scans still in the audit stream show up at once
        await stream.drain(deps)
    card_pk = None
    if card_id:
        card = await Card.get_or_none(card_id=card_id)
        card_pk = card.id if card else 0  # an unknown card matches nothing
    query = _filtered(
        hospital_id=hospital_id,
        card_pk=card_pk,
        terminal_id=terminal_id,
        action=action,
        result=result,
        since=since,
        until=until,
    )
    if before:
        query = query.filter(id__lt=before)
    rows = await query.order_by("-id").limit(limit + 1).select_related("hospital", "terminal", "card")
    page = rows[:limit]
    return {
        "entries": [_view(r, with_card=True) for r in page],
        "next_cursor": str(page[-1].id) if len(rows) > limit else None,
    }
