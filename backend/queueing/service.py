"""Check-in, calling the next patient, and what residents see of the queue."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.booking.models import Booking
from backend.booking.rules import BOOKING_MOVES, BookingStatus, check_check_in
from backend.cards import service as cards
from backend.catalog.models import Schedule
from backend.clock import clock, iso
from backend.errors import Conflict, NotFound
from backend.notifications import service as notifications
from backend.queueing import rules
from backend.queueing.models import QueueEntry, ScheduleQueue

log = logging.getLogger("ehealth.queue")
T = TypeVar("T")


async def _locked_queue(conn, schedule_id: int) -> ScheduleQueue:
    queue = await ScheduleQueue.select_for_update().using_db(conn).get_or_none(schedule_id=schedule_id)
    if queue is None:
        try:
            async with in_transaction() as inner:  # savepoint: a concurrent creator may win
                await ScheduleQueue.create(schedule_id=schedule_id, updated_at=clock.now(), using_db=inner)
        except IntegrityError:
            pass
        queue = await ScheduleQueue.select_for_update().using_db(conn).get(schedule_id=schedule_id)
    return queue


async def check_in(*, booking: Booking) -> dict:
    """Queue a confirmed booking of today; the caller has checked the patient's code."""
    check_check_in(booking.status)
    if booking.visit_date != clock.today():
        raise Conflict("check-in is only on the day of the visit", code="not_today")
    async with in_transaction() as conn:
        queue = await _locked_queue(conn, booking.schedule_id)
        if await QueueEntry.filter(booking_id=booking.id).using_db(conn).exists():
            raise Conflict("this booking is already checked in", code="already_checked_in")
        taken = set(
            await QueueEntry.filter(schedule_id=booking.schedule_id).using_db(conn).values_list("rank", flat=True)
        )
        rank = rules.check_in_rank(booking.visit_number, called_rank=queue.called_rank, taken=taken)
        moved = (
            await Booking.filter(id=booking.id, status__in=BOOKING_MOVES.sources(BookingStatus.CHECKED_IN))
            .using_db(conn)
            .update(status=BookingStatus.CHECKED_IN)
        )
        if not moved:  # cancelled or checked in meanwhile
            check_check_in(await Booking.filter(id=booking.id).using_db(conn).first().values_list("status", flat=True))
        await QueueEntry.create(
            booking_id=booking.id, schedule_id=booking.schedule_id, rank=rank, checked_in_at=clock.now(), using_db=conn
        )
        waiting = (
            await QueueEntry.filter(schedule_id=booking.schedule_id, status="waiting")
            .using_db(conn)
            .values_list("rank", flat=True)
        )
    return {
        "booking_id": booking.id,
        "visit_number": booking.visit_number,
        "position": rules.ahead(rank, list(waiting)) + 1,
    }


async def _tell_the_queue(conn, *, schedule_id: int, called: QueueEntry, ahead: int) -> None:
    """In the call's transaction: the called patient is told, and so is the one who now has
    `ahead` patients before them. Two reads whatever the queue's length; each message once."""
    schedule = await Schedule.get(id=schedule_id).using_db(conn).select_related("hospital", "department")
    place = {"hospital": schedule.hospital.name, "department": schedule.department.name}
    booking = called.booking
    await notifications.enqueue(
        conn,
        account_id=booking.account_id,
        kind="queue_called",
        payload={"booking_id": booking.id, "visit_number": booking.visit_number, **place},
        dedup_key=f"queue_called:{booking.id}",
    )
    nearly = (
        await QueueEntry.filter(schedule_id=schedule_id, status="waiting")
        .using_db(conn)
        .order_by("rank")
        .offset(ahead)
        .limit(1)
        .select_related("booking")
        .first()
    )
    if nearly is not None:
        waiting = nearly.booking
        await notifications.enqueue(
            conn,
            account_id=waiting.account_id,
            kind="queue_reminder",
            payload={"booking_id": waiting.id, "visit_number": waiting.visit_number, "ahead": ahead, **place},
            dedup_key=f"queue_reminder:{waiting.id}",
        )


async def call_next(*, schedule_id: int, queue_reminder_ahead: int = 3) -> dict:
    async with in_transaction() as conn:
        queue = await _locked_queue(conn, schedule_id)
        now = clock.now()
        await QueueEntry.filter(schedule_id=schedule_id, status="called").using_db(conn).update(status="done")
        entry = (
            await QueueEntry.filter(schedule_id=schedule_id, status="waiting")
            .using_db(conn)
            .order_by("rank")
            .select_related("booking")
            .first()
        )
        if entry is None:
            raise Conflict("nobody is waiting", code="queue_empty", called_number=queue.called_number)
        await QueueEntry.filter(id=entry.id).using_db(conn).update(status="called", called_at=now)
        await (
            Booking.filter(id=entry.booking_id, status__in=BOOKING_MOVES.sources(BookingStatus.CALLED))
            .using_db(conn)
            .update(status=BookingStatus.CALLED)
        )
        await (
            ScheduleQueue.filter(id=queue.id)
            .using_db(conn)
            .update(called_number=entry.booking.visit_number, called_rank=entry.rank, updated_at=now)
        )
        await _tell_the_queue(conn, schedule_id=schedule_id, called=entry, ahead=queue_reminder_ahead)
    log.info("schedule %s calls number %s", schedule_id, entry.booking.visit_number)
    return {"called_number": entry.booking.visit_number, "booking_id": entry.booking_id}


async def status_for_resident(*, account_id: int, booking_id: int) -> dict:
    booking = await Booking.get_or_none(id=booking_id).select_related("card")
    if booking is None or booking.card.card_id not in await cards.accessible_card_ids(account_id):
        raise NotFound("no such booking")

    async def entry_and_waiting():
        entry = await QueueEntry.get_or_none(booking_id=booking.id)
        ranks = QueueEntry.filter(schedule_id=booking.schedule_id, status="waiting").values_list("rank", flat=True)
        return entry, list(await ranks)

    queue, (entry, waiting) = await beside_the_call(booking.schedule_id, entry_and_waiting)
    called = queue.called_number if queue else None
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.SUSPENDED):
        status, ahead = "cancelled", 0
    elif entry is None:
        status, ahead = "not_checked_in", rules.ahead(rules.natural_rank(booking.visit_number), waiting)
    else:
        status, ahead = entry.status, (rules.ahead(entry.rank, waiting) if entry.status == "waiting" else 0)
    return {"called_number": called, "your_number": booking.visit_number, "ahead": ahead, "status": status}


async def schedule_in_hospital(*, schedule_id: int, hospital_id: int) -> Schedule:
    schedule = await Schedule.get_or_none(id=schedule_id, hospital_id=hospital_id)
    if schedule is None:
        raise NotFound("no such session at this hospital")
    return schedule


async def display_board(schedule_id: int) -> dict:
    """The waiting-room display of a session: the number being called and how many wait
    (numbers only, nobody's identity)."""
    schedule = await Schedule.get_or_none(id=schedule_id).select_related("department", "doctor", "hospital")
    if schedule is None:
        raise NotFound("no such session", code="schedule_not_found")
    queue, waiting = await beside_the_call(
        schedule_id, lambda: QueueEntry.filter(schedule_id=schedule_id, status="waiting").count()
    )
    return {
        "schedule_id": schedule.id,
        "hospital": schedule.hospital.name,
        "department": schedule.department.name,
        "doctor": schedule.doctor.name,
        "date": schedule.date.isoformat(),
        "start": schedule.start,
        "end": schedule.end,
        "called_number": queue.called_number if queue else None,
        "waiting": waiting,
        "updated_at": iso(queue.updated_at) if queue else None,
    }


def _calling_state(queue: ScheduleQueue | None) -> tuple | None:
    return None if queue is None else (queue.called_number, queue.called_rank, queue.updated_at)


async def beside_the_call(
    schedule_id: int, read: Callable[[], Awaitable[T]], tries: int = 5
) -> tuple[ScheduleQueue | None, T]:
    """(the schedule's calling state, what `read` returns), as of one moment. A call changes the
    number called and the entries' statuses in one transaction, but reading them takes several
    queries, and one could see the call and another not (the old number beside the new count). So
    the calling state is read again after `read` and the pair kept only if it did not change
    meanwhile: `read` then ran between two looks that saw no call, and every call changes it."""
    queue = await ScheduleQueue.get_or_none(schedule_id=schedule_id)
    for _ in range(tries):
        result = await read()
        again = await ScheduleQueue.get_or_none(schedule_id=schedule_id)
        if _calling_state(again) == _calling_state(queue):
            break
        queue = again
    return queue, result
