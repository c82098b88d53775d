"""The console's view of operator actions (GET /admin/audit/actions) and the phone reset at a
hospital counter (PUT /admin/cards/{card_id}/phone)."""

from __future__ import annotations

import json as jsonlib
from datetime import timedelta

import pytest

from backend.actions.models import OperatorAction
from backend.cards.models import Card
from backend.clock import clock
from tests.integration.conftest import ADMIN
from tests.support import make_phone

pytestmark = pytest.mark.postgres_only
API = "/api/v1"


async def admin(client, method, path, json=None, headers=ADMIN):
    _, r = await client.request(method, API + path, json=json, headers=headers)
    return r


async def test_a_hospital_admin_sees_only_their_hospitals_entries(client, catalog, operator_login):
    x, y = await catalog.hospital(), await catalog.hospital()
    ax = await operator_login(role="hospital_admin", hospital_id=x["id"])
    platform = await operator_login()
    assert (await ax.call("PATCH", f"/admin/hospitals/{x['id']}", {"name": "改名甲"})).status == 200
    assert (await platform.call("PATCH", f"/admin/hospitals/{y['id']}", {"name": "改名乙"})).status == 200
    assert (await platform.call("POST", "/admin/stock/rebuild")).status == 200  # platform-wide: no hospital

    r = await ax.call("GET", "/admin/audit/actions?limit=500")
    assert r.status == 200
    entries = r.json["entries"]
    assert entries and all(e["hospital"] and e["hospital"]["id"] == x["id"] for e in entries)
    mine = next(e for e in entries if e["action"] == "hospital.update")
    assert mine["operator"]["username"] == ax.info["username"] and mine["actor"] == ax.info["username"]
    assert mine["change"]["name"] == [x["name"], "改名甲"] and mine["target"] == {
        "kind": "hospital",
        "id": str(x["id"]),
    }
    assert (await ax.call("GET", f"/admin/audit/actions?hospital_id={y['id']}")).status == 403

    r = await platform.call("GET", "/admin/audit/actions?limit=500")
    seen = {e["action"] for e in r.json["entries"]}
    assert {"hospital.update", "stock.rebuild", "operator.create", "hospital.create"} <= seen
    # the scan log keeps its answer
    r = await platform.call("GET", "/admin/audit")
    assert r.status == 200 and set(r.json) == {"entries", "next_cursor"}


async def test_the_filters_and_the_cursor(client, catalog, operator_login):
    h = await catalog.hospital()
    console = await operator_login()
    schedule = await catalog.schedule(hospital=h)
    for fee in (100, 200, 300):
        assert (await console.call("PATCH", f"/admin/schedules/{schedule['id']}", {"fee_fen": fee})).status == 200
    base = f"/admin/audit/actions?hospital_id={h['id']}"
    r = await console.call("GET", f"{base}&action=schedule.update")
    assert [e["change"]["fee_fen"][1] for e in r.json["entries"]] == [300, 200, 100]
    r = await console.call("GET", f"{base}&operator_id={console.info['id']}")
    assert {e["action"] for e in r.json["entries"]} == {"schedule.update"}
    r = await console.call("GET", f"{base}&actor=dev-admin-token")
    assert {e["action"] for e in r.json["entries"]} >= {"hospital.create", "schedule.import"}
    r = await console.call("GET", f"/admin/audit/actions?target_kind=schedule&target_id={schedule['id']}")
    assert len(r.json["entries"]) == 3
    # paging
    first = await console.call("GET", f"{base}&action=schedule.update&limit=2")
    assert len(first.json["entries"]) == 2 and first.json["next_cursor"]
    rest = await console.call("GET", f"{base}&action=schedule.update&limit=2&before={first.json['next_cursor']}")
    assert [e["change"]["fee_fen"][1] for e in rest.json["entries"]] == [100] and rest.json["next_cursor"] is None
    # time range
    later = (clock.now() + timedelta(hours=1)).isoformat()
    r = await console.call("GET", f"{base}&from={later.replace('+', '%2B')}")
    assert r.json["entries"] == []
    r = await console.call("GET", f"{base}&to={later.replace('+', '%2B')}&action=schedule.update")
    assert len(r.json["entries"]) == 3
    for bad in ("action=DROP", "target_kind=a%20b", "from=2026-01-01T00:00:00", "limit=0"):
        assert (await console.call("GET", f"/admin/audit/actions?{bad}")).status == 400, bad


async def test_a_counter_resets_a_cards_phone_with_a_reason_and_it_is_audited_masked(
    client, deps, resident_with_card, catalog, operator_login
):
    me = await resident_with_card()
    h = await catalog.hospital()
    counter = await operator_login(role="hospital_admin", hospital_id=h["id"])
    new_phone = make_phone()
    r = await counter.call(
        "PUT", f"/admin/cards/{me.card_id}/phone", {"phone": new_phone, "reason": "柜台核验身份证原件"}
    )
    assert r.status == 200, r.json
    assert r.json["card_id"] == me.card_id and r.json["phone_masked"] == new_phone[:3] + "****" + new_phone[-4:]
    assert new_phone not in r.text and me.phone not in r.text
    card = await Card.get(card_id=me.card_id)
    assert deps.pii.decrypt(card.phone_enc, field="phone") == new_phone
    assert card.phone_hash == deps.pii.index(new_phone, field="phone")
    view = await me.get(f"{API}/cards/{me.card_id}")
    assert view.json["phone_masked"] == r.json["phone_masked"]

    entry = await OperatorAction.get(action="card.phone_reset", target_id=me.card_id)
    assert (
        entry.hospital_id == h["id"]
        and entry.operator_id == counter.info["id"]
        and entry.reason == "柜台核验身份证原件"
    )
    assert entry.change["phone"] == [me.phone[:3] + "****" + me.phone[-4:], new_phone[:3] + "****" + new_phone[-4:]]
    stored = jsonlib.dumps(entry.change)
    assert me.phone not in stored and new_phone not in stored


async def test_the_phone_reset_refuses_bad_input_and_unknown_cards(client, resident_with_card):
    me = await resident_with_card()
    path = f"/admin/cards/{me.card_id}/phone"
    cases = [
        ({"phone": make_phone()}, 400),  # no reason
        ({"phone": make_phone(), "reason": "   "}, 400),  # an empty reason
        ({"phone": make_phone(), "reason": "因" * 201}, 400),  # too long
        ({"phone": "12345", "reason": "柜台"}, 400),  # not a mobile number
        ({"phone": make_phone(), "reason": "柜台", "extra": 1}, 400),
    ]
    for payload, status in cases:
        r = await admin(client, "PUT", path, payload)
        assert r.status == status, (payload, r.json)
    r = await admin(client, "PUT", path, {"phone": "12345", "reason": "柜台"})
    assert r.json["error"]["code"] == "invalid_phone"
    r = await admin(client, "PUT", f"/admin/cards/{'a' * 64}/phone", {"phone": make_phone(), "reason": "柜台"})
    assert r.status == 404 and r.json["error"]["code"] == "card_not_found"
    r = await admin(client, "PUT", path, {"phone": make_phone(), "reason": "因" * 200})
    assert r.status == 200
    card = await Card.get(card_id=me.card_id)
    assert await OperatorAction.filter(action="card.phone_reset", target_id=card.card_id).count() == 1
    r = await admin(client, "PUT", path, {"phone": make_phone(), "reason": "柜台"}, headers={})
    assert r.status == 401
