"""Seed a scratch database for the live tests (settings from the environment): `cards`
residents with a session and a card, `schedules` sessions of `capacity` slots released
already, and on each the first `booked` residents' bookings (rows in the database only, as a
restored database would have them). Prints one JSON object: schedule ids and [token, card_id]."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
from datetime import timedelta


async def seed(cards: int, schedules: int, capacity: int, booked: int) -> dict:
    from backend import db
    from backend import redis as hot
    from backend.booking.models import Booking
    from backend.catalog import rules
    from backend.catalog.models import Department, Doctor, Hospital, Schedule
    from backend.clock import clock
    from backend.config import load_settings
    from backend.deps import build_deps
    from backend.devtools import bulk_residents

    settings = load_settings()
    await db.migrate(settings.database.url)
    await db.init(settings.database.url)
    client = hot.connect(settings.redis.url)
    try:
        deps = build_deps(settings, client)
        hospital = await Hospital.create(
            code="LIVE" + secrets.token_hex(2).upper(), name="故障测试医院", created_at=clock.now()
        )
        day = clock.today() + timedelta(days=1)
        released = rules.release_times(day, hospital.release_time)
        ids = []
        for i in range(schedules):
            dept = await Department.create(hospital=hospital, code=f"D{i}", name=f"科室{i}")
            doctor = await Doctor.create(hospital=hospital, department=dept, code=f"DR{i}", name=f"医生{i}")
            s = await Schedule.create(
                hospital=hospital,
                department=dept,
                doctor=doctor,
                date=day,
                start="08:00",
                end="12:00",
                capacity=capacity,
                fee_fen=1500,
                release_at=released.ordinary,
                referral_release_at=released.referral,
                created_at=clock.now(),
            )
            ids.append(s.id)
        residents = await bulk_residents(deps, cards)
        for sid in ids:
            for n, r in enumerate(residents[:booked], start=1):
                await Booking.create(
                    schedule_id=sid,
                    card_id=r.card_pk,
                    account_id=r.account_id,
                    hold_id=secrets.token_hex(16),
                    kind="ordinary",
                    visit_number=n,
                    active_visit_number=n,
                    active_card_id=r.card_pk,
                    status="confirmed",
                    amount_fen=1500,
                    visit_date=day,
                    created_at=clock.now(),
                )
        return {"schedules": ids, "residents": [[r.token, r.card_id] for r in residents]}
    finally:
        await hot.close(client)
        await db.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cards", type=int, required=True)
    ap.add_argument("--schedules", type=int, default=1)
    ap.add_argument("--capacity", type=int, default=100)
    ap.add_argument("--booked", type=int, default=0)
    a = ap.parse_args()
    print(json.dumps(asyncio.run(seed(a.cards, a.schedules, a.capacity, a.booked))))


if __name__ == "__main__":
    main()
