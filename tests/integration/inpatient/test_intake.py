"""Hospital systems push admissions and bill days, signed with their intake secret."""

import asyncio
import json
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.clock import clock
from backend.his.models import IntakeSecret
from backend.inpatient.models import Admission, BillDay, BillItem
from backend.staff.signing import sign
from tests.integration.conftest import at
from tests.integration.inpatient.conftest import HospitalSystem, item
from tests.support import make_id_number

TODAY = date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(at(TODAY, "10:00"))


async def test_an_admission_is_created_then_updated(his_for):
    his = await his_for()
    r = await his.admit("ZY001", id_number=make_id_number(), deposit_fen=300000, admitted=TODAY - timedelta(days=2))
    assert r.status == 201, r.json
    assert r.json["deposit_fen"] == 300000 and r.json["admitted_at"] == "2026-12-08T09:30:00+08:00"
    r = await his.admit(
        "ZY001", id_number=make_id_number(), deposit_fen=500000, admitted=TODAY - timedelta(days=2), bed="15"
    )
    assert r.status == 200 and r.json["bed"] == "15" and r.json["deposit_fen"] == 500000
    assert await Admission.filter(hospital_id=his.hospital["id"]).count() == 1


async def test_identity_is_encrypted_and_bad_admissions_are_refused(his_for):
    his = await his_for()
    id_number = make_id_number()
    assert (await his.admit("ZY002", id_number=id_number, name="李小明")).status == 201
    stored = await Admission.get(admission_no="ZY002").values()
    assert id_number not in json.dumps(stored, default=str) and "李小明" not in json.dumps(stored, default=str)
    bad_check_digit = id_number[:-1] + ("0" if id_number[-1] != "0" else "1")
    r = await his.admit("ZY003", id_number=bad_check_digit)
    assert r.status == 400 and r.json["error"]["code"] == "invalid_id_number"
    r = await his.admit("ZY004", id_number=make_id_number(), discharged_at="2026-12-01T10:00:00+08:00")
    assert r.status == 400 and r.json["error"]["code"] == "invalid_admission"
    r = await his.admit("X" * 33, id_number=make_id_number())
    assert r.status == 404
    assert not await Admission.filter(admission_no__in=["ZY003", "ZY004"]).exists()


async def test_a_day_is_stored_with_exact_sums_and_replaced_when_sent_again(his_for):
    his = await his_for()
    await his.admit("ZY010", id_number=make_id_number(), admitted=TODAY - timedelta(days=1))
    items = [
        item("D1", quantity=2, price=1250),
        item("L1", category="lab", quantity=1, price=8000),
        item("D2", quantity="0.333", price=101),
        item("D1", quantity=-1, price=1250),
    ]
    r = await his.push_day("ZY010", TODAY, items)
    assert r.status == 200, r.json
    assert r.json == {"date": "2026-12-10", "item_count": 4, "subtotal_fen": 2500 + 8000 + 34 - 1250}
    r = await his.push_day("ZY010", TODAY, [item("B1", category="bed", quantity=1, price=6000)])
    assert r.json == {"date": "2026-12-10", "item_count": 1, "subtotal_fen": 6000}
    day = await BillDay.get(admission__admission_no="ZY010", date=TODAY)
    assert await BillItem.filter(day_id=day.id).count() == 1 and await BillDay.all().count() == 1


async def test_one_bad_item_refuses_the_whole_batch_and_lists_every_bad_item(his_for):
    his = await his_for()
    await his.admit("ZY020", id_number=make_id_number(), admitted=TODAY - timedelta(days=1))
    assert (await his.push_day("ZY020", TODAY, [item("OLD", quantity=1, price=100)])).status == 200
    good = [item(f"G{i}", quantity=1, price=100 + i) for i in range(50)]
    batch = list(good)
    batch[3] = item("A", quantity=3, price=333, amount=998)  # 999 is right
    batch[10] = {**item("B"), "category": "food"}
    batch[20] = item("C", quantity="1.0005", price=10)  # 4 decimals
    batch[30] = {**item("D"), "unit_price_fen": 12.5}
    batch[40] = {k: v for k, v in item("E").items() if k != "name"}
    batch[45] = {**item("F"), "colour": "red"}
    r = await his.push_day("ZY020", TODAY, batch)
    assert r.status == 422 and r.json["error"]["code"] == "invalid_items"
    assert [(p["index"], p["field"]) for p in r.json["error"]["items"]] == [
        (3, "amount_fen"),
        (10, "category"),
        (20, "quantity"),
        (30, "unit_price_fen"),
        (40, "name"),
        (45, "colour"),
    ]
    assert "999" in r.json["error"]["items"][0]["reason"]
    day = await BillDay.get(admission__admission_no="ZY020", date=TODAY)
    assert day.item_count == 1 and day.subtotal_fen == 100
    assert [i.item_code for i in await BillItem.filter(day_id=day.id)] == ["OLD"]


async def test_days_outside_the_stay_are_refused(his_for):
    his = await his_for()
    await his.admit("ZY030", id_number=make_id_number(), admitted=TODAY - timedelta(days=1))
    assert (await his.push_day("ZY030", TODAY - timedelta(days=2), [item()])).json["error"]["code"] == "invalid_date"
    assert (await his.push_day("ZY030", TODAY + timedelta(days=1), [item()])).json["error"]["code"] == "invalid_date"
    r = await his.push_day("NOPE", TODAY, [item()])
    assert r.status == 404 and r.json["error"]["code"] == "admission_not_found"
    r = await his.request("PUT", his.path("/admissions/ZY030/days/2026-12-10"), raw=b'{"items": [], "x": 1}')
    assert r.status == 400


async def test_signatures_stale_timestamps_and_replays_are_refused_with_the_spec_codes(his_for, client):
    his = await his_for()
    path = his.path("/admissions/ZY040")
    body = json.dumps(
        {
            "id_number": make_id_number(),
            "name": "张三",
            "ward": "一病区",
            "bed": "1",
            "admitted_at": "2026-12-09T08:00:00+08:00",
            "deposit_fen": 0,
        }
    ).encode()
    # no headers
    _, r = await client.put(path, content=body)
    assert r.status == 401 and r.json["error"]["code"] == "his_unauthenticated"
    # wrong secret
    wrong = HospitalSystem(client, his.hospital, "not-the-secret")
    r = await wrong.request("PUT", path, raw=body)
    assert r.status == 401 and r.json["error"]["code"] == "bad_signature"
    # signed for another path (the query string is part of what is signed)
    headers = his.headers("PUT", path + "?x=1", body)
    _, r = await client.put(path, content=body, headers=headers)
    assert r.status == 401 and r.json["error"]["code"] == "bad_signature"
    # a body changed under its signature
    headers = his.headers("PUT", path, body)
    _, r = await client.put(path, content=body.replace(b'"1"', b'"2"'), headers=headers)
    assert r.status == 401 and r.json["error"]["code"] == "bad_signature"
    # stale: more than 300 s either way
    for skew in (-301, 301):
        stale = sign("", his.secret, "PUT", path, body, timestamp=int(clock.now().timestamp()) + skew)
        stale.pop("X-Terminal-Id")
        _, r = await client.put(path, content=body, headers=stale)
        assert r.status == 401 and r.json["error"]["code"] == "stale_timestamp"
    edge = sign("", his.secret, "PUT", path, body, timestamp=int(clock.now().timestamp()) - 300)
    edge.pop("X-Terminal-Id")
    edge["Content-Type"] = "application/json"  # JSON endpoints refuse other bodies with 415
    _, r = await client.put(path, content=body, headers=edge)
    assert r.status == 201
    # replayed: the very same request again, also 9 minutes later with a re-signed timestamp
    _, r = await client.put(path, content=body, headers=edge)
    assert r.status == 401 and r.json["error"]["code"] == "replayed_nonce"
    clock.advance(seconds=540)
    again = sign("", his.secret, "PUT", path, body, timestamp=int(clock.now().timestamp()), nonce=edge["X-Nonce"])
    again.pop("X-Terminal-Id")
    _, r = await client.put(path, content=body, headers=again)
    assert r.status == 401 and r.json["error"]["code"] == "replayed_nonce"
    # malformed nonce
    r = await his.request("PUT", path, raw=body, **{"X-Nonce": "short"})
    assert r.status == 401 and r.json["error"]["code"] == "his_unauthenticated"


async def test_timestamps_300_s_either_way_are_accepted_301_s_refused_to_the_second(his_for, client):
    clock.freeze(at(TODAY, "10:00"))  # a whole second: "301 s ago" is 301 s, not 301.x
    his = await his_for()
    await his.admit("ZY041", id_number=make_id_number(), admitted=TODAY)
    path = his.path("/admissions/ZY041/days/2026-12-10")
    body = json.dumps({"items": [item()]}).encode()
    now = int(clock.now().timestamp())
    assert now == clock.now().timestamp()
    for skew, accepted in ((-301, False), (-300, True), (300, True), (301, False)):
        signed = sign("", his.secret, "PUT", path, body, timestamp=now + skew)
        signed.pop("X-Terminal-Id")
        _, r = await client.put(path, content=body, headers={**signed, "Content-Type": "application/json"})
        if accepted:
            assert r.status == 200, (skew, r.json)
        else:
            assert r.status == 401 and r.json["error"]["code"] == "stale_timestamp", (skew, r.json)


async def test_a_nonce_is_remembered_at_least_as_long_as_its_timestamp_is_accepted(his_for, client, deps):
    """Redis keys expire on real time while tests move the service clock, so a replay "9 minutes
    later" passes whatever the nonce's lifetime: the lifetime itself is asserted. A timestamp is
    accepted 300 s either side of the service clock, so a nonce must be kept 600 s at least."""
    from backend.his import guards

    his = await his_for()
    await his.admit("ZY042", id_number=make_id_number(), admitted=TODAY)
    path = his.path("/admissions/ZY042/days/2026-12-10")
    body = json.dumps({"items": [item()]}).encode()
    headers = his.headers("PUT", path, body)
    _, r = await client.put(path, content=body, headers=headers)
    assert r.status == 200, r.json
    hospital_id = his.hospital["id"]
    ttl = await deps.redis.ttl(deps.keys("hn", hospital_id, headers["X-Nonce"]))
    assert 2 * guards.TIMESTAMP_WINDOW_S <= ttl <= guards.NONCE_TTL_S, ttl
    assert guards.TIMESTAMP_WINDOW_S == 300


async def test_a_replayed_nonce_is_refused_when_sent_concurrently(his_for, client):
    his = await his_for()
    await his.admit("ZY045", id_number=make_id_number(), admitted=TODAY)
    path = his.path("/admissions/ZY045/days/2026-12-10")
    body = json.dumps({"items": [item()]}).encode()
    headers = his.headers("PUT", path, body)
    results = await asyncio.gather(*[client.put(path, content=body, headers=headers) for _ in range(8)])
    statuses = sorted(r.status for _, r in results)
    assert statuses == [200] + [401] * 7


async def test_a_hospital_reaches_only_its_own_data(his_for, catalog):
    mine, theirs = await his_for(), await his_for()
    await theirs.admit("ZY050", id_number=make_id_number(), admitted=TODAY)
    # my system pushing a day to their admission number finds nothing: admissions are per hospital
    r = await mine.push_day("ZY050", TODAY, [item()])
    assert r.status == 404 and r.json["error"]["code"] == "admission_not_found"
    # my secret does not open their path
    impostor = HospitalSystem(mine.client, theirs.hospital, mine.secret)
    r = await impostor.push_day("ZY050", TODAY, [item()])
    assert r.status == 401 and r.json["error"]["code"] == "bad_signature"
    # the same admission number at my hospital is another admission
    assert (await mine.admit("ZY050", id_number=make_id_number(), admitted=TODAY)).status == 201
    assert await Admission.filter(admission_no="ZY050").count() == 2


async def test_rotating_the_secret_replaces_it_and_it_is_stored_encrypted(his_for, catalog):
    his = await his_for()
    row = await IntakeSecret.get(hospital_id=his.hospital["id"])
    assert his.secret not in row.secret_enc
    r = await catalog.admin("POST", f"/admin/hospitals/{his.hospital['id']}/intake-secret")
    assert r.status == 201 and r.json["version"] == 2 and r.json["secret"] != his.secret
    r = await his.admit("ZY060", id_number=make_id_number())
    assert r.status == 401 and r.json["error"]["code"] == "bad_signature"
    fresh = HospitalSystem(
        his.client,
        his.hospital,
        r_secret := (await catalog.admin("POST", f"/admin/hospitals/{his.hospital['id']}/intake-secret")).json[
            "secret"
        ],
    )
    assert r_secret and (await fresh.admit("ZY060", id_number=make_id_number())).status == 201


async def test_a_retired_hospital_is_refused(his_for, catalog):
    his = await his_for()
    assert (await catalog.admin("POST", f"/admin/hospitals/{his.hospital['id']}/retire")).status == 200
    r = await his.admit("ZY070", id_number=make_id_number())
    assert r.status == 403 and r.json["error"]["code"] == "hospital_retired"


async def test_an_unknown_hospital_code_is_refused(client):
    his = HospitalSystem(client, {"code": "NOSUCH", "id": 0}, "dev-his-NOSUCH")
    r = await his.admit("ZY080", id_number=make_id_number())
    assert r.status == 401 and r.json["error"]["code"] == "his_unauthenticated"


@pytest.mark.postgres_only
async def test_a_2000_item_day_is_accepted_quickly(his_for):
    import time

    his = await his_for()
    await his.admit("ZY090", id_number=make_id_number(), admitted=TODAY)
    items = [item(f"C{i}", quantity=f"{(i % 7) + 0.125}", price=100 + i) for i in range(2000)]
    started = time.perf_counter()
    r = await his.push_day("ZY090", TODAY, items)
    elapsed = time.perf_counter() - started
    assert r.status == 200 and r.json["item_count"] == 2000
    assert elapsed < 2.0, elapsed  # ~0.1 s measured (scripts/bench_intake.py); this catches a regression in kind
    assert await BillItem.filter(day__admission__admission_no="ZY090").count() == 2000


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=15), children, max_size=3),
    max_leaves=8,
)
item_like = st.fixed_dictionaries(
    {},
    optional={
        "item_code": json_values | st.text(max_size=40),
        "name": json_values | st.text(max_size=200),
        "category": json_values | st.sampled_from(["drug", "lab"]),
        "unit": json_values,
        "quantity": json_values | st.decimals(allow_nan=True).map(str),
        "unit_price_fen": json_values,
        "amount_fen": json_values,
        "extra": json_values,
    },
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(items=st.lists(item_like | json_values, max_size=5))
async def test_any_items_get_a_clear_answer_never_a_500(his_for, items):
    clock.freeze(at(TODAY, "10:00"))
    his = await his_for()
    await his.admit("ZY099", id_number=make_id_number(), admitted=TODAY)
    r = await his.push_day("ZY099", TODAY, items)
    assert r.status in (200, 422), (r.status, r.json)
    if r.status == 422:
        assert {p["index"] for p in r.json["error"]["items"]} <= set(range(-1, len(items)))


async def test_admissions_with_out_of_range_times_or_control_characters_are_refused(his_for):
    his = await his_for()
    for name, admitted in (("张三", "0001-01-01T00:00:00+08:00"), ("张\x00三", "2026-12-01T00:00:00+08:00")):
        r = await his.request(
            "PUT",
            his.path("/admissions/ZY098"),
            {
                "id_number": make_id_number(),
                "name": name,
                "ward": "一病区",
                "bed": "1",
                "admitted_at": admitted,
                "deposit_fen": 0,
            },
        )
        assert r.status == 400, r.json
    assert (await his.admit("ZY097", id_number=make_id_number(), admitted=TODAY)).status == 201
    r = await his.push_day("ZY097", TODAY, [item(name="氯化钠\x00")])
    assert r.status == 422 and r.json["error"]["items"] == [
        {"index": 0, "field": "name", "reason": "may not contain control characters"}
    ]


async def test_a_hospital_system_pushes_its_own_schedules(his_for, catalog):
    his = await his_for()
    dept = await catalog.department(his.hospital)
    row = {
        "external_id": "his-1",
        "department_code": dept["code"],
        "doctor_code": dept["doctor_code"],
        "date": "2026-12-15",
        "start": "08:00",
        "end": "08:30",
        "capacity": 8,
        "fee_fen": 1000,
    }
    r = await his.request("POST", his.path("/schedules/import"), {"schedules": [row]})
    assert r.status == 201 and r.json["created"] == 1, r.json
    r = await his.request(
        "POST",
        his.path("/schedules/import"),
        {"schedules": [row, {**row, "external_id": "his-2", "date": "9999-12-31"}]},
    )
    assert r.status == 422 and r.json["error"]["rows"][0]["index"] == 1
    other = await his_for()
    r = await other.request("POST", other.path("/schedules/import"), {"schedules": [row]})
    assert (
        r.status == 422 and r.json["error"]["rows"][0]["field"] == "department_code"
    )  # not the other hospital's departments


@pytest.mark.postgres_only
async def test_concurrent_pushes_of_one_day_leave_exactly_one_whole_batch(his_for):
    his = await his_for()
    id_number = make_id_number()
    created = await asyncio.gather(*[his.admit("ZY200", id_number=id_number, admitted=TODAY) for _ in range(5)])
    assert sorted(r.status for r in created) == [200, 200, 200, 200, 201]
    assert await Admission.filter(admission_no="ZY200").count() == 1
    batches = [[item(f"B{n}-{i}", quantity=1, price=100 * (n + 1)) for i in range(50 + n * 10)] for n in range(6)]
    results = await asyncio.gather(*[his.push_day("ZY200", TODAY, batch) for batch in batches])
    assert all(r.status == 200 for r in results), [r.json for r in results]
    day = await BillDay.get(admission__admission_no="ZY200", date=TODAY)
    codes = await BillItem.filter(day_id=day.id).order_by("position").values_list("item_code", flat=True)
    winner = next(b for b in batches if b[0]["item_code"] == codes[0])
    assert codes == [i["item_code"] for i in winner]  # one batch whole, nothing mixed in
    assert day.item_count == len(winner) and day.subtotal_fen == sum(i["amount_fen"] for i in winner)
