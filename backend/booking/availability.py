"""Booking's side of what a schedule listing shows: slots in use (the hold store) and which
sessions a resident's referrals open early. Catalog reaches it through `deps.stock` (wired in
backend/wiring.py), so catalog does not import booking."""

from __future__ import annotations

from tortoise.functions import Count

from backend.booking import store
from backend.booking.models import Booking, Referral
from backend.booking.rules import STANDING
from backend.booking.service import load_schedule
from backend.cards import service as cards
from backend.clock import clock


class BookingStock:
    async def used_slots(self, deps, schedules) -> dict[int, int]:
        """Slots in use per schedule (live holds and bookings), loading cold schedules."""
        if not schedules:
            return {}
        now_ms = clock.now_ms()
        used = await store.used_slots(deps, [s.id for s in schedules], now_ms)
        missing = [s for s in schedules if used[s.id] is None]
        if missing:
            for s in missing:
                await load_schedule(deps, s)
            used.update(await store.used_slots(deps, [s.id for s in missing], now_ms))
        return {sid: n or 0 for sid, n in used.items()}

    async def booked(self, schedule_ids: list[int], *, using_db=None) -> dict[int, int]:
        """Standing bookings (confirmed, checked in, called) per schedule."""
        if not schedule_ids:
            return {}
        rows = await (
            Booking.filter(schedule_id__in=schedule_ids, status__in=STANDING)
            .using_db(using_db)
            .annotate(n=Count("id"))
            .group_by("schedule_id")
            .values("schedule_id", "n")
        )
        return {r["schedule_id"]: r["n"] for r in rows}

    async def held_or_booked_now(self, deps, schedule_id: int) -> int:
        """Slots in use in the hold store right now (0 for a schedule it does not know)."""
        return (await store.used_slots(deps, [schedule_id], clock.now_ms()))[schedule_id] or 0

    async def schedules_changed(self, deps, schedules) -> None:
        """Catalog created or changed these schedules: put them in the hold store."""
        for schedule in schedules:
            await load_schedule(deps, schedule)

    async def referral_scope(self, deps, account_id: int) -> list[tuple[int, int | None, object]]:
        """(hospital_id, department_id or None, valid_until) of the live referrals of the cards
        the account may use."""
        card_ids = await cards.accessible_card_ids(account_id)
        if not card_ids:
            return []
        return list(
            await Referral.filter(
                card__card_id__in=card_ids, revoked_at__isnull=True, valid_until__gte=clock.today()
            ).values_list("hospital_id", "department_id", "valid_until")
        )
