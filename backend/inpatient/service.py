"""Inpatient bills (住院清单): admissions and daily items pushed by hospital systems, bills read
by residents for their own and linked members' cards, online deposits (预缴金) on the
hospital's feed."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime

from tortoise.exceptions import IntegrityError
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from backend.cards import rules as card_rules
from backend.cards import service as cards
from backend.cards.models import Card, FamilyLink
from backend.catalog.models import Hospital
from backend.clock import SHANGHAI, clock, iso
from backend.errors import AppError, BadRequest, Conflict, NotFound
from backend.inpatient import rules
from backend.inpatient.models import Admission, BillDay, BillItem, Deposit
from backend.inpatient.rules import DEPOSIT_MOVES, DepositStatus
from backend.notifications import service as notifications
from backend.payments import service as payments  # inpatient -> payments, never the reverse
from backend.privacy.masking import mask_name
from backend.text import capped

log = logging.getLogger("ehealth.inpatient")

FEED_PAGE = 100


def _local_date(when: datetime) -> date:
    return when.astimezone(SHANGHAI).date()


# --- hospital systems ----------------------------------------------------------------------------


def _his_admission_view(a: Admission) -> dict:
    return {
        "admission_no": a.admission_no,
        "ward": a.ward,
        "bed": a.bed,
        "admitted_at": iso(a.admitted_at),
        "discharged_at": iso(a.discharged_at),
        "deposit_fen": a.deposit_fen,
        "updated_at": iso(a.updated_at),
    }


async def put_admission(
    *,
    deps,
    hospital: Hospital,
    admission_no: str,
    id_number: str,
    name: str,
    ward: str,
    bed: str,
    admitted_at: datetime,
    discharged_at: datetime | None,
    deposit_fen: int,
) -> tuple[dict, bool]:
    """Create or update an admission. Returns (view, created)."""
    try:
        parsed_id = card_rules.parse_id_number(id_number, today=clock.today()).value
        name = card_rules.normalize_name(name)
    except card_rules.InvalidIdentity as exc:
        raise BadRequest(
            f"{exc.field}: {exc}", code=f"invalid_{exc.field}", fields=[{"field": exc.field, "message": str(exc)}]
        ) from None
    if discharged_at is not None and discharged_at < admitted_at:
        raise BadRequest(
            "discharged_at: is before admitted_at",
            code="invalid_admission",
            fields=[{"field": "discharged_at", "message": "is before admitted_at"}],
        )
    fields = dict(
        patient_id_hash=deps.pii.index(parsed_id, field="id_number"),
        id_enc=deps.pii.encrypt(parsed_id, field="id_number"),
        name_enc=deps.pii.encrypt(name, field="name"),
        pii_ref=deps.pii.ref,
        ward=ward,
        bed=bed,
        admitted_at=admitted_at,
        discharged_at=discharged_at,
        deposit_fen=deposit_fen,
        updated_at=clock.now(),
    )
    async with in_transaction() as conn:
        existing = (
            await Admission.select_for_update()
            .using_db(conn)
            .get_or_none(hospital_id=hospital.id, admission_no=admission_no)
        )
        if existing is None:
            try:
                async with in_transaction() as inner:
                    admission = await Admission.create(
                        hospital_id=hospital.id,
                        admission_no=admission_no,
                        created_at=clock.now(),
                        using_db=inner,
                        **fields,
                    )
                created = True
            except IntegrityError:  # the same admission pushed twice at once: the other one made it
                existing = (
                    await Admission.select_for_update()
                    .using_db(conn)
                    .get(hospital_id=hospital.id, admission_no=admission_no)
                )
        if existing is not None:
            first_day = await BillDay.filter(admission_id=existing.id).using_db(conn).order_by("date").first()
            last_day = await BillDay.filter(admission_id=existing.id).using_db(conn).order_by("-date").first()
            if first_day is not None and first_day.date < _local_date(admitted_at):
                raise BadRequest("admitted_at: is after days already billed", code="invalid_admission")
            if last_day is not None and discharged_at is not None and last_day.date > _local_date(discharged_at):
                raise BadRequest("discharged_at: is before days already billed", code="invalid_admission")
            for key, value in fields.items():
                setattr(existing, key, value)
            await existing.save(using_db=conn, update_fields=list(fields))
            admission, created = existing, False
    log.info("admission %s hospital=%s created=%s", admission.id, hospital.id, created)
    return _his_admission_view(admission), created


async def _warn_low_balance(conn, admission: Admission, *, hospital: Hospital, threshold_fen: int) -> None:
    """In the push's transaction: when the balance falls below the threshold, the card's owner
    and the accounts linked to it are told, once a day at most per admission."""
    total = (
        await BillDay.filter(admission_id=admission.id)
        .using_db(conn)
        .annotate(t=Sum("subtotal_fen"))
        .values_list("t", flat=True)
    )
    paid = (
        await Deposit.filter(admission_id=admission.id, status=DepositStatus.PAID)
        .using_db(conn)
        .annotate(t=Sum("amount_fen"))
        .values_list("t", flat=True)
    )
    total_fen = int((total or [0])[0] or 0)
    prepaid = admission.deposit_fen + int((paid or [0])[0] or 0)
    balance = rules.balance_fen(prepaid_fen=prepaid, total_fen=total_fen)
    if balance >= threshold_fen or admission.discharged_at is not None:
        return
    card = await Card.get_or_none(id_hash=admission.patient_id_hash).using_db(conn)
    if card is None:
        return
    linked = (
        await FamilyLink.filter(card_id=card.id, removed_at__isnull=True)
        .using_db(conn)
        .values_list("account_id", flat=True)
    )
    today = clock.today().isoformat()
    for account_id in sorted({*linked, *([card.owner_id] if card.owner_id else [])}):
        await notifications.enqueue(
            conn,
            account_id=account_id,
            kind="balance_low",
            payload={
                "hospital_id": hospital.id,
                "hospital": hospital.name,
                "admission_no": admission.admission_no,
                "card_id": card.card_id,
                "balance_fen": balance,
                "threshold_fen": threshold_fen,
            },
            dedup_key=f"balance_low:{admission.id}:{account_id}:{today}",
        )


async def put_day(
    *, hospital: Hospital, admission_no: str, day: date, raw_items, balance_low_fen: int | None = None
) -> dict:
    """Replace one day's items of an admission, in one transaction. Any bad item refuses the
    whole batch (422 invalid_items, one entry per bad item) and nothing is written."""
    items, problems = rules.check_items(raw_items)
    if problems:
        shown, more = capped(problems)
        raise AppError(
            f"{len(problems)} item(s) refused; nothing was written",
            code="invalid_items",
            status=422,
            items=[p.as_dict() for p in shown],
            **more,
        )
    subtotal = rules.subtotal_fen(items)
    now = clock.now()
    async with in_transaction() as conn:
        # the admission row is the lock: pushes of one admission are applied one after the other
        admission = (
            await Admission.select_for_update()
            .using_db(conn)
            .get_or_none(hospital_id=hospital.id, admission_no=admission_no)
        )
        if admission is None:
            raise NotFound("no such admission at this hospital; push the admission first", code="admission_not_found")
        _check_day(admission, day)
        bill_day = await BillDay.get_or_none(admission_id=admission.id, date=day).using_db(conn)
        if bill_day is None:
            bill_day = await BillDay.create(
                admission_id=admission.id,
                date=day,
                item_count=len(items),
                subtotal_fen=subtotal,
                received_at=now,
                using_db=conn,
            )
        else:
            await BillItem.filter(day_id=bill_day.id).using_db(conn).delete()
            bill_day.item_count, bill_day.subtotal_fen, bill_day.received_at = len(items), subtotal, now
            await bill_day.save(using_db=conn, update_fields=["item_count", "subtotal_fen", "received_at"])
        if items:
            await BillItem.bulk_create(
                [
                    BillItem(
                        day_id=bill_day.id,
                        position=i,
                        item_code=it.item_code,
                        name=it.name,
                        category=it.category,
                        unit=it.unit,
                        quantity=it.quantity,
                        unit_price_fen=it.unit_price_fen,
                        amount_fen=it.amount_fen,
                    )
                    for i, it in enumerate(items)
                ],
                batch_size=1000,
                using_db=conn,
            )
        if balance_low_fen is not None:
            await _warn_low_balance(conn, admission, hospital=hospital, threshold_fen=balance_low_fen)
    log.info("bill day admission=%s date=%s items=%s", admission.id, day, len(items))
    return {"date": day.isoformat(), "item_count": len(items), "subtotal_fen": subtotal}


def _check_day(admission: Admission, day: date) -> None:
    if day < _local_date(admission.admitted_at):
        raise BadRequest("date: is before the admission", code="invalid_date")
    if admission.discharged_at is not None and day > _local_date(admission.discharged_at):
        raise BadRequest("date: is after the discharge", code="invalid_date")
    if day > clock.today():
        raise BadRequest("date: is in the future", code="invalid_date")


# --- deposits on the hospital's feed -------------------------------------------------------------


async def record_paid_deposit(
    *,
    admission_id: int,
    amount_fen: int,
    transaction_id: str,
    out_trade_no: str | None = None,
    paid_at: datetime | None = None,
    deposit_id: int | None = None,
    conn=None,
) -> tuple[Deposit, bool]:
    """Count a paid top-up once: (deposit, newly counted). Idempotent by the row made when the
    payment started (`deposit_id`, or its `out_trade_no`) and by WeChat's transaction_id, also
    under concurrency: the status moves to paid in one conditional UPDATE (from created, or
    from closed when WeChat reports a payment after the order was closed), and transaction_id
    is unique. `conn`: the caller's transaction (payments' settle, holding the payment's lock)."""
    if amount_fen <= 0:
        raise ValueError("a deposit is a positive amount")
    paid_at = paid_at or clock.now()
    started = None
    if deposit_id is not None:
        started = await Deposit.get(id=deposit_id).using_db(conn)
    elif out_trade_no is not None:
        started = await Deposit.get_or_none(out_trade_no=out_trade_no).using_db(conn)
    if started is not None:
        if started.admission_id != admission_id or started.amount_fen != amount_fen:
            raise Conflict("the paid order does not match its deposit", code="deposit_mismatch")
        paid = dict(status=DepositStatus.PAID, transaction_id=transaction_id, paid_at=paid_at)
        if out_trade_no is not None:
            paid["out_trade_no"] = out_trade_no
        try:
            moved = (
                await Deposit.filter(id=started.id, status__in=DEPOSIT_MOVES.sources(DepositStatus.PAID))
                .using_db(conn)
                .update(**paid)
            )
        except IntegrityError:  # this transaction_id already counted on another row
            moved = 0
        if moved:
            log.info("deposit %s paid admission=%s", started.id, admission_id)
        return await Deposit.get(id=started.id).using_db(conn), bool(moved)
    known = await Deposit.get_or_none(transaction_id=transaction_id).using_db(conn)
    if known is not None:
        return known, False
    try:
        deposit = await Deposit.create(
            admission_id=admission_id,
            amount_fen=amount_fen,
            status=DepositStatus.PAID,
            out_trade_no=out_trade_no,
            transaction_id=transaction_id,
            paid_at=paid_at,
            created_at=clock.now(),
            using_db=conn,
        )
    except IntegrityError:  # the same notification, processed at the same moment elsewhere
        return await Deposit.get(transaction_id=transaction_id).using_db(conn), False
    log.info("deposit %s paid admission=%s", deposit.id, admission_id)
    return deposit, True


def _parse_cursor(after: str | None) -> int:
    try:
        return rules.parse_cursor(after)
    except ValueError:
        raise BadRequest("after: not a cursor this feed gave", code="invalid_cursor") from None


async def deposit_feed(*, hospital: Hospital, after: str | None, limit: int = FEED_PAGE) -> dict:
    """Paid, unacknowledged top-ups of the hospital's admissions, oldest first. Poll from the start
    (no `after`) and follow next_cursor until it is null; acknowledged ones leave the feed."""
    rows = (
        await Deposit.filter(
            admission__hospital_id=hospital.id,
            status=DepositStatus.PAID,
            acknowledged_at__isnull=True,
            id__gt=_parse_cursor(after),
        )
        .order_by("id")
        .limit(limit + 1)
        .values("id", "admission__admission_no", "amount_fen", "paid_at", "transaction_id")
    )
    page = rows[:limit]
    return {
        "deposits": [
            {
                "deposit_id": r["id"],
                "admission_no": r["admission__admission_no"],
                "amount_fen": r["amount_fen"],
                "paid_at": iso(r["paid_at"]),
                "transaction_id": r["transaction_id"],
            }
            for r in page
        ],
        "next_cursor": str(page[-1]["id"]) if len(rows) > limit else None,
    }


async def acknowledge_deposits(*, hospital: Hospital, deposit_ids: list[int]) -> dict:
    """The hospital has booked these top-ups in its own system. Ids that are not this hospital's
    paid deposits are listed back as unknown and left alone."""
    wanted = sorted(set(deposit_ids))
    own = set(
        await Deposit.filter(id__in=wanted, admission__hospital_id=hospital.id, status=DepositStatus.PAID).values_list(
            "id", flat=True
        )
    )
    newly = (
        await Deposit.filter(id__in=sorted(own), acknowledged_at__isnull=True).update(acknowledged_at=clock.now())
        if own
        else 0
    )
    return {"acknowledged": sorted(own), "newly_acknowledged": newly, "unknown": [i for i in wanted if i not in own]}


# --- residents -----------------------------------------------------------------------------------


def _no_bill() -> NotFound:
    # One body for a card that is not the caller's and for an admission that does not exist.
    return NotFound("no such admission for this card", code="admission_not_found")


async def _totals(admission_ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    if not admission_ids:
        return {}, {}
    billed = (
        await BillDay.filter(admission_id__in=admission_ids)
        .annotate(total=Sum("subtotal_fen"))
        .group_by("admission_id")
        .values("admission_id", "total")
    )
    paid = (
        await Deposit.filter(admission_id__in=admission_ids, status=DepositStatus.PAID)
        .annotate(total=Sum("amount_fen"))
        .group_by("admission_id")
        .values("admission_id", "total")
    )
    return (
        {r["admission_id"]: int(r["total"] or 0) for r in billed},
        {r["admission_id"]: int(r["total"] or 0) for r in paid},
    )


def _resident_admission_view(deps, a: Admission, *, total: int, online: int) -> dict:
    prepaid = a.deposit_fen + online
    return {
        "hospital_id": a.hospital_id,
        "hospital_name": a.hospital.name,
        "admission_no": a.admission_no,
        "ward": a.ward,
        "bed": a.bed,
        "admitted_at": iso(a.admitted_at),
        "discharged_at": iso(a.discharged_at),
        "discharged": a.discharged_at is not None,
        "total_fen": total,
        "prepaid_fen": prepaid,
        "balance_fen": rules.balance_fen(prepaid_fen=prepaid, total_fen=total),
    }


async def list_admissions(*, deps, account_id: int, card_id: str) -> list[dict]:
    card, _, _ = await cards.card_for_account(account_id=account_id, card_id=card_id)
    admissions = (
        await Admission.filter(patient_id_hash=card.id_hash).select_related("hospital").order_by("-admitted_at", "-id")
    )
    billed, online = await _totals([a.id for a in admissions])
    return [
        _resident_admission_view(deps, a, total=billed.get(a.id, 0), online=online.get(a.id, 0)) for a in admissions
    ]


async def _resident_admission(*, account_id: int, hospital_id: int, card_id: str, admission_no: str) -> Admission:
    """The admission a resident may read (own card or a linked member's), or the one 404 for a
    wrong admission number and someone else's card alike."""
    if not card_rules.is_card_id(card_id):
        raise _no_bill()
    try:
        card, _, _ = await cards.card_for_account(account_id=account_id, card_id=card_id)
    except NotFound:
        raise _no_bill() from None
    admission = await Admission.get_or_none(
        hospital_id=hospital_id, admission_no=admission_no, patient_id_hash=card.id_hash
    ).select_related("hospital")
    if admission is None:
        raise _no_bill()
    return admission


def _categories(amounts: dict[str, int]) -> list[dict]:
    return [{"category": c, "subtotal_fen": amounts[c]} for c in rules.CATEGORIES if c in amounts]


async def _bill_view(
    deps, admission: Admission, days: list[dict], totals_by_category: dict[str, int], total: int
) -> dict:
    paid = await Deposit.filter(admission_id=admission.id, status=DepositStatus.PAID).order_by("paid_at", "id")
    online = sum(p.amount_fen for p in paid)
    prepaid = admission.deposit_fen + online
    return {
        "admission": {
            "hospital_id": admission.hospital_id,
            "hospital_name": admission.hospital.name,
            "admission_no": admission.admission_no,
            "ward": admission.ward,
            "bed": admission.bed,
            "admitted_at": iso(admission.admitted_at),
            "discharged_at": iso(admission.discharged_at),
            "discharged": admission.discharged_at is not None,
            "name_masked": mask_name(deps.pii.decrypt(admission.name_enc, field="name")),
        },
        "days": days,
        "categories": _categories(totals_by_category),
        "total_fen": total,
        "prepaid_fen": prepaid,
        "hospital_deposit_fen": admission.deposit_fen,
        "online_deposits": [{"deposit_id": p.id, "amount_fen": p.amount_fen, "paid_at": iso(p.paid_at)} for p in paid],
        "balance_fen": rules.balance_fen(prepaid_fen=prepaid, total_fen=total),
    }


def _item_view(row: dict) -> dict:
    row["quantity"] = float(row["quantity"])  # at most 3 decimals: exact as a JSON number
    return row


ITEM_FIELDS = ("item_code", "name", "category", "unit", "quantity", "unit_price_fen", "amount_fen")


async def get_bill(*, deps, account_id: int, hospital_id: int, card_id: str, admission_no: str) -> dict:
    """The whole bill, every day with every item (the original contract; heavy for a long stay:
    get_bill_summary and get_bill_day are its light form)."""
    admission = await _resident_admission(
        account_id=account_id, hospital_id=hospital_id, card_id=card_id, admission_no=admission_no
    )
    days = await BillDay.filter(admission_id=admission.id).order_by("date")
    items_by_day: dict[int, list[dict]] = defaultdict(list)
    rows = (
        await BillItem.filter(day__admission_id=admission.id)
        .order_by("day_id", "position")
        .values("day_id", *ITEM_FIELDS)
    )
    for r in rows:
        items_by_day[r.pop("day_id")].append(r)
    day_views, totals_by_category = [], defaultdict(int)
    for d in days:
        by_category: dict[str, int] = defaultdict(int)
        items = items_by_day.get(d.id, [])
        for item in items:
            _item_view(item)
            by_category[item["category"]] += item["amount_fen"]
            totals_by_category[item["category"]] += item["amount_fen"]
        day_views.append(
            {
                "date": d.date.isoformat(),
                "items": items,
                "subtotal_fen": d.subtotal_fen,
                "categories": _categories(by_category),
            }
        )
    return await _bill_view(deps, admission, day_views, totals_by_category, sum(d.subtotal_fen for d in days))


async def get_bill_summary(*, deps, account_id: int, hospital_id: int, card_id: str, admission_no: str) -> dict:
    """The bill without its items: each day's date, item count, subtotal and category subtotals
    (summed by the database), with the same totals, prepaid and balance as the whole bill. A
    two-month stay is a few kilobytes; a day's items come from get_bill_day when opened."""
    admission = await _resident_admission(
        account_id=account_id, hospital_id=hospital_id, card_id=card_id, admission_no=admission_no
    )
    days = await BillDay.filter(admission_id=admission.id).order_by("date")
    sums = (
        await BillItem.filter(day__admission_id=admission.id)
        .annotate(total=Sum("amount_fen"))
        .group_by("day_id", "category")
        .values("day_id", "category", "total")
    )
    by_day: dict[int, dict[str, int]] = defaultdict(dict)
    totals_by_category: dict[str, int] = defaultdict(int)
    for r in sums:
        by_day[r["day_id"]][r["category"]] = int(r["total"] or 0)
        totals_by_category[r["category"]] += int(r["total"] or 0)
    day_views = [
        {
            "date": d.date.isoformat(),
            "item_count": d.item_count,
            "subtotal_fen": d.subtotal_fen,
            "categories": _categories(by_day[d.id]),
        }
        for d in days
    ]
    return await _bill_view(deps, admission, day_views, totals_by_category, sum(d.subtotal_fen for d in days))


DAY_PAGE = 200
MAX_DAY_PAGE = 500


async def get_bill_day(
    *,
    deps,
    account_id: int,
    hospital_id: int,
    card_id: str,
    admission_no: str,
    day: date,
    offset: int = 0,
    limit: int = DAY_PAGE,
) -> dict:
    """One day's items, a page at a time in the hospital's order: {date, item_count, subtotal_fen,
    categories, items, offset, next_offset} (next_offset null on the last page). A day the
    hospital has not pushed is the same 404 as a bill that is not the caller's."""
    admission = await _resident_admission(
        account_id=account_id, hospital_id=hospital_id, card_id=card_id, admission_no=admission_no
    )
    bill_day = await BillDay.get_or_none(admission_id=admission.id, date=day)
    if bill_day is None:
        raise NotFound("no such day in this bill", code="bill_day_not_found")
    sums = (
        await BillItem.filter(day_id=bill_day.id)
        .annotate(total=Sum("amount_fen"))
        .group_by("category")
        .values("category", "total")
    )
    rows = (
        await BillItem.filter(day_id=bill_day.id).order_by("position").offset(offset).limit(limit).values(*ITEM_FIELDS)
    )
    following = offset + len(rows)
    return {
        "date": bill_day.date.isoformat(),
        "item_count": bill_day.item_count,
        "subtotal_fen": bill_day.subtotal_fen,
        "categories": _categories({r["category"]: int(r["total"] or 0) for r in sums}),
        "items": [_item_view(r) for r in rows],
        "offset": offset,
        "limit": limit,
        "next_offset": following if following < bill_day.item_count else None,
    }


# --- online top-ups (预缴金缴纳), paid through payments as the purpose "deposit" ------------------


def check_ongoing(admission: Admission) -> None:
    """Top-ups are taken only while the patient is in hospital; after discharge the hospital
    settles the account at its own desk."""
    if admission.discharged_at is not None:
        raise Conflict(
            "the patient has been discharged; settle at the hospital",
            code="admission_discharged",
            discharged_at=iso(admission.discharged_at),
        )


def _deposit_view(deposit: Deposit) -> dict:
    return {
        "deposit_id": deposit.id,
        "amount_fen": deposit.amount_fen,
        "status": deposit.status,
        "out_trade_no": deposit.out_trade_no,
        "paid_at": iso(deposit.paid_at),
        "refund_reason": deposit.refund_reason,
        "refunded_at": iso(deposit.refunded_at),
    }


async def create_deposit(
    *, deps, account_id: int, hospital_id: int, card_id: str, admission_no: str, amount_fen: int
) -> dict:
    """A top-up of an ongoing admission of the caller's own or a linked member's card, and its
    WeChat Pay order. Someone else's card and a wrong admission get the bill's 404."""
    problem = rules.check_deposit_amount(amount_fen, max_fen=deps.settings.payments.deposit_max_fen)
    if problem is not None:
        raise BadRequest(
            f"amount_fen: {problem}",
            code="invalid_amount",
            max_fen=deps.settings.payments.deposit_max_fen,
            fields=[{"field": "amount_fen", "message": problem}],
        )
    if not card_rules.is_card_id(card_id):
        raise _no_bill()
    try:
        card, _, _ = await cards.card_for_account(account_id=account_id, card_id=card_id)
    except NotFound:
        raise _no_bill() from None
    admission = await Admission.get_or_none(
        hospital_id=hospital_id, admission_no=admission_no, patient_id_hash=card.id_hash
    )
    if admission is None:
        raise _no_bill()
    check_ongoing(admission)
    deposit = await Deposit.create(
        admission_id=admission.id,
        account_id=account_id,
        card_id=card.id,
        amount_fen=amount_fen,
        status=DepositStatus.CREATED,
        created_at=clock.now(),
    )
    try:
        started = await payments.start_payment(
            deps=deps, purpose="deposit", account_id=account_id, subject=str(deposit.id)
        )
    except Exception:
        # no order came of it (WeChat Pay unavailable, say): the top-up is closed, not left open
        await Deposit.filter(id=deposit.id, status=DepositStatus.CREATED).update(status=DepositStatus.CLOSED)
        raise
    await Deposit.filter(id=deposit.id, out_trade_no__isnull=True).update(out_trade_no=started["out_trade_no"])
    log.info("deposit %s started admission=%s amount=%s", deposit.id, admission.id, amount_fen)
    return {
        "deposit_id": deposit.id,
        "out_trade_no": started["out_trade_no"],
        "pay_params": started["pay_params"],
        "amount_fen": amount_fen,
        "expires_at": started["expires_at"],
        "status": DepositStatus.CREATED.value,
    }


async def deposit_closed(*, deposit_id: int) -> None:
    """Its order expired or was closed unpaid."""
    await Deposit.filter(id=deposit_id, status__in=DEPOSIT_MOVES.sources(DepositStatus.CLOSED)).update(
        status=DepositStatus.CLOSED
    )


async def deposit_refunded(*, deposit_id: int, refunded_at: datetime | None) -> None:
    """The refund of a top-up reached WeChat's success state."""
    await Deposit.filter(id=deposit_id, status__in=DEPOSIT_MOVES.sources(DepositStatus.REFUNDED)).update(
        status=DepositStatus.REFUNDED, refunded_at=refunded_at or clock.now()
    )


async def refund_deposit(*, deps, hospital: Hospital, deposit_id: int, reason: str = "hospital_request") -> dict:
    """Give a paid top-up back to the original payment (the hospital asks: paid in error, or
    left over at discharge). It stops counting in prepaid_fen and leaves the feed at once; the
    refund then goes through payments' refund machinery (polled until WeChat's final state)."""
    if not 0 < deposit_id < 2**31:
        raise NotFound("no such deposit at this hospital", code="deposit_not_found")
    async with in_transaction() as conn:
        deposit = await Deposit.select_for_update().using_db(conn).get_or_none(id=deposit_id)
        if deposit is not None:
            admission = await Admission.get(id=deposit.admission_id).using_db(conn)
            if admission.hospital_id != hospital.id:
                deposit = None
        if deposit is None:
            raise NotFound("no such deposit at this hospital", code="deposit_not_found")
        DEPOSIT_MOVES.check(
            deposit.status,
            DepositStatus.REFUNDING,
            code="deposit_not_refundable",
            message=f"a top-up that is {deposit.status} cannot be refunded",
        )
        refund = await payments.refund_paid(conn, purpose="deposit", subject=str(deposit.id), reason=reason)
        if refund is None:  # recorded without an online payment of ours: nothing to give back here
            raise Conflict(
                "this top-up has no online payment to refund", code="deposit_not_refundable", status_now=deposit.status
            )
        deposit.status, deposit.refund_reason = DepositStatus.REFUNDING, reason
        await deposit.save(using_db=conn, update_fields=["status", "refund_reason"])
    log.info("deposit %s refund requested hospital=%s reason=%s", deposit.id, hospital.id, reason)
    await payments.advance_refund(deps, refund_id=refund.id)
    return _deposit_view(await Deposit.get(id=deposit.id))
