"""Appointments (预约挂号): holds in Redis, bookings in the database, cancellation, suspension,
referrals and anti-scalper bans."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.actions import service as actions
from backend.booking import bans, referrals, rules, store
from backend.booking.models import Ban, Booking, Referral
from backend.booking.rules import BOOKING_MOVES, STANDING, BookingStatus
from backend.cards import service as cards
from backend.catalog.models import Schedule
from backend.catalog.rules import ORDINARY_RELEASE_DAYS, REFERRAL_EXTRA_DAYS, SCHEDULE_MOVES, ScheduleStatus
from backend.clock import SHANGHAI, clock, from_ms, iso, iso_ms, local_datetime, to_ms
from backend.errors import AppError, Conflict, NotFound, Unauthorized
from backend.identity import rules as identity_rules
from backend.identity import service as identity
from backend.notifications import service as notifications
from backend.payments import service as payments
from backend.payments.models import Payment

log = logging.getLogger("ehealth.booking")

PURPOSE = "booking"  # the payment purpose of holds (backend.booking.payment_purpose)


# --- stock in Redis, from the database --------------------------------------------------------


async def load_schedule(deps, schedule: Schedule) -> int:
    """Put a schedule's release data and standing bookings into the hold store."""
    booked = await Booking.filter(schedule_id=schedule.id, status__in=STANDING).values_list("card_id", "kind")
    visit_end = local_datetime(schedule.date, schedule.end)
    ttl_ms = max(
        to_ms(visit_end) + 2 * 86_400_000 - clock.now_ms(), 86_400_000
    )  # no date arithmetic: 9999-12-31 loads too
    return await store.load(
        deps,
        schedule=schedule,
        department_id=schedule.department_id,
        hospital_id=schedule.hospital_id,
        booked=list(booked),
        ttl_ms=ttl_ms,
    )


async def rebuild_stock(deps, *, only_missing: bool = False) -> dict:
    """Make the hold store agree with the database for every upcoming schedule (after a Redis
    restart or flush): stock, bans and referrals. With `only_missing`, schedules Redis still has
    are left alone (the start-up check)."""
    schedules = await Schedule.filter(date__gte=clock.today())
    loaded, failed = 0, []
    for schedule in schedules:
        if only_missing and await store.is_loaded(deps, schedule.id):
            continue
        try:
            await load_schedule(deps, schedule)
        except Exception:  # one unloadable row (a date out of range, say) must never stop start-up
            log.exception("schedule %s could not be loaded into the hold store; left out", schedule.id)
            failed.append(schedule.id)
            continue
        loaded += 1
    now = clock.now()
    for ban in await Ban.filter(until__gt=now):
        await store.set_ban(deps, card_pk=ban.card_id, rule=ban.rule, until_ms=to_ms(ban.until), now_ms=to_ms(now))
    for referral in await Referral.filter(revoked_at__isnull=True, valid_until__gte=clock.today()):
        await referrals.cache_referral(deps, referral)
    log.info("stock rebuilt: %s of %s upcoming schedules loaded", loaded, len(schedules))
    result = {"schedules": len(schedules), "loaded": loaded, "failed": failed}
    if not only_missing:  # asked for (console, command line), not the start-up check
        await actions.record("stock.rebuild", target=("stock", "all"), change={**result, "failed": failed[:100]})
    return result


# --- holds -------------------------------------------------------------------------------------


def _refusal(result: list) -> AppError:
    code = result[1]
    kind, message = rules.REFUSALS.get(code, (Conflict, code))
    details: dict = {}
    if code == "limit_exceeded":
        rule, until = result[2], result[3] if len(result) > 3 else ""
        message = rules.LIMIT_MESSAGES.get(rule, message)
        details = {"rule": rule, "until": iso_ms(int(until)) if until not in ("", None) else None}
    elif code == "not_released":
        details = {"release_at": iso_ms(int(result[2]))}
    elif code == "already_held":
        details = {"state": "held", "hold_id": result[2] if len(result) > 2 and result[2] else None}
    elif code == "already_booked":  # the contract's one code for "this card has this session"
        code, details = "already_held", {"state": "booked"}
    if kind is Unauthorized:
        return Unauthorized(message, code="invalid_token")
    return kind(message, code=code, **details)


async def place_hold(*, deps, token: str | None, card_id: str, schedule_id: int, ip: str) -> dict:
    """Take a hold in one Redis call; the database is read only to fill a cold cache."""
    if token is None:
        raise Unauthorized("a valid bearer token is required", code="invalid_token")
    if not cards.rules.is_card_id(card_id):
        raise NotFound("no such card", code="card_not_found")
    th = identity_rules.token_hash(token)
    if deps.hold_gate is not None:
        await deps.hold_gate(deps, token_hash=th, schedule_id=schedule_id, now_ms=clock.now_ms())
    hold_id = rules.new_hold_id(schedule_id)
    filled: set[str] = set()
    while True:
        result = await store.take(
            deps, token_hash=th, card_id=card_id, schedule_id=schedule_id, ip=ip, now_ms=clock.now_ms(), hold_id=hold_id
        )
        if result[0] == "ok":
            return {
                "hold_id": result[1],
                "expires_at": iso_ms(int(result[2])),
                "amount_fen": int(result[3]),
                "kind": result[4],
                "schedule_id": schedule_id,
                "card_id": card_id,
            }
        if result[0] == "err":
            raise _refusal(result)
        what = result[1]
        if what in filled:  # filled once and still missing: the data changed under us
            raise Conflict("please retry", code="retry")
        filled.add(what)
        await _fill_cache(deps, what=what, result=result, token_hash=th, card_id=card_id, schedule_id=schedule_id)


async def _fill_cache(deps, *, what: str, result: list, token_hash: str, card_id: str, schedule_id: int) -> None:
    if what == "token":
        if await identity.session_from_db(deps, token_hash) is None:
            raise Unauthorized("the token is invalid, expired or logged out", code="invalid_token")
    elif what == "cards":
        await cards.refresh_account_cards(deps, int(result[2]))
    elif what == "schedule":
        schedule = await Schedule.get_or_none(id=schedule_id)
        if schedule is None:
            raise NotFound("no such schedule", code="schedule_not_found")
        await load_schedule(deps, schedule)


async def _own_hold(deps, *, account_id: int, hold_id: str) -> dict:
    record = await store.hold_record(deps, hold_id)
    if not record or int(record["acct"]) != account_id:
        raise NotFound("no such hold", code="hold_not_found")
    return record


def hold_view(hold_id: str, record: dict) -> dict:
    expires = from_ms(int(record["exp"]))
    state = record["state"]
    if state == "held" and clock.now() >= expires:
        state = "expired"
    return {
        "hold_id": hold_id,
        "schedule_id": int(record["sid"]),
        "card_id": record.get("cid"),
        "expires_at": iso(expires),
        "amount_fen": int(record["fee"]),
        "kind": record["kind"],
        "state": state,
    }


async def get_hold(*, deps, account_id: int, hold_id: str) -> dict:
    return hold_view(hold_id, await _own_hold(deps, account_id=account_id, hold_id=hold_id))


async def live_hold(*, deps, account_id: int, hold_id: str) -> dict:
    """The hold's record if it is the account's and can still be paid, else 404/409."""
    record = await _own_hold(deps, account_id=account_id, hold_id=hold_id)
    view = hold_view(hold_id, record)
    if view["state"] == "held" and not await cards.may_use_card(account_id=account_id, card_pk=int(record["pk"])):
        # the family link ended after the hold was taken: the hold goes, nothing is paid
        await release_hold(deps=deps, account_id=account_id, hold_id=hold_id)
        raise NotFound("no such card", code="card_not_found")
    if view["state"] != "held":
        raise Conflict(f"this hold is {view['state']}; take a new one", code="hold_expired", state=view["state"])
    return record


async def release_hold(*, deps, account_id: int, hold_id: str) -> None:
    record = await _own_hold(deps, account_id=account_id, hold_id=hold_id)
    await store.release(
        deps,
        mode="hold",
        schedule_id=int(record["sid"]),
        card_pk=int(record["pk"]),
        date=record["date"],
        department_id=int(record["dept"]),
        hold_id=hold_id,
    )
    await payments.close_open_orders(deps, purpose=PURPOSE, subjects=[hold_id])


async def release_account_holds_on_card(deps, *, account_id: int, card_pk: int) -> int:
    """Release the account's unpaid holds on the card (its family link ended) and close their
    orders; a payment that lands anyway finds no hold and is refunded. Holds live only as far
    ahead as releases reach, so the card's day sets of that span are all there is to read."""
    now = clock.now()
    today = now.astimezone(SHANGHAI).date()
    reach = ORDINARY_RELEASE_DAYS + REFERRAL_EXTRA_DAYS + 1
    released = 0
    for offset in range(reach + 1):
        day = store.day_key(today + timedelta(days=offset))
        held = await deps.redis.zrangebyscore(store.card_key(deps, card_pk, "cd", day), f"({to_ms(now)}", f"({2**53}")
        for schedule_id in held:
            hold_id = await deps.redis.hget(store.schedule_key(deps, int(schedule_id), "shid"), card_pk)
            record = await store.hold_record(deps, hold_id) if hold_id else {}
            if record.get("state") == "held" and int(record.get("acct", 0)) == account_id:
                await release_hold(deps=deps, account_id=account_id, hold_id=hold_id)
                released += 1
    if released:
        log.info("released %s holds of account %s on card %s: the link ended", released, account_id, card_pk)
    return released


# --- bookings ------------------------------------------------------------------------------------


class BookingRefused(Exception):
    """The slot cannot be booked after all (the payment will be refunded)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


async def confirm_hold(deps, *, hold_id: str, schedule_id: int, card_pk: int, expires_at: datetime, kind: str) -> None:
    """Claim the held slot in Redis for good, or raise BookingRefused."""
    schedule = await Schedule.get(id=schedule_id)
    args = dict(
        hold_id=hold_id,
        schedule_id=schedule_id,
        card_pk=card_pk,
        expires_ms=to_ms(expires_at),
        kind=kind,
        date=store.day_key(schedule.date),
        department_id=schedule.department_id,
    )
    result = await store.confirm(deps, now_ms=clock.now_ms(), **args)
    if result[0] == "miss":
        await load_schedule(deps, schedule)
        result = await store.confirm(deps, now_ms=clock.now_ms(), **args)
    if result[0] != "ok":
        raise BookingRefused(result[1])


async def create_booking(
    conn, *, hold_id: str, schedule_id: int, card_pk: int, account_id: int, kind: str, amount_fen: int
) -> Booking:
    """Write the booking with its visit number, inside the caller's transaction. The schedule
    row is locked so numbers and the capacity check are decided one confirmation at a time."""
    schedule = await Schedule.select_for_update().using_db(conn).get(id=schedule_id)
    if schedule.status != ScheduleStatus.OPEN:
        raise BookingRefused("suspended")
    taken = set(
        await Booking.filter(schedule_id=schedule_id, status__in=STANDING)
        .using_db(conn)
        .values_list("visit_number", flat=True)
    )
    if len(taken) >= schedule.capacity:
        raise BookingRefused("sold_out")
    number = rules.pick_visit_number(taken)
    try:
        # a savepoint, so a unique violation does not abort the caller's whole transaction
        async with in_transaction() as inner:
            booking = await Booking.create(
                schedule_id=schedule_id,
                card_id=card_pk,
                account_id=account_id,
                hold_id=hold_id,
                kind=kind,
                visit_number=number,
                active_visit_number=number,
                active_card_id=card_pk,
                status=BookingStatus.CONFIRMED,
                amount_fen=amount_fen,
                visit_date=schedule.date,
                created_at=clock.now(),
                using_db=inner,
            )
    except IntegrityError:
        raise BookingRefused("already_booked") from None
    described = await Schedule.get(id=schedule_id).using_db(conn).select_related("hospital", "department", "doctor")
    await notifications.enqueue(
        conn,
        account_id=account_id,
        kind="booking_confirmed",
        payload=visit_payload(booking, described),
        dedup_key=f"booking_confirmed:{booking.id}",
    )
    return booking


def visit_payload(booking: Booking, schedule: Schedule) -> dict:
    """What messages about a booking show (confirmation, reminders); `schedule` with its
    hospital, department and doctor."""
    return {
        "booking_id": booking.id,
        "hospital": schedule.hospital.name,
        "department": schedule.department.name,
        "doctor": schedule.doctor.name,
        "date": schedule.date.isoformat(),
        "start": schedule.start,
        "visit_number": booking.visit_number,
    }


async def booking_view(booking: Booking, *, cancel_days_before: int) -> dict:
    """A booking as its resident sees it; `cancellable_until` is the deadline cancel_booking enforces
    (CANCEL_DAYS_BEFORE), shown while the booking can still be cancelled."""
    schedule = booking.schedule
    payment = await booking_payment(booking)
    refund = None
    if payment is not None:
        latest = await payment.refunds.all().order_by("-id").first()
        if latest is not None:
            refund = {"status": latest.status, "amount_fen": latest.amount_fen, "reason": latest.reason}
    return {
        "id": booking.id,
        "status": booking.status,
        "visit_number": booking.visit_number,
        "card_id": booking.card.card_id,
        "kind": booking.kind,
        "amount_fen": booking.amount_fen,
        "schedule": {
            "id": schedule.id,
            "date": schedule.date.isoformat(),
            "start": schedule.start,
            "end": schedule.end,
            "hospital": {"id": schedule.hospital.id, "name": schedule.hospital.name},
            "department": {"id": schedule.department.id, "name": schedule.department.name},
            "doctor": {"id": schedule.doctor.id, "name": schedule.doctor.name, "title": schedule.doctor.title},
        },
        "out_trade_no": payment.out_trade_no if payment else None,
        "created_at": iso(booking.created_at),
        "cancelled_at": iso(booking.cancelled_at),
        "cancel_reason": booking.cancel_reason,
        "cancellable_until": (
            iso(rules.cancel_deadline(booking.visit_date, days_before=cancel_days_before))
            if booking.status == BookingStatus.CONFIRMED
            else None
        ),
        "refund": refund,
    }


async def booking_payment(booking: Booking):
    return await Payment.get_or_none(booking_id=booking.id)


_RELATED = ("card", "schedule", "schedule__hospital", "schedule__department", "schedule__doctor")


async def list_bookings(*, deps, account_id: int) -> list[dict]:
    card_ids = await cards.accessible_card_ids(account_id)
    bookings = await Booking.filter(card__card_id__in=card_ids).order_by("-visit_date", "-id").select_related(*_RELATED)
    days_before = deps.settings.booking.cancel_days_before
    return [await booking_view(b, cancel_days_before=days_before) for b in bookings]


async def _accessible_booking(account_id: int, booking_id: int) -> Booking:
    booking = await Booking.get_or_none(id=booking_id).select_related(*_RELATED)
    if booking is None or booking.card.card_id not in await cards.accessible_card_ids(account_id):
        raise NotFound("no such booking")
    return booking


async def get_booking(*, deps, account_id: int, booking_id: int) -> dict:
    booking = await _accessible_booking(account_id, booking_id)
    return await booking_view(booking, cancel_days_before=deps.settings.booking.cancel_days_before)


async def cancel_booking(*, deps, account_id: int, booking_id: int) -> dict:
    """退号: until the deadline, refund to the original payment, slot back to stock."""
    booking = await _accessible_booking(account_id, booking_id)
    rules.check_cancel(booking.status)
    deadline = rules.cancel_deadline(booking.visit_date, days_before=deps.settings.booking.cancel_days_before)
    now = clock.now()
    if now >= deadline:
        raise Conflict("the cancellation deadline has passed", code="cancel_deadline_passed", deadline=iso(deadline))
    refund_ids = []
    async with in_transaction() as conn:
        updated = (
            await Booking.filter(id=booking.id, status__in=BOOKING_MOVES.sources(BookingStatus.CANCELLED))
            .using_db(conn)
            .update(
                status=BookingStatus.CANCELLED,
                cancelled_at=now,
                cancel_reason="resident",
                active_card_id=None,
                active_visit_number=None,
            )
        )
        if not updated:  # checked in (or cancelled) meanwhile: refuse with what it is now
            rules.check_cancel(
                await Booking.filter(id=booking.id).using_db(conn).first().values_list("status", flat=True)
            )
            raise Conflict("this booking was changed meanwhile", code="not_cancellable")
        refund = await payments.refund_paid(conn, purpose=PURPOSE, subject=booking.hold_id, reason="cancelled")
        if refund is not None:
            refund_ids.append(refund.id)
    await _give_back(deps, booking)
    await bans.check_cancel_ban(deps, card_pk=booking.card_id, now=now)
    for refund_id in refund_ids:
        await payments.advance_refund(deps, refund_id=refund_id)
    booking = await _accessible_booking(account_id, booking_id)
    log.info("booking cancelled id=%s", booking.id)
    return await booking_view(booking, cancel_days_before=deps.settings.booking.cancel_days_before)


async def _give_back(deps, booking: Booking) -> None:
    schedule = booking.schedule
    await store.release(
        deps,
        mode="booking",
        schedule_id=schedule.id,
        card_pk=booking.card_id,
        date=store.day_key(schedule.date),
        department_id=schedule.department_id,
        hold_id=booking.hold_id,
    )


# --- suspension (停诊) -----------------------------------------------------------------------------


def _check_suspendable(schedule: Schedule) -> None:
    if schedule.status == ScheduleStatus.SUSPENDED:
        raise Conflict("this session is already suspended", code="already_suspended")
    SCHEDULE_MOVES.check(schedule.status, ScheduleStatus.SUSPENDED)


async def suspend_schedule(*, deps, schedule_id: int, reason: str) -> dict:
    """Cancel every booking and hold of the session, refund every payment, notify residents."""
    schedule = await Schedule.get_or_none(id=schedule_id).select_related("hospital", "department", "doctor")
    if schedule is None:
        raise NotFound("no such schedule")
    now = clock.now()
    _check_suspendable(schedule)
    refund_ids: list[int] = []
    async with in_transaction() as conn:
        locked = await Schedule.select_for_update().using_db(conn).get(id=schedule_id)
        _check_suspendable(locked)
        await (
            Schedule.filter(id=schedule_id)
            .using_db(conn)
            .update(status=ScheduleStatus.SUSPENDED, suspended_at=now, suspend_reason=reason)
        )
        bookings = await Booking.filter(
            schedule_id=schedule_id, status__in=BOOKING_MOVES.sources(BookingStatus.SUSPENDED)
        ).using_db(conn)
        for booking in bookings:
            await (
                Booking.filter(id=booking.id)
                .using_db(conn)
                .update(
                    status=BookingStatus.SUSPENDED,
                    cancelled_at=now,
                    cancel_reason="suspended",
                    active_card_id=None,
                    active_visit_number=None,
                )
            )
            refund = await payments.refund_paid(conn, purpose=PURPOSE, subject=booking.hold_id, reason="suspended")
            if refund is not None:
                refund_ids.append(refund.id)
            await notifications.enqueue(
                conn,
                account_id=booking.account_id,
                kind="schedule_suspended",
                payload={
                    "booking_id": booking.id,
                    "hospital": schedule.hospital.name,
                    "department": schedule.department.name,
                    "doctor": schedule.doctor.name,
                    "date": schedule.date.isoformat(),
                    "start": schedule.start,
                    "reason": reason,
                    "refund_fen": booking.amount_fen,
                },
            )
        await actions.record(
            "schedule.suspend",
            target=("schedule", schedule_id),
            hospital_id=schedule.hospital_id,
            reason=reason,
            using_db=conn,
            change={
                "status": [str(locked.status), str(ScheduleStatus.SUSPENDED)],
                "bookings_cancelled": len(bookings),
                "refunds": len(refund_ids),
            },
        )
    # Live holds: marked suspended in Redis so a payment still on its way is refunded on arrival.
    live_holds = await store.suspend(deps, schedule_id=schedule_id, now_ms=to_ms(now))
    open_payments = await payments.close_open_orders(deps, purpose=PURPOSE, subjects=list(live_holds))
    for refund_id in refund_ids:
        await payments.advance_refund(deps, refund_id=refund_id)
    log.info("schedule %s suspended: %s bookings, %s holds", schedule_id, len(bookings), len(live_holds))
    return {
        "schedule_id": schedule_id,
        "status": ScheduleStatus.SUSPENDED,
        "bookings_cancelled": len(bookings),
        "holds_cancelled": len(live_holds),
        "payments_closed": open_payments,
        "refunds": len(refund_ids),
    }
