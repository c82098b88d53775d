"""The embedded default (no REDIS_URL): the in-process store runs the very same Lua scripts, so a
single worker gets the same hold semantics as production. (Production's Redis is what the rest
of this suite exercises; this checks the embedded mode does not drift from it.)"""

import asyncio
from datetime import date

import pytest

from backend import redis as hot
from backend.app import create_app
from backend.clock import clock
from backend.deps import build_deps
from tests.integration.booking.bulk import bulk_residents
from tests.integration.conftest import Catalog, at

D = date(2026, 12, 20)


@pytest.fixture
async def embedded(database, standin, make_client):
    from tests.conftest import test_settings

    settings = test_settings(database={"url": database.url}, redis={"url": ""})
    deps = build_deps(settings, hot.connect(""), standin=standin)
    assert hot.is_embedded(deps.redis)
    await deps.scripts.load()
    client = await make_client(create_app(deps=deps))
    yield deps, client
    await deps.pay.aclose()
    from tests.conftest import empty_all_tables

    await empty_all_tables()


async def test_same_hold_semantics_in_process(embedded):
    deps, client = embedded
    catalog = Catalog(client)
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=2)
    people = await bulk_residents(deps, 6)

    async def hold(r):
        _, resp = await client.post(
            "/api/v1/holds", json={"schedule_id": s["id"], "card_id": r.card_id}, headers=r.headers
        )
        return resp

    results = await asyncio.gather(*[hold(r) for r in people])
    assert sorted(r.status for r in results) == [201, 201, 409, 409, 409, 409]
    winner = next(p for p, r in zip(people, results) if r.status == 201)
    assert (await hold(winner)).json["error"]["code"] == "already_held"
    clock.advance(minutes=10)
    loser = next(p for p, r in zip(people, results) if r.status == 409)
    second = await hold(loser)
    assert second.status == 201  # the expired holds came back
    _, started = await client.post(f"/api/v1/holds/{second.json['hold_id']}/payment", headers=loser.headers)
    assert started.status == 200
    _, paid = await client.post(f"/api/v1/dev/payments/{started.json['out_trade_no']}/complete")
    assert paid.json["outcome"] == "booked"
    assert (await hold(loser)).json["error"]["state"] == "booked"
    _, listed = await client.get(f"/api/v1/schedules/{s['id']}")
    assert listed.json["remaining"] == 1
