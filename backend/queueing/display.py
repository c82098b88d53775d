"""The waiting-room display: the number being called in a session, read-only and anonymous
(numbers only, nobody's identity), as JSON for polling and as a server-sent-event stream."""

from __future__ import annotations

import asyncio

from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.catalog.models import Schedule
from backend.clock import iso
from backend.errors import NotFound
from backend.queueing.models import QueueEntry, ScheduleQueue

bp = Blueprint("queue_display")

POLL_S = 1.0
HEARTBEAT_S = 15.0
# A stream ends after a while and the browser's EventSource reconnects by itself: no connection
# outlives a deploy or holds a worker's shutdown for long.
STREAM_MAX_S = 300.0


async def board(schedule_id: int) -> dict:
    schedule = await Schedule.get_or_none(id=schedule_id).select_related("department", "doctor", "hospital")
    if schedule is None:
        raise NotFound("no such session", code="schedule_not_found")
    queue = await ScheduleQueue.get_or_none(schedule_id=schedule_id)
    waiting = await QueueEntry.filter(schedule_id=schedule_id, status="waiting").count()
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


@bp.get("/schedules/<schedule_id:id>/queue")
@openapi.summary("Waiting-room display: the number being called and how many wait (polling)")
async def queue_board(request: Request, schedule_id: int):
    return json(await board(schedule_id))


@bp.get("/schedules/<schedule_id:id>/queue/stream")
@openapi.summary("Waiting-room display as server-sent events: an event `queue` on every change")
async def queue_stream(request: Request, schedule_id: int):
    current = await board(schedule_id)  # a 404 before the stream starts
    response = await request.respond(content_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    loop = asyncio.get_running_loop()
    started = last_sent = loop.time()
    await response.send(_event(current))
    while loop.time() - started < STREAM_MAX_S:
        await asyncio.sleep(POLL_S)
        latest = await board(schedule_id)
        if latest != current:
            current = latest
            await response.send(_event(current))
            last_sent = loop.time()
        elif loop.time() - last_sent > HEARTBEAT_S:
            await response.send(": keep-alive\n\n")
            last_sent = loop.time()
    await response.eof()


def _event(data: dict) -> str:
    import ujson

    return f"event: queue\nretry: 2000\ndata: {ujson.dumps(data, ensure_ascii=False)}\n\n"
