"""The visit reminder: at VISIT_REMINDER_AT (18:00 Asia/Shanghai) the evening before, every
confirmed booking of tomorrow gets one message.

The job reads tomorrow's bookings only (the index on status and visit_date), a page at a time
with their schedule, hospital, department and doctor joined, and writes each page's messages in
one statement: two queries per page, however many bookings the service holds. Each message's
dedup key (`visit_reminder:<booking id>`) makes a second run, or a second worker, write nothing
twice; once a day's run finishes, a Redis mark makes the later rounds of that evening a single
read.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from backend.booking.models import Booking
from backend.booking.rules import BookingStatus
from backend.booking.service import visit_payload
from backend.clock import clock
from backend.notifications import service as notifications

log = logging.getLogger("ehealth.booking")
RUN_LOCK_S = 600
DONE_TTL_S = 3 * 24 * 3600


async def send_visit_reminders(deps) -> int:
    """Write tomorrow's visit reminders once the evening's hour has come; returns how many
    bookings were read (0 before the hour or once done)."""
    config = deps.settings.messages
    local = clock.local_now()
    if local.strftime("%H:%M") < config.visit_reminder_at:
        return 0
    day = local.date() + timedelta(days=1)
    done = deps.keys("reminders", "visit", day.isoformat(), "done")
    if await deps.redis.get(done):
        return 0
    running = deps.keys("reminders", "visit", day.isoformat(), "running")
    if not await deps.redis.set(running, 1, nx=True, ex=RUN_LOCK_S):
        return 0  # another worker is on it
    read = 0
    try:
        after = 0
        while True:
            page = (
                await Booking.filter(visit_date=day, status=BookingStatus.CONFIRMED, id__gt=after)
                .order_by("id")
                .limit(config.reminder_page)
                .select_related("schedule__hospital", "schedule__department", "schedule__doctor")
            )
            if not page:
                break
            await notifications.enqueue_many(
                None,
                [
                    {
                        "account_id": b.account_id,
                        "kind": "visit_reminder",
                        "payload": visit_payload(b, b.schedule),
                        "dedup_key": f"visit_reminder:{b.id}",
                    }
                    for b in page
                ],
            )
            read += len(page)
            after = page[-1].id
            if len(page) < config.reminder_page:
                break
        await deps.redis.set(done, 1, ex=DONE_TTL_S)
    finally:
        await deps.redis.delete(running)
    log.info("visit reminders for %s: %s bookings", day, read)
    return read
