"""The resident's queue position, and the waiting-room display (JSON for polling, server-sent
events for a live board; read-only and anonymous)."""

import asyncio

import ujson
from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.edge import refuses
from backend.errors import NotFound, TooManyRequests, Unavailable
from backend.http import client_ip
from backend.identity.guards import resident
from backend.queueing import service, stream

bp = Blueprint("queueing")
display_bp = Blueprint("queue_display")


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
@refuses({NotFound: ("schedule_not_found",), TooManyRequests: ("limit_exceeded",), Unavailable: ("streams_full",)})
async def queue_stream(request: Request, schedule_id: int):
    deps = request.app.ctx.deps
    settings = deps.settings.streams
    gate, boards = _streams_of(request.app, settings)
    async with gate.admit(deps, client_ip(request)), boards.watching(schedule_id) as board:  # 429/503/404 first
        response = await request.respond(
            content_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        seen = board.version
        await response.send(_event(board.value))
        while (left := settings.max_s - (loop.time() - started)) > 0:
            if await board.wait_past(seen, min(settings.heartbeat_s, left)):
                seen = board.version
                await response.send(_event(board.value))
            elif left > settings.heartbeat_s:
                await response.send(": keep-alive\n\n")
        await response.eof()


def _streams_of(app, settings) -> tuple[stream.Gate, stream.Boards]:
    """This worker's gate and boards (one app per worker process)."""
    found = getattr(app.ctx, "queue_streams", None)
    if found is None:
        found = app.ctx.queue_streams = (stream.Gate(), stream.Boards(service.display_board, poll_s=settings.poll_s))
    return found


def _event(data: dict) -> str:
    return f"event: queue\nretry: 2000\ndata: {ujson.dumps(data, ensure_ascii=False)}\n\n"
