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
        terminal_id=terminal.id, hospital_id=terminal.hospital_id, card_id=card_pk, action=action, result=result, at=clock.now()
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
    rows = await AccessLog.filter(card_id=card.id).order_by("-at", "-id").limit(MAX_ROWS).select_related("hospital", "terminal")
    return [_view(r, with_card=False) for r in rows]


async def for_operator(*, card_id: str | None, terminal_id: int | None, since: datetime | None, until: datetime | None, limit: int, deps=None) -> list[dict]:
    if deps is not None:
        await stream.drain(deps)
    query = AccessLog.all()
    if card_id:
        card = await Card.get_or_none(card_id=card_id)
        if card is None:
            raise NotFound("no such card", code="card_not_found")
        query = query.filter(card_id=card.id)
    if terminal_id:
        query = query.filter(terminal_id=terminal_id)
    if since:
        query = query.filter(at__gte=since)
    if until:
        query = query.filter(at__lt=until)
    rows = await query.order_by("-at", "-id").limit(min(limit, MAX_ROWS)).select_related("hospital", "terminal", "card")
    return [_view(r, with_card=True) for r in rows]
