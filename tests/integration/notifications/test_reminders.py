"""The evening visit reminder on a day with thousands of bookings: every confirmed booking of
tomorrow gets one message, in a bounded number of queries that grows with tomorrow's bookings
only (counted from Tortoise's query log), and never twice."""

import logging
from contextlib import contextmanager
from datetime import date, timedelta

from backend.booking.models import Booking
from backend.booking.reminders import send_visit_reminders
from backend.cards.models import Card
from backend.clock import clock
from backend.identity.models import Account
from backend.notifications import service as notifications
from backend.notifications.models import Notification
from backend.queueing import service as queueing
from backend.queueing.models import QueueEntry
from tests.integration.conftest import at

TOMORROW = date(2026, 12, 21)
TODAY = TOMORROW - timedelta(days=1)
PER_SCHEDULE = 500  # the most a session holds
STATEMENTS = ("SELECT", "INSERT", "UPDATE", "DELETE")


class _Counter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record):
        text = str(record.msg % record.args if record.args else record.msg).lstrip()
        if text.upper().startswith(STATEMENTS):
            self.statements.append(text[:80])


@contextmanager
def counted_queries():
    logger = logging.getLogger("tortoise.db_client")
    handler, level = _Counter(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def _bookings(catalog, *, day: date, schedules: int, status: str = "confirmed", tag: str) -> list[int]:
    """`schedules` x 500 bookings on `day`, each its own account and card (written in bulk)."""
    now = clock.now()
    hospital = await catalog.hospital()
    made = []
    for n in range(schedules):
        s = await catalog.schedule(hospital=hospital, day=day, capacity=PER_SCHEDULE)
        prefix = f"{tag}{n}-"
        await Account.bulk_create(
            [Account(openid=f"{prefix}{i}", created_at=now, last_login_at=now) for i in range(PER_SCHEDULE)],
            batch_size=500,
        )
        accounts = dict(await Account.filter(openid__startswith=prefix).values_list("openid", "id"))
        await Card.bulk_create(
            [
                Card(
                    card_id=f"{prefix}{i}",
                    id_hash=f"{prefix}{i}",
                    id_enc="x",
                    name_hash="x",
                    name_enc="x",
                    phone_hash="x",
                    phone_enc="x",
                    pii_ref="x",
                    created_at=now,
                    card_id_issued_at=now,
                )
                for i in range(PER_SCHEDULE)
            ],
            batch_size=500,
        )
        cards = dict(await Card.filter(card_id__startswith=prefix).values_list("card_id", "id"))
        await Booking.bulk_create(
            [
                Booking(
                    schedule_id=s["id"],
                    card_id=cards[f"{prefix}{i}"],
                    account_id=accounts[f"{prefix}{i}"],
                    hold_id=f"{prefix}{i}",
                    visit_number=i + 1,
                    active_visit_number=i + 1 if status == "confirmed" else None,
                    active_card_id=cards[f"{prefix}{i}"] if status == "confirmed" else None,
                    status=status,
                    amount_fen=1500,
                    visit_date=day,
                    created_at=now,
                )
                for i in range(PER_SCHEDULE)
            ],
            batch_size=500,
        )
        made.append(s["id"])
    return made


async def test_tomorrows_thousands_of_bookings_are_reminded_in_bounded_queries_once(catalog, deps):
    clock.freeze(at(TODAY - timedelta(days=7), "13:00"))
    await _bookings(catalog, day=TOMORROW, schedules=6, tag="t")  # 3,000 to remind
    await _bookings(catalog, day=TOMORROW, schedules=2, status="cancelled", tag="c")  # 1,000 not
    await _bookings(catalog, day=TOMORROW + timedelta(days=1), schedules=4, tag="a")  # 2,000 another day
    page = deps.settings.messages.reminder_page

    clock.freeze(at(TODAY, "17:59"))
    with counted_queries() as before_the_hour:
        assert await send_visit_reminders(deps) == 0
    assert before_the_hour == []

    clock.freeze(at(TODAY, "18:00"))
    with counted_queries() as queries:
        assert await send_visit_reminders(deps) == 3000
    pages = -(-3000 // page)
    # one read and one write per page of 500 (plus the empty read that ends it at most),
    # whatever the 3,000 other bookings of the database
    assert 2 * pages <= len(queries) <= 2 * pages + 1, queries
    assert await Notification.filter(kind="visit_reminder").count() == 3000
    note = await Notification.filter(kind="visit_reminder").first()
    assert note.payload["date"] == TOMORROW.isoformat() and note.dedup_key.startswith("visit_reminder:")
    assert note.status == "pending"

    clock.freeze(at(TODAY, "18:05"))
    with counted_queries() as again:
        assert await send_visit_reminders(deps) == 0  # done for tomorrow: one Redis read
    assert again == []

    # a second run (another worker that missed the mark, say) writes nothing twice
    await deps.redis.delete(deps.keys("reminders", "visit", TOMORROW.isoformat(), "done"))
    assert await send_visit_reminders(deps) == 3000
    assert await Notification.filter(kind="visit_reminder").count() == 3000

    # the messages go out at once (18:00 is before the quiet hours); without allowances, to the inbox
    await notifications.dispatch(deps, limit=200)
    assert await Notification.filter(kind="visit_reminder", status="inbox").count() == 200


async def test_a_call_in_a_queue_of_500_tells_two_patients_in_a_constant_number_of_queries(catalog, deps):
    clock.freeze(at(TODAY - timedelta(days=7), "13:00"))
    [schedule_id] = await _bookings(catalog, day=TODAY, schedules=1, tag="q")
    bookings = await Booking.filter(schedule_id=schedule_id).order_by("visit_number")
    clock.freeze(at(TODAY, "08:00"))
    await QueueEntry.bulk_create(
        [
            QueueEntry(booking_id=b.id, schedule_id=schedule_id, rank=b.visit_number * 1000, checked_in_at=clock.now())
            for b in bookings
        ],
        batch_size=500,
    )
    counts = []
    for _ in range(3):
        with counted_queries() as queries:
            await queueing.call_next(schedule_id=schedule_id, queue_reminder_ahead=3)
        counts.append(len(queries))
    # the first call also makes the session's queue row; after it, the same few queries every call
    assert counts[1] == counts[2] <= 12 and counts[0] <= counts[1] + 2, counts
    reminded = await Notification.filter(kind="queue_reminder").order_by("id").values_list("payload", flat=True)
    assert [p["visit_number"] for p in reminded] == [5, 6, 7]  # 3 ahead of each after each call
    assert await Notification.filter(kind="queue_called").count() == 3
