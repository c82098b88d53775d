"""The resident's queue position, and the waiting-room display (JSON for polling, server-sent
events for a live board; read-only and anonymous)."""

import asyncio

import ujson
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.identity.guards import resident
from backend.queueing import service

bp = Blueprint("queueing")
display_bp = Blueprint("queue_display")

POLL_S = 1.0
HEARTBEAT_S = 15.0
# A stream ends after a while and the browser's EventSource reconnects by itself: no connection
# outlives a deploy or holds a worker's shutdown for long.
STREAM_MAX_S = 300.0


@bp.get("/bookings/<booking_id:id>/queue")
@openapi.summary("The queue for a booking: number being called, yours, how many ahead")
@resident
async def queue_status(request: Request, booking_id: int):
    return json(await service.status_for_resident(account_id=request.ctx.account_id, booking_id=booking_id))


@display_bp.get("/schedules/<schedule_id:id>/queue")
@openapi.summary("Waiting-room display: the number being called and how many wait (polling)")
async def queue_board(request: Request, schedule_id: int):
    return json(await service.display_board(schedule_id))


@display_bp.get("/schedules/<schedule_id:id>/queue/stream")
@openapi.summary("Waiting-room display as server-sent events: an event `queue` on every change")
async def queue_stream(request: Request, schedule_id: int):
    current = await service.display_board(schedule_id)  # a 404 before the stream starts
    response = await request.respond(content_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    loop = asyncio.get_running_loop()
    started = last_sent = loop.time()
    await response.send(_event(current))
    while loop.time() - started < STREAM_MAX_S:
        await asyncio.sleep(POLL_S)
        latest = await service.display_board(schedule_id)
        if latest != current:
            current = latest
            await response.send(_event(current))
            last_sent = loop.time()
        elif loop.time() - last_sent > HEARTBEAT_S:
            await response.send(": keep-alive\n\n")
            last_sent = loop.time()
    await response.eof()


def _event(data: dict) -> str:
    return f"event: queue\nretry: 2000\ndata: {ujson.dumps(data, ensure_ascii=False)}\n\n"
