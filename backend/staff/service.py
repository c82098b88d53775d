"""Terminals (registration, credentials) and what staff do with them: scan a code, check a
patient in, call the next one. Every scan is written to the access log."""

from __future__ import annotations

import logging

from backend.audit import service as audit
from backend.booking.models import Booking
from backend.booking.rules import STANDING
from backend.cards import rules as card_rules
from backend.catalog.models import Hospital
from backend.clock import clock, iso
from backend.errors import BadRequest, NotFound
from backend.privacy.masking import mask_id_number, mask_name, mask_phone
from backend.qr import service as qr
from backend.queueing import service as queueing
from backend.staff import rules
from backend.staff.models import Terminal

log = logging.getLogger("ehealth.staff")


# --- operators: terminals --------------------------------------------------------------------

def terminal_view(t: Terminal, *, secret: str | None = None) -> dict:
    view = {
        "id": t.id, "terminal_code": t.terminal_code, "hospital_id": t.hospital_id, "name": t.name,
        "status": t.status, "credential_version": t.credential_version, "created_at": iso(t.created_at),
    }
    if secret is not None:
        view["secret"] = secret  # shown once; only its hash is kept
    return view


async def register_terminal(*, deps, hospital_id: int, name: str) -> dict:
    if not await Hospital.exists(id=hospital_id):
        raise NotFound("no such hospital", code="hospital_not_found")
    code = rules.new_terminal_code()
    secret = rules.derive_secret(deps.settings.terminal_master_key, code, 1)
    terminal = await Terminal.create(
        hospital_id=hospital_id, name=name, terminal_code=code, secret_hash=rules.secret_hash(secret), created_at=clock.now()
    )
    log.info("terminal %s registered for hospital %s", terminal.id, hospital_id)
    return terminal_view(terminal, secret=secret)


async def list_terminals(*, hospital_id: int | None) -> list[dict]:
    query = Terminal.all() if hospital_id is None else Terminal.filter(hospital_id=hospital_id)
    return [terminal_view(t) for t in await query.order_by("id")]


async def _terminal(terminal_id: int) -> Terminal:
    found = await Terminal.get_or_none(id=terminal_id)
    if found is None:
        raise NotFound("no such terminal")
    return found


async def set_terminal_status(*, terminal_id: int, active: bool) -> dict:
    found = await _terminal(terminal_id)
    wanted = rules.TerminalStatus.ACTIVE if active else rules.TerminalStatus.DISABLED
    if found.status != wanted:
        rules.TERMINAL_MOVES.check(found.status, wanted)
    found.status = wanted
    found.disabled_at = None if active else clock.now()
    await found.save(update_fields=["status", "disabled_at"])
    log.info("terminal %s %s", terminal_id, found.status)
    return terminal_view(found)


async def rotate_terminal(*, deps, terminal_id: int) -> dict:
    found = await _terminal(terminal_id)
    found.credential_version += 1
    secret = rules.derive_secret(deps.settings.terminal_master_key, found.terminal_code, found.credential_version)
    found.secret_hash = rules.secret_hash(secret)
    await found.save(update_fields=["credential_version", "secret_hash"])
    return terminal_view(found, secret=secret)


# --- staff at the terminal -------------------------------------------------------------------

def _identity(deps, card) -> dict:
    id_number = deps.pii.decrypt(card.id_enc, field="id_number")
    parsed = card_rules.parse_id_number(id_number, today=clock.today())
    return {
        "card_id": card.card_id,
        "name_masked": mask_name(deps.pii.decrypt(card.name_enc, field="name")),
        "id_masked": mask_id_number(id_number),
        "phone_masked": mask_phone(deps.pii.decrypt(card.phone_enc, field="phone")),
        "sex": parsed.sex,
        "age": parsed.age_on(clock.today()),
    }


async def _bookings_today(card_pk: int, hospital_id: int) -> list[dict]:
    # flat rows rather than model objects: this runs on every scan
    rows = await Booking.filter(
        card_id=card_pk, visit_date=clock.today(), status__in=STANDING, schedule__hospital_id=hospital_id
    ).order_by("schedule__start", "id").values(
        "id", "schedule_id", "visit_number", "status", "schedule__start", "schedule__end",
        "schedule__department__name", "schedule__doctor__name",
    )
    return [
        {
            "booking_id": r["id"], "schedule_id": r["schedule_id"], "department": r["schedule__department__name"],
            "doctor": r["schedule__doctor__name"], "start": r["schedule__start"], "end": r["schedule__end"],
            "visit_number": r["visit_number"], "status": r["status"],
        }
        for r in rows
    ]


async def _resolve_logged(deps, terminal: Terminal, payload: str, *, action: str, consume: bool):
    try:
        resolved = await qr.resolve(deps, payload, consume=consume)
    except qr.QrRefused as refused:
        await audit.record(terminal=terminal, card_pk=refused.card_pk, action=action, result=refused.code)
        raise
    return resolved


async def scan(*, deps, terminal: Terminal, payload: str, purpose: str) -> dict:
    """Who the code belongs to (masked), the card's status, and this hospital's bookings for the
    card today. purpose=payment spends a dynamic code."""
    resolved = await _resolve_logged(deps, terminal, payload, action="scan", consume=purpose == "payment")
    await audit.record(terminal=terminal, card_pk=resolved.card.id, action="scan", result="ok")
    return {
        "card": _identity(deps, resolved.card),
        "status": resolved.card.status,
        "code_kind": resolved.kind,
        "bookings_today": await _bookings_today(resolved.card.id, terminal.hospital_id),
    }


async def check_in(*, deps, terminal: Terminal, payload: str, booking_id: int) -> dict:
    booking = await Booking.get_or_none(id=booking_id, schedule__hospital_id=terminal.hospital_id)
    if booking is None:
        raise NotFound("no such booking at this hospital", code="booking_not_found")
    peek = await _resolve_logged(deps, terminal, payload, action="checkin", consume=False)
    if peek.card.id != booking.card_id:
        await audit.record(terminal=terminal, card_pk=peek.card.id, action="checkin", result="card_mismatch")
        raise BadRequest("this code belongs to another card than the booking's", code="card_mismatch")
    await _resolve_logged(deps, terminal, payload, action="checkin", consume=True)  # spends it, once
    result = await queueing.check_in(booking=booking)
    await audit.record(terminal=terminal, card_pk=booking.card_id, action="checkin", result="ok")
    return result


async def call_next(*, terminal: Terminal, schedule_id: int) -> dict:
    await queueing.schedule_in_hospital(schedule_id=schedule_id, hospital_id=terminal.hospital_id)
    return await queueing.call_next(schedule_id=schedule_id)
