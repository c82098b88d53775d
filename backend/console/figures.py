"""Console figures: cards issued, bookings per day, no-show rate, payments and refunds, outpatient
charges paid, over a date range (Asia/Shanghai), for the region or for one hospital."""

from __future__ import annotations

from datetime import date, timedelta

from tortoise.functions import Count

from backend.booking.models import Booking
from backend.cards.models import Card
from backend.clock import local_datetime
from backend.outpatient import service as outpatient
from backend.payments.models import Payment, Refund
from backend.queueing.models import QueueEntry
from backend.reports import service as reports


async def figures(*, hospital_id: int | None, date_from: date, date_to: date) -> dict:
    start, end = local_datetime(date_from, "00:00"), local_datetime(date_to + timedelta(days=1), "00:00")
    bookings = Booking.filter(visit_date__gte=date_from, visit_date__lte=date_to)
    payments = Payment.filter(paid_at__gte=start, paid_at__lt=end)
    refunds = Refund.filter(created_at__gte=start, created_at__lt=end)
    checked_in = QueueEntry.filter(booking__visit_date__gte=date_from, booking__visit_date__lte=date_to)
    if hospital_id is not None:
        bookings = bookings.filter(schedule__hospital_id=hospital_id)
        payments = payments.filter(schedule__hospital_id=hospital_id)
        refunds = refunds.filter(payment__schedule__hospital_id=hospital_id)
        checked_in = checked_in.filter(schedule__hospital_id=hospital_id)
    per_day = (
        await bookings.annotate(n=Count("id")).group_by("visit_date").order_by("visit_date").values("visit_date", "n")
    )
    by_status = {
        r["status"]: r["n"] for r in await bookings.annotate(n=Count("id")).group_by("status").values("status", "n")
    }
    no_shows, attended = by_status.get("no_show", 0), await checked_in.count()
    paid_fen = await payments.values_list("paid_fen", flat=True)
    refund_rows = await refunds.values_list("amount_fen", "status")
    result = {
        "hospital_id": hospital_id,
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "bookings_per_day": [{"date": r["visit_date"].isoformat(), "bookings": r["n"]} for r in per_day],
        "bookings_by_status": by_status,
        "checked_in": attended,
        "no_shows": no_shows,
        "no_show_rate": round(no_shows / (no_shows + attended), 4) if no_shows + attended else None,
        "payments": {"count": len(paid_fen), "paid_fen": sum(fen or 0 for fen in paid_fen)},
        "refunds": {
            "count": len(refund_rows),
            "amount_fen": sum(fen for fen, _ in refund_rows),
            "succeeded_fen": sum(fen for fen, status in refund_rows if status == "success"),
        },
    }
    # reports received (first push) and delivered (first opened by a resident allowed to see it)
    report_days = await reports.daily_counts(hospital_id=hospital_id, date_from=date_from, date_to=date_to)
    result["reports"] = {
        "received": sum(r["received"] for r in report_days),
        "delivered": sum(r["delivered"] for r in report_days),
        "per_hospital_day": report_days,
    }
    result["charges"] = await outpatient.figures(hospital_id=hospital_id, date_from=date_from, date_to=date_to)
    if hospital_id is None:  # cards belong to the region, not to a hospital
        result["cards_issued"] = await Card.filter(created_at__gte=start, created_at__lt=end).count()
        result["cards_total"] = await Card.all().count()
    else:
        result["cards_with_bookings"] = len(set(await bookings.values_list("card_id", flat=True)))
    return result
