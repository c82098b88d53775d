"""Schedules in the console: list, edit (never below booked), retire, bulk import JSON or CSV
with a report of every bad row, all or nothing, dates within the booking horizon."""

from datetime import date, timedelta

from backend.booking.service import rebuild_stock
from backend.catalog.models import Schedule
from backend.clock import clock
from tests.integration.conftest import at

D = date(2026, 12, 20)


def row(dept, day, **kw):
    return {
        "department_code": dept["code"],
        "doctor_code": dept["doctor_code"],
        "date": day.isoformat(),
        "start": "08:00",
        "end": "08:30",
        "capacity": 10,
        "fee_fen": 1500,
        **kw,
    }


async def test_an_import_dated_9999_12_31_is_refused_and_writes_nothing(catalog):
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    h = await catalog.hospital()
    dept = await catalog.department(h)
    r = await catalog.admin(
        "POST", f"/admin/hospitals/{h['id']}/schedules/import", {"schedules": [row(dept, date(9999, 12, 31))]}
    )
    assert r.status == 422 and r.json["error"]["code"] == "invalid_schedules"
    assert r.json["error"]["rows"] == [
        {"index": 0, "field": "date", "reason": "is beyond the booking horizon (90 days ahead)"}
    ]
    assert not await Schedule.filter(hospital_id=h["id"]).exists()


async def test_a_bad_row_already_in_the_database_never_stops_start_up(catalog, deps):
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    s = await catalog.schedule(day=D)
    far = await Schedule.get(id=s["id"])
    far.id, far.external_id, far.date = None, "legacy-9999", date(9999, 12, 31)
    await far.save()  # as an older version let it in
    result = await rebuild_stock(deps)
    assert result["failed"] == [] and result["loaded"] == 2  # loads, even that far ahead
    result = await rebuild_stock(deps, only_missing=True)
    assert result["failed"] == []


async def test_every_bad_row_is_reported_and_none_is_written(catalog):
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    h = await catalog.hospital()
    dept = await catalog.department(h)
    rows = [
        row(dept, D, external_id="ok-1"),
        row(dept, D - timedelta(days=30)),  # past
        row(dept, D, start="08:15"),  # not a half hour
        row(dept, D, capacity=0),
        row(dept, D, doctor_code="NOBODY"),
        row(dept, D, department_code="NODEPT"),
        row(dept, D, date="2026-02-30"),
        row(dept, D, external_id="ok-1"),  # twice in one import
        {**row(dept, D), "colour": "blue"},
        row(dept, D, fee_fen="12.5"),
        "not a row",
    ]
    r = await catalog.admin("POST", f"/admin/hospitals/{h['id']}/schedules/import", {"schedules": rows})
    assert r.status == 422, r.json
    assert [(p["index"], p["field"]) for p in r.json["error"]["rows"]] == [
        (1, "date"),
        (2, "start"),
        (3, "capacity"),
        (4, "doctor_code"),
        (5, "department_code"),
        (6, "date"),
        (7, "external_id"),
        (8, "colour"),
        (9, "fee_fen"),
        (10, "row"),
    ]
    assert not await Schedule.filter(hospital_id=h["id"]).exists()


async def test_csv_import_and_re_import_is_idempotent(catalog, client):
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    h = await catalog.hospital()
    dept = await catalog.department(h)
    csv_text = (
        "external_id,department_code,doctor_code,date,start,end,capacity,referral_quota,fee_fen\n"
        f"c-1,{dept['code']},{dept['doctor_code']},2026-12-20,08:00,08:30,10,2,1500\n"
        f"c-2,{dept['code']},{dept['doctor_code']},2026-12-20,08:30,09:00,12,,1500\n"
    )
    headers = {"Authorization": "Bearer dev-admin-token", "Content-Type": "text/csv"}
    _, r = await client.post(
        f"/api/v1/admin/hospitals/{h['id']}/schedules/import", content=csv_text.encode(), headers=headers
    )
    assert r.status == 201 and r.json["created"] == 2, r.json
    _, r = await client.post(
        f"/api/v1/admin/hospitals/{h['id']}/schedules/import", content=csv_text.encode(), headers=headers
    )
    assert r.status == 201 and r.json == {**r.json, "created": 0, "unchanged": 2}
    changed = (
        csv_text.replace(",12,,1500", ",13,,1500")
        + f"c-3,{dept['code']},{dept['doctor_code']},2026-13-01,08:00,08:30,10,0,1500\n"
    )
    _, r = await client.post(
        f"/api/v1/admin/hospitals/{h['id']}/schedules/import", content=changed.encode(), headers=headers
    )
    assert r.status == 422
    assert [(p["line"], p["field"]) for p in r.json["error"]["rows"]] == [(3, "external_id"), (4, "date")]
    assert await Schedule.filter(hospital_id=h["id"]).count() == 2


async def test_capacity_never_drops_below_what_is_booked(catalog, resident_with_card, booked):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D, capacity=3)
    people = [await resident_with_card() for _ in range(2)]
    for p in people:
        await booked(p, s)
    r = await catalog.admin("PATCH", f"/admin/schedules/{s['id']}", {"capacity": 1})
    assert r.status == 409 and r.json["error"]["code"] == "capacity_below_booked" and r.json["error"]["booked"] == 2
    r = await catalog.admin("PATCH", f"/admin/schedules/{s['id']}", {"capacity": 2})
    assert r.status == 200 and r.json["capacity"] == 2 and r.json["remaining"] == 0
    third = await resident_with_card()
    r = await third.post("/api/v1/holds", {"schedule_id": s["id"], "card_id": third.card_id})
    assert r.status == 409 and r.json["error"]["code"] == "sold_out"
    r = await catalog.admin("PATCH", f"/admin/schedules/{s['id']}", {"capacity": 5, "fee_fen": 2000})
    assert r.status == 200 and r.json["remaining"] == 3 and r.json["fee_fen"] == 2000
    r = await catalog.admin("POST", f"/admin/schedules/{s['id']}/retire")
    assert r.status == 409 and r.json["error"]["code"] == "has_bookings"
    listed = await catalog.admin(
        "GET", f"/admin/hospitals/{s['hospital']['id']}/schedules?from=2026-12-20&to=2026-12-20"
    )
    assert listed.json["total"] == 1 and listed.json["schedules"][0]["booked"] == 2


async def test_a_retired_schedule_takes_no_holds_and_is_no_longer_listed(catalog, resident_with_card, client):
    clock.freeze(at(date(2026, 12, 13), "13:00"))
    s = await catalog.schedule(day=D)
    r = await catalog.admin("POST", f"/admin/schedules/{s['id']}/retire")
    assert r.status == 200 and r.json["status"] == "retired"
    me = await resident_with_card()
    r = await me.post("/api/v1/holds", {"schedule_id": s["id"], "card_id": me.card_id})
    assert r.status == 409
    _, r = await client.get(f"/api/v1/departments/{s['department_id']}/schedules?date={D.isoformat()}")
    assert r.json == []


async def test_departments_and_doctors_are_listed_edited_and_retired(catalog, client):
    clock.freeze(at(date(2026, 12, 1), "09:00"))
    h = await catalog.hospital()
    dept = await catalog.department(h)
    r = await catalog.admin("PATCH", f"/admin/departments/{dept['id']}", {"name": "心内科"})
    assert r.json["name"] == "心内科"
    doctors = (await catalog.admin("GET", f"/admin/hospitals/{h['id']}/doctors")).json
    r = await catalog.admin("PATCH", f"/admin/doctors/{doctors[0]['id']}", {"title": "副主任医师"})
    assert r.json["title"] == "副主任医师"
    assert (await catalog.admin("POST", f"/admin/doctors/{doctors[0]['id']}/retire")).json["status"] == "retired"
    r = await catalog.admin("POST", f"/admin/hospitals/{h['id']}/schedules/import", {"schedules": [row(dept, D)]})
    assert r.status == 422 and r.json["error"]["rows"][0]["field"] == "doctor_code"
    assert (await catalog.admin("POST", f"/admin/departments/{dept['id']}/retire")).json["status"] == "retired"
    _, r = await client.get(f"/api/v1/hospitals/{h['id']}/departments")
    assert r.json == []
    assert [d["status"] for d in (await catalog.admin("GET", f"/admin/hospitals/{h['id']}/departments")).json] == [
        "retired"
    ]
    assert (await catalog.admin("POST", f"/admin/hospitals/{h['id']}/retire")).json["status"] == "retired"
    _, r = await client.get("/api/v1/hospitals")
    assert h["id"] not in [x["id"] for x in r.json]
    assert (await catalog.admin("PATCH", "/admin/departments/999999", {"name": "x"})).status == 404
