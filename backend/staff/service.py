"""Terminals (registration, credentials) and what staff do with them: scan a code, check a
patient in, call the next one. Every scan is written to the access log."""

from __future__ import annotations

import logging
from datetime import date

from tortoise.transactions import in_transaction

from backend.actions import service as actions
from backend.audit import service as audit
from backend.booking.models import Booking
from backend.booking.rules import STANDING
from backend.cards import rules as card_rules
from backend.catalog.models import Hospital
from backend.clock import clock, iso
from backend.coalesce import Coalescer
from backend.errors import BadRequest, NotFound
from backend.privacy.masking import mask_id_number, mask_name, mask_phone
from backend.qr import service as qr
from backend.qr.images import LruCache
from backend.queueing import service as queueing
from backend.staff import rules, terminal_cache
from backend.staff.models import Terminal

log = logging.getLogger("ehealth.staff")


# --- operators: terminals --------------------------------------------------------------------


def terminal_view(t: Terminal, *, secret: str | None = None) -> dict:
    view = {
        "id": t.id,
        "terminal_code": t.terminal_code,
        "hospital_id": t.hospital_id,
        "name": t.name,
        "status": t.status,
        "credential_version": t.credential_version,
        "created_at": iso(t.created_at),
    }
    if secret is not None:
        view["secret"] = secret  # shown once; only its hash is kept
    return view


async def register_terminal(*, deps, hospital_id: int, name: str) -> dict:
    if not await Hospital.exists(id=hospital_id):
        raise NotFound("no such hospital", code="hospital_not_found")
    code = rules.new_terminal_code()
    secret = rules.derive_secret(deps.settings.terminals.master_key, code, 1)
    async with in_transaction() as conn:
        terminal = await Terminal.create(
            hospital_id=hospital_id,
            name=name,
            terminal_code=code,
            secret_hash=rules.secret_hash(secret),
            created_at=clock.now(),
            using_db=conn,
        )
        await actions.record(
            "terminal.register",
            target=("terminal", terminal.id),
            hospital_id=hospital_id,
            change={"name": name, "terminal_code": code},
            using_db=conn,
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


async def set_terminal_status(*, terminal_id: int, active: bool, deps=None) -> dict:
    found = await _terminal(terminal_id)
    wanted = rules.TerminalStatus.ACTIVE if active else rules.TerminalStatus.DISABLED
    before = str(found.status)
    if found.status != wanted:
        rules.TERMINAL_MOVES.check(found.status, wanted)
    found.status = wanted
    found.disabled_at = None if active else clock.now()
    async with in_transaction() as conn:
        await found.save(using_db=conn, update_fields=["status", "disabled_at"])
        await actions.record(
            "terminal.enable" if active else "terminal.disable",
            target=("terminal", found.id),
            hospital_id=found.hospital_id,
            change={"status": [before, str(wanted)]},
            using_db=conn,
        )
    if deps is not None:  # every worker's cached copy is dropped at its next request
        await terminal_cache.bump(deps)
    log.info("terminal %s %s", terminal_id, found.status)
    return terminal_view(found)


async def rotate_terminal(*, deps, terminal_id: int) -> dict:
    found = await _terminal(terminal_id)
    found.credential_version += 1
    secret = rules.derive_secret(deps.settings.terminals.master_key, found.terminal_code, found.credential_version)
    found.secret_hash = rules.secret_hash(secret)
    async with in_transaction() as conn:
        await found.save(using_db=conn, update_fields=["credential_version", "secret_hash"])
        await actions.record(  # the version only: never the secret nor its hash
            "terminal.rotate_secret",
            target=("terminal", found.id),
            hospital_id=found.hospital_id,
            using_db=conn,
            change={"credential_version": [found.credential_version - 1, found.credential_version]},
        )
    await terminal_cache.bump(deps)
    return terminal_view(found, secret=secret)


# --- staff at the terminal -------------------------------------------------------------------

# Masked identities of scanned cards, keyed by the ciphertexts they come from (a changed card
# has new ones): three decryptions and an ID parse per scan otherwise. Only masked forms and the
# birth date are kept; the age is computed per scan from the service clock.
_identities = LruCache(4096)


def _identity(deps, card) -> dict:
    key = (card.id, card.id_enc, card.name_enc, card.phone_enc)
    known = _identities.get(key)
    if known is None:
        id_number = deps.pii.decrypt(card.id_enc, field="id_number")
        parsed = card_rules.parse_id_number(id_number, today=clock.today())
        known = (
            {
                "card_id": card.card_id,
                "name_masked": mask_name(deps.pii.decrypt(card.name_enc, field="name")),
                "id_masked": mask_id_number(id_number),
                "phone_masked": mask_phone(deps.pii.decrypt(card.phone_enc, field="phone")),
                "sex": parsed.sex,
            },
            parsed,
        )
        _identities.put(key, known)
    view, parsed = known
    return {**view, "age": parsed.age_on(clock.today())}


# The scanned cards and their bookings at this hospital today, in one prepared statement for all
# the scans of the moment (backend/coalesce.py): one database round trip per wave of scans, and
# no query building (which cost more CPU than the database took to answer). A card without
# bookings comes back as one row with empty booking columns.
_CARDS_AND_BOOKINGS = (
    "SELECT c.*, b.id AS b_id, b.schedule_id AS b_schedule_id, b.visit_number AS b_visit_number, "
    'b.status AS b_status, s.start AS b_start, s."end" AS b_end, d.name AS b_department, doc.name AS b_doctor '
    "FROM cards c LEFT JOIN bookings b ON b.card_id = c.id AND b.visit_date = {0} AND b.status IN ({2}) "
    "AND b.schedule_id IN (SELECT id FROM schedules WHERE hospital_id = {1}) "
    "LEFT JOIN schedules s ON s.id = b.schedule_id LEFT JOIN departments d ON d.id = s.department_id "
    "LEFT JOIN doctors doc ON doc.id = s.doctor_id "
    "WHERE c.card_id {3} ORDER BY s.start, b.id"
)
_STANDING_SQL = ", ".join(f"'{s.value}'" for s in STANDING)  # fixed enum values, not input
_CARDS_AND_BOOKINGS_POSTGRES = _CARDS_AND_BOOKINGS.format("$1", "$2", _STANDING_SQL, "= ANY($3::text[])")
_BOOKING_COLUMNS = (
    "b_id",
    "b_schedule_id",
    "b_visit_number",
    "b_status",
    "b_start",
    "b_end",
    "b_department",
    "b_doctor",
)


async def _cards_and_bookings(group: tuple[int, date], card_ids: list[str]) -> dict[str, tuple]:
    """{card_id: (card, [its bookings at the hospital that day])} for the cards that exist."""
    from tortoise import Tortoise

    from backend.cards.models import Card

    hospital_id, day = group
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(_CARDS_AND_BOOKINGS_POSTGRES, [day, hospital_id, card_ids])
    else:
        in_list = "IN (" + ", ".join("?" * len(card_ids)) + ")"
        rows = await conn.execute_query_dict(
            _CARDS_AND_BOOKINGS.format("?", "?", _STANDING_SQL, in_list), [day.isoformat(), hospital_id, *card_ids]
        )
    found: dict[str, tuple] = {}
    for r in rows:
        if r["card_id"] not in found:
            found[r["card_id"]] = (Card._init_from_db(**{k: v for k, v in r.items() if k not in _BOOKING_COLUMNS}), [])
        if r["b_id"] is not None:
            found[r["card_id"]][1].append(
                {
                    "booking_id": r["b_id"],
                    "schedule_id": r["b_schedule_id"],
                    "department": r["b_department"],
                    "doctor": r["b_doctor"],
                    "start": r["b_start"],
                    "end": r["b_end"],
                    "visit_number": r["b_visit_number"],
                    "status": r["b_status"],
                }
            )
    return found


_scanned_cards = Coalescer(_cards_and_bookings)


async def _card_and_bookings_today(card_id: str, hospital_id: int):
    found = await _scanned_cards.get((hospital_id, clock.today()), card_id)
    return found if found is not None else (None, [])


async def _resolve_logged(deps, terminal: Terminal, payload: str, *, action: str, consume: bool, known_card=None):
    try:
        resolved = await qr.resolve(deps, payload, consume=consume, known_card=known_card)
    except qr.QrRefused as refused:
        await audit.record(terminal=terminal, card_pk=refused.card_pk, action=action, result=refused.code, deps=deps)
        raise
    return resolved


async def scan(*, deps, terminal: Terminal, payload: str, purpose: str) -> dict:
    """Who the code belongs to (masked), the card's status, and this hospital's bookings for the
    card today. purpose=payment spends a dynamic code."""
    card, bookings = None, []
    try:
        card, bookings = await _card_and_bookings_today(qr.rules.parse(payload).card_id, terminal.hospital_id)
    except qr.rules.Malformed:
        pass  # resolve refuses it, and logs the refusal
    resolved = await _resolve_logged(
        deps, terminal, payload, action="scan", consume=purpose == "payment", known_card=card
    )
    await audit.record(terminal=terminal, card_pk=resolved.card.id, action="scan", result="ok", deps=deps)
    return {
        "card": _identity(deps, resolved.card),
        "status": resolved.card.status,
        "code_kind": resolved.kind,
        "bookings_today": bookings if card is not None and card.id == resolved.card.id else [],
    }


async def check_in(*, deps, terminal: Terminal, payload: str, booking_id: int) -> dict:
    booking = await Booking.get_or_none(id=booking_id, schedule__hospital_id=terminal.hospital_id)
    if booking is None:
        raise NotFound("no such booking at this hospital", code="booking_not_found")
    peek = await _resolve_logged(deps, terminal, payload, action="checkin", consume=False)
    if peek.card.id != booking.card_id:
        await audit.record(terminal=terminal, card_pk=peek.card.id, action="checkin", result="card_mismatch", deps=deps)
        raise BadRequest("this code belongs to another card than the booking's", code="card_mismatch")
    await _resolve_logged(deps, terminal, payload, action="checkin", consume=True)  # spends it, once
    result = await queueing.check_in(booking=booking)
    await audit.record(terminal=terminal, card_pk=booking.card_id, action="checkin", result="ok", deps=deps)
    return result


async def call_next(*, terminal: Terminal, schedule_id: int, queue_reminder_ahead: int = 3) -> dict:
    await queueing.schedule_in_hospital(schedule_id=schedule_id, hospital_id=terminal.hospital_id)
    return await queueing.call_next(schedule_id=schedule_id, queue_reminder_ahead=queue_reminder_ahead)
