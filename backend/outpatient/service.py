"""Outpatient charges (门诊缴费 / 诊间支付): orders pushed by hospital systems, paid by residents
for their own and linked members' cards in one WeChat Pay order per selection (the payment
purpose "charges"), offered on the hospital's feed until acknowledged, rejected or refunded by
the hospital through payments' refund machinery."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from backend.cards import rules as card_rules
from backend.cards import service as cards
from backend.cards.models import Card, FamilyLink
from backend.catalog.models import Hospital
from backend.clock import SHANGHAI, clock, iso, local_datetime
from backend.errors import AppError, BadRequest, Conflict, NotFound
from backend.notifications import service as notifications
from backend.outpatient import rules
from backend.outpatient.models import Charge, ChargeOrder, ChargeOrderLine, ChargeRefund
from backend.outpatient.rules import CHARGE_MOVES, ChargeStatus, OrderStatus
from backend.payments import service as payments  # outpatient -> payments, never the reverse
from backend.text import capped

log = logging.getLogger("ehealth.outpatient")

PURPOSE = "charges"
FEED_PAGE = 100


# --- hospital systems: intake --------------------------------------------------------------------


async def _card_accounts(conn, id_hash: str) -> tuple[Card | None, list[int]]:
    """The card of an ID number's hash, if any, and every account that may use it (its owner and
    the live family links)."""
    card = await Card.get_or_none(id_hash=id_hash).using_db(conn)
    if card is None:
        return None, []
    linked = (
        await FamilyLink.filter(card_id=card.id, removed_at__isnull=True)
        .using_db(conn)
        .values_list("account_id", flat=True)
    )
    accounts = ([card.owner_id] if card.owner_id else []) + [a for a in linked if a != card.owner_id]
    return card, accounts


def _his_view(charge: Charge) -> dict:
    return {"charge_no": charge.charge_no, "version": charge.version, "status": charge.status}


async def put_charge(
    *,
    deps,
    hospital: Hospital,
    charge_no: str,
    id_number: str,
    name: str,
    department: str,
    doctor: str,
    ordered_at: datetime,
    raw_items,
    total_fen: int,
    pay_group: str | None,
    insurance: bool,
    visit_no: str | None,
) -> tuple[dict, bool, list[str]]:
    """Create a charge, or replace it while unpaid (version + 1). A paid charge is refused
    (409 charge_paid). Any bad item, or a total that is not the items' sum, refuses the whole
    charge (422 invalid_items) and nothing is written. Returns (view, created, subjects of
    orders to close): a charge replaced while an order for it is open makes that order void."""
    try:
        parsed_id = card_rules.parse_id_number(id_number, today=clock.today()).value
        name = card_rules.normalize_name(name)
    except card_rules.InvalidIdentity as exc:
        raise BadRequest(
            f"{exc.field}: {exc}", code=f"invalid_{exc.field}", fields=[{"field": exc.field, "message": str(exc)}]
        ) from None
    checked, problems = rules.check_charge(raw_items, total_fen)
    if problems:
        shown, more = capped(problems)
        raise AppError(
            f"{len(problems)} problem(s) with the charge; nothing was written",
            code="invalid_items",
            status=422,
            items=[p.as_dict() for p in shown],
            **more,
        )
    now = clock.now()
    id_hash = deps.pii.index(parsed_id, field="id_number")
    fields = dict(
        patient_id_hash=id_hash,
        id_enc=deps.pii.encrypt(parsed_id, field="id_number"),
        name_enc=deps.pii.encrypt(name, field="name"),
        pii_ref=deps.pii.ref,
        visit_no=visit_no,
        department=department,
        doctor=doctor,
        ordered_at=ordered_at,
        items=[rules.item_json(item) for item in checked.items],
        total_fen=checked.total_fen,
        pay_group=pay_group,
        insurance=insurance,
        updated_at=now,
    )
    to_close: list[str] = []
    async with in_transaction() as conn:
        charge = (
            await Charge.select_for_update().using_db(conn).get_or_none(hospital_id=hospital.id, charge_no=charge_no)
        )
        created = False
        if charge is None:
            try:
                async with in_transaction() as inner:
                    charge = await Charge.create(
                        hospital_id=hospital.id,
                        charge_no=charge_no,
                        status=ChargeStatus.UNPAID,
                        version=1,
                        created_at=now,
                        using_db=inner,
                        **fields,
                    )
                created = True
            except IntegrityError:  # the same charge pushed twice at once: the other one made it
                charge = (
                    await Charge.select_for_update().using_db(conn).get(hospital_id=hospital.id, charge_no=charge_no)
                )
        waiting = created
        if not created:
            if charge.status not in (ChargeStatus.UNPAID, ChargeStatus.VOIDED):
                raise Conflict(
                    f"this charge is {charge.status}; a paid charge cannot be replaced (refund it instead)",
                    code="charge_paid",
                    status_now=charge.status,
                    version=charge.version,
                )
            if charge.patient_id_hash != id_hash:
                raise Conflict("this charge number belongs to another patient", code="charge_patient_mismatch")
            waiting = charge.status == ChargeStatus.VOIDED
            if charge.open_order_id is not None:
                to_close.append(str(charge.open_order_id))
            for key, value in fields.items():
                setattr(charge, key, value)
            charge.version += 1
            charge.status, charge.voided_at, charge.open_order_id = ChargeStatus.UNPAID, None, None
            await charge.save(using_db=conn)
        if waiting:
            await _announce_waiting(conn, hospital, charge)
    log.info("charge %s hospital=%s version=%s created=%s", charge.id, hospital.id, charge.version, created)
    return _his_view(charge), created, to_close


async def _announce_waiting(conn, hospital: Hospital, charge: Charge) -> None:
    card, accounts = await _card_accounts(conn, charge.patient_id_hash)
    for account_id in accounts:
        await notifications.enqueue(
            conn,
            account_id=account_id,
            kind="charge_waiting",
            payload={
                "hospital": hospital.name,
                "card_id": card.card_id,
                "charge_no": charge.charge_no,
                "department": charge.department,
                "total_fen": charge.total_fen,
            },
        )


async def void_charge(*, hospital: Hospital, charge_no: str) -> tuple[dict, list[str]]:
    """The hospital withdraws an unpaid charge: it leaves the resident's list. An order open for
    it is returned to be closed at WeChat Pay (a payment that lands anyway is refused by the
    purpose, and so refunded). A paid charge is refused (409 charge_paid): reject or refund it."""
    async with in_transaction() as conn:
        charge = (
            await Charge.select_for_update().using_db(conn).get_or_none(hospital_id=hospital.id, charge_no=charge_no)
        )
        if charge is None:
            raise NotFound("no such charge at this hospital", code="charge_not_found")
        if charge.status == ChargeStatus.VOIDED:
            return _his_view(charge), []
        if charge.status != ChargeStatus.UNPAID:
            raise Conflict(
                f"this charge is {charge.status}; reject or refund it instead",
                code="charge_paid",
                status_now=charge.status,
            )
        to_close = [str(charge.open_order_id)] if charge.open_order_id is not None else []
        charge.status, charge.voided_at, charge.updated_at = ChargeStatus.VOIDED, clock.now(), clock.now()
        await charge.save(using_db=conn, update_fields=["status", "voided_at", "updated_at"])
    log.info("charge %s voided hospital=%s open_orders=%s", charge.id, hospital.id, to_close)
    return _his_view(charge), to_close


async def close_orders(deps, subjects: list[str]) -> None:
    """Close at WeChat Pay the open orders of charges that changed or were voided. One that cannot
    be closed (already paid there, WeChat unreachable) is settled by its notification or the
    reconciler, and the purpose refuses it: the money goes back."""
    if subjects and deps.pay is not None:
        await payments.close_open_orders(deps, purpose=PURPOSE, subjects=subjects)


# --- hospital systems: the feed, acknowledgement, rejection, refunds -------------------------


def _parse_cursor(after: str | None) -> int:
    try:
        return rules.parse_cursor(after)
    except ValueError:
        raise BadRequest("after: not a cursor this feed gave", code="invalid_cursor") from None


async def paid_feed(*, hospital: Hospital, after: str | None, limit: int = FEED_PAGE) -> dict:
    """Paid charges not yet acknowledged, by charge id. Poll from the start (no `after`) and follow
    next_cursor until it is null; acknowledged, rejected and refunded charges leave the feed."""
    rows = (
        await Charge.filter(hospital_id=hospital.id, status=ChargeStatus.PAID, id__gt=_parse_cursor(after))
        .order_by("id")
        .limit(limit + 1)
        .select_related("paid_order")
    )
    page = rows[:limit]
    return {
        "charges": [
            {
                "charge_no": c.charge_no,
                "version": c.version,
                "amount_fen": c.paid_fen,
                "refunded_fen": c.refunded_fen,
                "paid_at": iso(c.paid_at),
                "transaction_id": c.transaction_id,
                "out_trade_no": c.paid_order.out_trade_no if c.paid_order else None,
            }
            for c in page
        ],
        "next_cursor": str(page[-1].id) if len(rows) > limit else None,
    }


async def acknowledge(*, hospital: Hospital, entries: list[dict]) -> dict:
    """The hospital booked these paid charges: each leaves the feed and shows its receipt number and
    guidance to the resident. Sending one again updates its receipt number and guidance. Charge
    numbers that are not this hospital's paid charges are listed back and left alone."""
    acknowledged, unknown, newly = [], [], 0
    now = clock.now()
    async with in_transaction() as conn:
        for entry in entries:
            charge = (
                await Charge.select_for_update()
                .using_db(conn)
                .get_or_none(hospital_id=hospital.id, charge_no=entry["charge_no"])
            )
            if charge is None or charge.status not in (ChargeStatus.PAID, ChargeStatus.ACKNOWLEDGED):
                unknown.append(entry["charge_no"])
                continue
            if charge.status == ChargeStatus.PAID:
                charge.status, charge.acknowledged_at = ChargeStatus.ACKNOWLEDGED, now
                newly += 1
            if entry.get("receipt_no") is not None:
                charge.receipt_no = entry["receipt_no"]
            if entry.get("guide") is not None:
                charge.guide = entry["guide"]
            charge.updated_at = now
            await charge.save(
                using_db=conn, update_fields=["status", "acknowledged_at", "receipt_no", "guide", "updated_at"]
            )
            acknowledged.append(charge.charge_no)
    return {"acknowledged": acknowledged, "newly_acknowledged": newly, "unknown": unknown}


async def _own_charge(conn, hospital: Hospital, charge_no: str) -> Charge:
    charge = await Charge.select_for_update().using_db(conn).get_or_none(hospital_id=hospital.id, charge_no=charge_no)
    if charge is None:
        raise NotFound("no such charge at this hospital", code="charge_not_found")
    return charge


def _refund_view(r: ChargeRefund) -> dict:
    return {
        "refund_id": r.id,
        "kind": r.kind,
        "amount_fen": r.amount_fen,
        "reason": r.reason,
        "refund_no": r.refund_no,
        "status": r.status,
        "requested_at": iso(r.created_at),
        "finished_at": iso(r.finished_at),
    }


async def _his_money_view(charge: Charge) -> dict:
    refunds = await ChargeRefund.filter(charge_id=charge.id).order_by("id")
    return {
        **_his_view(charge),
        "paid_fen": charge.paid_fen,
        "refunded_fen": charge.refunded_fen,
        "refundable_fen": rules.refundable_fen(paid_fen=charge.paid_fen or 0, refunded_fen=charge.refunded_fen),
        "refunds": [_refund_view(r) for r in refunds],
    }


async def _give_back(conn, charge: Charge, *, why: str, amount_fen: int, reason: str, refund_no: str | None):
    refund = await payments.refund_part(
        conn,
        purpose=PURPOSE,
        subject=str(charge.paid_order_id),
        amount_fen=amount_fen,
        reason="hospital_reject" if why == "reject" else "hospital_refund",
    )
    await ChargeRefund.create(
        charge_id=charge.id,
        kind=why,
        amount_fen=amount_fen,
        reason=reason,
        refund_no=refund_no,
        payment_refund_id=refund.id,
        created_at=clock.now(),
        using_db=conn,
    )
    charge.refunded_fen += amount_fen
    return refund.id


async def reject_charge(*, deps, hospital: Hospital, charge_no: str, reason: str) -> dict:
    """The hospital could not settle a paid charge: all that is left of it goes back to the
    resident's original payment, with the reason. Sending it again changes nothing."""
    refund_id = None
    async with in_transaction() as conn:
        charge = await _own_charge(conn, hospital, charge_no)
        if charge.status != ChargeStatus.REJECTED:
            CHARGE_MOVES.check(
                charge.status,
                ChargeStatus.REJECTED,
                code="charge_not_rejectable",
                message=f"a charge that is {charge.status} cannot be rejected (only a paid, unacknowledged one)",
            )
            left = rules.refundable_fen(paid_fen=charge.paid_fen or 0, refunded_fen=charge.refunded_fen)
            if left > 0:
                refund_id = await _give_back(conn, charge, why="reject", amount_fen=left, reason=reason, refund_no=None)
            now = clock.now()
            charge.status, charge.rejected_at, charge.reject_reason, charge.updated_at = (
                ChargeStatus.REJECTED,
                now,
                reason,
                now,
            )
            await charge.save(using_db=conn)
    log.info("charge %s rejected hospital=%s", charge.id, hospital.id)
    if refund_id is not None:
        await payments.advance_refund(deps, refund_id=refund_id)
    return await _his_money_view(await Charge.get(id=charge.id))


async def refund_charge(
    *, deps, hospital: Hospital, charge_no: str, amount_fen: int, reason: str, refund_no: str | None
) -> tuple[dict, bool]:
    """Give back part or all of a paid charge (items not dispensed), never more than was paid for
    it in all. A request carrying a refund_no the charge already has is the same request again:
    answered, not counted twice (a different amount under it: 409 refund_no_reused). Returns
    (view, new)."""
    refund_id = None
    async with in_transaction() as conn:
        charge = await _own_charge(conn, hospital, charge_no)
        if refund_no is not None:
            earlier = await ChargeRefund.get_or_none(charge_id=charge.id, refund_no=refund_no).using_db(conn)
            if earlier is not None:
                if earlier.amount_fen != amount_fen:
                    raise Conflict(
                        "this refund_no was used for another amount",
                        code="refund_no_reused",
                        amount_fen=earlier.amount_fen,
                    )
                return await _his_money_view(charge), False
        if charge.status not in rules.REFUNDABLE:
            raise Conflict(
                f"a charge that is {charge.status} cannot be refunded",
                code="charge_not_refundable",
                status_now=charge.status,
            )
        left = rules.refundable_fen(paid_fen=charge.paid_fen or 0, refunded_fen=charge.refunded_fen)
        problem = rules.check_refund_amount(amount_fen, refundable=left)
        if problem is not None:
            raise Conflict(f"amount_fen: {problem}", code="refund_exceeds_paid", refundable_fen=left)
        refund_id = await _give_back(
            conn, charge, why="refund", amount_fen=amount_fen, reason=reason, refund_no=refund_no
        )
        charge.updated_at = clock.now()
        if charge.refunded_fen >= (charge.paid_fen or 0):
            charge.status = ChargeStatus.REFUNDED
        await charge.save(using_db=conn)
    log.info("charge %s refund %s fen hospital=%s", charge.id, amount_fen, hospital.id)
    await payments.advance_refund(deps, refund_id=refund_id)
    return await _his_money_view(await Charge.get(id=charge.id)), True


# --- the payment purpose's moments (backend/outpatient/payment_purpose.py) ----------------------


async def order_for_payment(*, account_id: int, order_id: int) -> ChargeOrder | None:
    return await ChargeOrder.get_or_none(id=order_id, account_id=account_id).select_related("hospital")


async def take_payment(conn, *, order_id: int, transaction_id: str | None, paid_at: datetime) -> str | None:
    """The money of an order arrived (inside payments' transaction). Every charge must still be
    unpaid at the version the order fixed, and not in another order; then all become paid.
    Otherwise none does and the reason is returned (the payment is refunded whole)."""
    order = await ChargeOrder.select_for_update().using_db(conn).get(id=order_id)
    lines = await ChargeOrderLine.filter(order_id=order.id).using_db(conn).order_by("charge_id")
    charges = {
        c.id: c
        for c in await Charge.select_for_update()
        .using_db(conn)
        .filter(id__in=[line.charge_id for line in lines])
        .order_by("id")
    }
    # kept in UTC like every time the service writes: SQLite compares times as text
    paid_at = paid_at.astimezone(timezone.utc)
    refusal = None
    for line in lines:
        charge = charges[line.charge_id]
        if charge.status == ChargeStatus.VOIDED:
            refusal = "charge_voided"
        elif charge.status != ChargeStatus.UNPAID:
            refusal = "charge_paid"
        elif charge.version != line.version:
            refusal = "charge_changed"
        elif charge.open_order_id not in (None, order.id):
            refusal = "charge_in_payment"
        if refusal:
            break
    now = clock.now()
    if refusal:
        order.status, order.note = OrderStatus.REFUSED, refusal
        await order.save(using_db=conn, update_fields=["status", "note"])
        await Charge.filter(open_order_id=order.id).using_db(conn).update(open_order_id=None)
        log.info("charge order %s refused: %s", order.id, refusal)
        return refusal
    for line in lines:
        charge = charges[line.charge_id]
        charge.status, charge.paid_fen, charge.paid_at = ChargeStatus.PAID, line.amount_fen, paid_at
        charge.transaction_id, charge.paid_order_id, charge.open_order_id = transaction_id, order.id, None
        charge.updated_at = now
        await charge.save(using_db=conn)
    order.status, order.paid_at = OrderStatus.PAID, paid_at
    await order.save(using_db=conn, update_fields=["status", "paid_at"])
    hospital = await Hospital.get(id=order.hospital_id).using_db(conn)
    card = await Card.get(id=order.card_id).using_db(conn)
    _, accounts = await _card_accounts(conn, card.id_hash)
    for account_id in sorted(set(accounts) | {order.account_id}):
        await notifications.enqueue(
            conn,
            account_id=account_id,
            kind="charge_paid",
            payload={
                "hospital": hospital.name,
                "card_id": card.card_id,
                "amount_fen": order.amount_fen,
                "charge_count": len(lines),
            },
        )
    log.info("charge order %s paid: %s charges", order.id, len(lines))
    return None


async def order_closed(*, order_id: int) -> None:
    """Its WeChat order was closed unpaid: the charges are free to be paid again."""
    await ChargeOrder.filter(id=order_id, status=OrderStatus.OPEN).update(status=OrderStatus.CLOSED)
    await Charge.filter(open_order_id=order_id).update(open_order_id=None)


async def refund_done(*, payment_refund_id: int, finished_at: datetime | None) -> None:
    """A refund reached WeChat's success state: the resident sees it as done."""
    await ChargeRefund.filter(payment_refund_id=payment_refund_id, status="refunding").update(
        status="refunded", finished_at=finished_at or clock.now()
    )


# --- residents -----------------------------------------------------------------------------------


def _no_card() -> NotFound:
    return NotFound("no such card", code="card_not_found")


async def _resident_card(account_id: int, card_id: str) -> Card:
    if not card_rules.is_card_id(card_id):
        raise _no_card()
    try:
        card, _, _ = await cards.card_for_account(account_id=account_id, card_id=card_id)
    except NotFound:
        raise _no_card() from None
    return card


def _visit_key(c: Charge) -> str:
    if c.visit_no:
        return c.visit_no
    return f"{c.ordered_at.astimezone(SHANGHAI).date().isoformat()} {c.department} {c.doctor}"


def _live(order: ChargeOrder | None, now: datetime) -> bool:
    """An order that can still be paid: open and not past its expiry (WeChat Pay refuses to take
    money after time_expire). One past it no longer holds its charges, even before the
    reconciler closed it: a payment WeChat took anyway is refused by take_payment and refunded."""
    return order is not None and order.status == OrderStatus.OPEN and order.expires_at > now


def _not_payable_reason(c: Charge, now: datetime) -> str | None:
    if c.status != ChargeStatus.UNPAID:
        return None
    if c.insurance:
        return "insurance"
    if c.open_order_id is not None and _live(c.open_order, now):
        return "in_payment"
    return None


def _resident_charge_view(c: Charge, refunds: list[ChargeRefund], now: datetime) -> dict:
    reason = _not_payable_reason(c, now)
    return {
        "charge_id": c.id,
        "hospital_id": c.hospital_id,
        "hospital_name": c.hospital.name,
        "charge_no": c.charge_no,
        "visit": _visit_key(c),
        "department": c.department,
        "doctor": c.doctor,
        "ordered_at": iso(c.ordered_at),
        "items": [{**item, "quantity": float(item["quantity"])} for item in c.items],
        "total_fen": c.total_fen,
        "pay_group": c.pay_group,
        "insurance": c.insurance,
        "status": c.status,
        "version": c.version,
        "payable": c.status == ChargeStatus.UNPAID and reason is None,
        "not_payable_reason": reason,
        "paid_fen": c.paid_fen,
        "paid_at": iso(c.paid_at),
        "acknowledged": c.status == ChargeStatus.ACKNOWLEDGED
        or (c.status == ChargeStatus.REFUNDED and c.acknowledged_at is not None),
        "guide": c.guide,
        "receipt_no": c.receipt_no,
        "reject_reason": c.reject_reason,
        "refunded_fen": c.refunded_fen,
        "refunds": [_refund_view(r) for r in refunds],
    }


async def _mark_failed_refunds(rows: list[ChargeRefund]) -> None:
    """A refund WeChat closed or found abnormal needs an operator (payments logs it): the resident
    is told so rather than shown it on its way forever."""
    waiting = {r.payment_refund_id: r for r in rows if r.status == "refunding" and r.payment_refund_id}
    if not waiting:
        return
    ended = await payments.refunds_ended_unpaid(list(waiting))
    for refund_id in ended:
        waiting[refund_id].status = "failed"


async def list_charges(*, account_id: int, card_id: str, status: str | None) -> list[dict]:
    """Charges of a card the caller may use (own or linked), unpaid or paid (paid: also those
    rejected or refunded since), newest first; voided ones are gone. Someone else's card: 404."""
    card = await _resident_card(account_id, card_id)
    query = Charge.filter(patient_id_hash=card.id_hash)
    if status == "unpaid":
        query = query.filter(status=ChargeStatus.UNPAID)
    elif status == "paid":
        query = query.filter(status__in=rules.PAID_STATUSES)
    else:
        query = query.exclude(status=ChargeStatus.VOIDED)
    charges = await query.select_related("hospital", "open_order").order_by("-ordered_at", "-id")
    refunds: dict[int, list[ChargeRefund]] = defaultdict(list)
    for r in await ChargeRefund.filter(charge_id__in=[c.id for c in charges]).order_by("id"):
        refunds[r.charge_id].append(r)
    await _mark_failed_refunds([r for rows in refunds.values() for r in rows])
    now = clock.now()
    return [_resident_charge_view(c, refunds[c.id], now) for c in charges]


async def create_order(
    *, deps, account_id: int, hospital_id: int, card_id: str, charge_ids: list[int], versions: list[int] | None
) -> dict:
    """One WeChat Pay order for unpaid charges of one card at one hospital. The order fixes the
    versions it is made for (those the resident saw, when sent): a charge changed or voided
    meanwhile refuses it (409 charge_changed), one in another open order too (409
    charge_in_payment), and nothing is taken. The same selection asked again by the same
    account gets its open order back. Two family members paying at once: one order."""
    if versions is not None and len(versions) != len(charge_ids):
        raise BadRequest("versions: one per charge id", code="invalid_versions")
    wanted = dict(zip(charge_ids, versions)) if versions is not None else {}
    ids = sorted(set(charge_ids))
    if len(ids) != len(charge_ids):
        raise BadRequest("charge_ids: a charge appears twice", code="invalid_selection")
    card = await _resident_card(account_id, card_id)
    now = clock.now()
    reuse = None
    async with in_transaction() as conn:
        # rows locked in id order: two payers of overlapping selections queue, never deadlock
        found = (
            await Charge.select_for_update()
            .using_db(conn)
            .filter(id__in=ids, hospital_id=hospital_id, patient_id_hash=card.id_hash)
            .order_by("id")
        )
        by_id = {c.id: c for c in found}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise NotFound("no such charge for this card at this hospital", code="charge_not_found", charge_ids=missing)
        for c in found:
            if c.status == ChargeStatus.VOIDED:
                raise Conflict(
                    "a charge was withdrawn by the hospital", code="charge_changed", charge_id=c.id, status_now=c.status
                )
            if c.status != ChargeStatus.UNPAID:
                raise Conflict("a charge is paid already", code="charge_paid", charge_id=c.id, status_now=c.status)
            if c.id in wanted and wanted[c.id] != c.version:
                raise Conflict(
                    "a charge was changed by the hospital; look at it again",
                    code="charge_changed",
                    charge_id=c.id,
                    version=c.version,
                )
            if c.insurance:
                raise Conflict(
                    "an insurance (医保) charge is paid at the hospital", code="charge_not_payable", charge_id=c.id
                )
        held = {c.open_order_id for c in found if c.open_order_id is not None}
        live = {o.id for o in await ChargeOrder.filter(id__in=sorted(held)).using_db(conn) if _live(o, now)}
        stale = [c.id for c in found if c.open_order_id is not None and c.open_order_id not in live]
        if stale:  # orders past their expiry no longer hold their charges
            await Charge.filter(id__in=stale).using_db(conn).update(open_order_id=None)
            for c in found:
                if c.id in stale:
                    c.open_order_id = None
        open_orders = {c.open_order_id for c in found if c.open_order_id is not None}
        if open_orders:
            reuse = await _same_open_order(conn, open_orders, account_id=account_id, ids=ids)
            if reuse is None:
                raise Conflict(
                    "a charge is being paid in another order; try again when it is finished",
                    code="charge_in_payment",
                    charge_ids=[c.id for c in found if c.open_order_id is not None],
                )
        if reuse is None:
            group_mates = (
                await Charge.filter(
                    hospital_id=hospital_id,
                    patient_id_hash=card.id_hash,
                    status=ChargeStatus.UNPAID,
                    pay_group__in=sorted({c.pay_group for c in found if c.pay_group}),
                )
                .using_db(conn)
                .values_list("id", "pay_group")
            )
            left_out = rules.missing_from_groups([(c.id, c.pay_group) for c in found], list(group_mates))
            if left_out:
                raise Conflict(
                    "charges of one pay group are paid together", code="pay_group_incomplete", charge_ids=left_out
                )
            if len(ids) > rules.MAX_CHARGES_PER_ORDER:
                raise BadRequest(f"at most {rules.MAX_CHARGES_PER_ORDER} charges at once", code="invalid_selection")
            order = await ChargeOrder.create(
                hospital_id=hospital_id,
                card_id=card.id,
                account_id=account_id,
                amount_fen=sum(c.total_fen for c in found),
                status=OrderStatus.OPEN,
                created_at=now,
                expires_at=now + timedelta(minutes=rules.ORDER_PAY_MINUTES),
                using_db=conn,
            )
            await ChargeOrderLine.bulk_create(
                [
                    ChargeOrderLine(order_id=order.id, charge_id=c.id, version=c.version, amount_fen=c.total_fen)
                    for c in found
                ],
                using_db=conn,
            )
            await Charge.filter(id__in=ids).using_db(conn).update(open_order_id=order.id)
        else:
            order = reuse
    try:
        started = await payments.start_payment(deps=deps, purpose=PURPOSE, account_id=account_id, subject=str(order.id))
    except Exception:
        if reuse is None:  # no order came of it (WeChat Pay unavailable, say): the charges are free again
            await order_closed(order_id=order.id)
        raise
    await ChargeOrder.filter(id=order.id, out_trade_no__isnull=True).update(out_trade_no=started["out_trade_no"])
    log.info("charge order %s started card=%s charges=%s amount=%s", order.id, card.id, ids, order.amount_fen)
    return {
        "payment_id": order.id,
        "out_trade_no": started["out_trade_no"],
        "amount_fen": order.amount_fen,
        "pay_params": started.get("pay_params"),
        "expires_at": started.get("expires_at"),
        "charge_ids": ids,
    }


async def _same_open_order(conn, order_ids: set[int], *, account_id: int, ids: list[int]) -> ChargeOrder | None:
    """The caller's own open order for exactly this selection (asked again after the pay sheet was
    dismissed), or None."""
    if len(order_ids) != 1:
        return None
    order = await ChargeOrder.get_or_none(
        id=next(iter(order_ids)), account_id=account_id, status=OrderStatus.OPEN
    ).using_db(conn)
    if order is None or order.expires_at <= clock.now():
        return None
    lines = sorted(await ChargeOrderLine.filter(order_id=order.id).using_db(conn).values_list("charge_id", flat=True))
    return order if lines == ids else None


# --- the console ---------------------------------------------------------------------------------


CONSOLE_STATES = ("waiting", "overdue", "acknowledged", "rejected", "refunded")
CONSOLE_PAGE = 200


async def overdue_count(*, overdue_minutes: int, hospital_id: int | None = None) -> int:
    """Paid charges the hospital has not acknowledged for longer than `overdue_minutes`."""
    query = Charge.filter(status=ChargeStatus.PAID, paid_at__lt=clock.now() - timedelta(minutes=overdue_minutes))
    if hospital_id is not None:
        query = query.filter(hospital_id=hospital_id)
    return await query.count()


async def console_charges(*, hospital_id: int, state: str | None, overdue_minutes: int) -> dict:
    """A hospital's paid charges for the console: waiting for acknowledgement (and how many are
    overdue), acknowledged, rejected, refunded (partly refunded ones too), newest first."""
    query = Charge.filter(hospital_id=hospital_id, status__in=rules.PAID_STATUSES)
    cutoff = clock.now() - timedelta(minutes=overdue_minutes)
    if state == "waiting":
        query = query.filter(status=ChargeStatus.PAID)
    elif state == "overdue":
        query = query.filter(status=ChargeStatus.PAID, paid_at__lt=cutoff)
    elif state == "acknowledged":
        query = query.filter(status=ChargeStatus.ACKNOWLEDGED)
    elif state == "rejected":
        query = query.filter(status=ChargeStatus.REJECTED)
    elif state == "refunded":
        query = query.filter(refunded_fen__gt=0)
    rows = await query.order_by("-paid_at", "-id").limit(CONSOLE_PAGE)
    counts = {
        r["status"]: r["n"]
        for r in await Charge.filter(hospital_id=hospital_id, status__in=rules.PAID_STATUSES)
        .annotate(n=Count("id"))
        .group_by("status")
        .values("status", "n")
    }
    return {
        "hospital_id": hospital_id,
        "overdue_minutes": overdue_minutes,
        "counts": {
            "waiting": counts.get(ChargeStatus.PAID, 0),
            "overdue": await overdue_count(overdue_minutes=overdue_minutes, hospital_id=hospital_id),
            "acknowledged": counts.get(ChargeStatus.ACKNOWLEDGED, 0),
            "rejected": counts.get(ChargeStatus.REJECTED, 0),
            "refunded": counts.get(ChargeStatus.REFUNDED, 0),
        },
        "charges": [
            {
                "charge_no": c.charge_no,
                "department": c.department,
                "doctor": c.doctor,
                "status": c.status,
                "paid_fen": c.paid_fen,
                "refunded_fen": c.refunded_fen,
                "paid_at": iso(c.paid_at),
                "acknowledged_at": iso(c.acknowledged_at),
                "overdue": c.status == ChargeStatus.PAID and c.paid_at is not None and c.paid_at < cutoff,
                "receipt_no": c.receipt_no,
                "reject_reason": c.reject_reason,
                "transaction_id": c.transaction_id,
            }
            for c in rows
        ],
    }


async def figures(*, hospital_id: int | None, date_from: date, date_to: date) -> dict:
    """Charges paid per day (Asia/Shanghai) and the money given back, for the console's figures."""
    start, end = local_datetime(date_from, "00:00"), local_datetime(date_to + timedelta(days=1), "00:00")
    paid = Charge.filter(paid_at__gte=start, paid_at__lt=end)
    refunds = ChargeRefund.filter(created_at__gte=start, created_at__lt=end)
    if hospital_id is not None:
        paid = paid.filter(hospital_id=hospital_id)
        refunds = refunds.filter(charge__hospital_id=hospital_id)
    per_day: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for paid_at, fen in await paid.values_list("paid_at", "paid_fen"):
        day = paid_at.astimezone(SHANGHAI).date().isoformat()
        per_day[day][0] += 1
        per_day[day][1] += fen or 0
    refunded = await refunds.annotate(total=Sum("amount_fen"), n=Count("id")).values("total", "n")
    return {
        "count": sum(v[0] for v in per_day.values()),
        "paid_fen": sum(v[1] for v in per_day.values()),
        "per_day": [{"date": d, "charges": v[0], "paid_fen": v[1]} for d, v in sorted(per_day.items())],
        "refunds": {
            "count": refunded[0]["n"] if refunded else 0,
            "amount_fen": int((refunded[0]["total"] if refunded else 0) or 0),
        },
    }
