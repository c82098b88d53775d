from sanic import Blueprint, Request, json
from sanic_ext import openapi

from backend.identity.guards import resident
from backend.queueing import service

bp = Blueprint("queueing")


@bp.get("/bookings/<booking_id:id>/queue")
@openapi.summary("The queue for a booking: number being called, yours, how many ahead")
@resident
async def queue_status(request: Request, booking_id: int):
    return json(await service.status_for_resident(account_id=request.ctx.account_id, booking_id=booking_id))
