"""A hospital admin reaches only their hospital, on every admin endpoint; platform-only endpoints
refuse them even for their own hospital."""

import pytest

from backend.clock import clock


@pytest.fixture
async def two_hospitals(catalog, terminal_for, resident_with_card, operator_login):
    own = await catalog.schedule()
    other = await catalog.schedule()
    other_terminal = await terminal_for(other["hospital"])
    me = await resident_with_card()
    r = await catalog.admin(
        "POST",
        "/admin/referrals",
        {
            "card_id": me.card_id,
            "hospital_id": other["hospital"]["id"],
            "valid_until": (clock.today().replace(day=28)).isoformat(),
            "issued_by": "王医生",
        },
    )
    assert r.status == 201, r.json
    admin = await operator_login(role="hospital_admin", hospital_id=own["hospital"]["id"])
    return {
        "own": own,
        "other": other,
        "terminal": other_terminal,
        "referral": r.json,
        "card": me.card_id,
        "admin": admin,
    }


def other_hospital_requests(w) -> dict:
    """Every /admin route, as a hospital admin of `own` would call it for `other` (or, for the
    platform-only ones, for their own hospital)."""
    o, own = w["other"], w["own"]
    oh, od, osch = o["hospital"]["id"], o["department"], o["id"]
    own_h = own["hospital"]["id"]
    return {
        ("GET", "/admin/hospitals"): None,  # listed separately: answers only their own
        ("POST", "/admin/hospitals"): ("POST", "/admin/hospitals", {"code": "ZZZ", "name": "新医院"}),
        ("PATCH", "/admin/hospitals/<hospital_id:id>"): ("PATCH", f"/admin/hospitals/{oh}", {"name": "改名"}),
        ("POST", "/admin/hospitals/<hospital_id:id>/retire"): ("POST", f"/admin/hospitals/{own_h}/retire", None),
        ("POST", "/admin/hospitals/<hospital_id:id>/intake-secret"): (
            "POST",
            f"/admin/hospitals/{own_h}/intake-secret",
            None,
        ),
        ("GET", "/admin/hospitals/<hospital_id:id>/departments"): ("GET", f"/admin/hospitals/{oh}/departments", None),
        ("POST", "/admin/hospitals/<hospital_id:id>/departments"): (
            "POST",
            f"/admin/hospitals/{oh}/departments",
            {"code": "X1", "name": "科"},
        ),
        ("PATCH", "/admin/departments/<department_id:id>"): ("PATCH", f"/admin/departments/{od['id']}", {"name": "科"}),
        ("POST", "/admin/departments/<department_id:id>/retire"): (
            "POST",
            f"/admin/departments/{od['id']}/retire",
            None,
        ),
        ("GET", "/admin/hospitals/<hospital_id:id>/doctors"): ("GET", f"/admin/hospitals/{oh}/doctors", None),
        ("POST", "/admin/hospitals/<hospital_id:id>/doctors"): (
            "POST",
            f"/admin/hospitals/{oh}/doctors",
            {"code": "X1", "name": "医生", "department_code": od["code"]},
        ),
        ("PATCH", "/admin/doctors/<doctor_id:id>"): ("PATCH", "/admin/doctors/{doctor}", {"name": "医生"}),
        ("POST", "/admin/doctors/<doctor_id:id>/retire"): ("POST", "/admin/doctors/{doctor}/retire", None),
        ("GET", "/admin/hospitals/<hospital_id:id>/schedules"): ("GET", f"/admin/hospitals/{oh}/schedules", None),
        ("POST", "/admin/hospitals/<hospital_id:id>/schedules/import"): (
            "POST",
            f"/admin/hospitals/{oh}/schedules/import",
            {"schedules": [{}]},
        ),
        ("PATCH", "/admin/schedules/<schedule_id:id>"): ("PATCH", f"/admin/schedules/{osch}", {"capacity": 20}),
        ("POST", "/admin/schedules/<schedule_id:id>/retire"): ("POST", f"/admin/schedules/{osch}/retire", None),
        ("POST", "/admin/schedules/<schedule_id:id>/suspend"): (
            "POST",
            f"/admin/schedules/{osch}/suspend",
            {"reason": "x"},
        ),
        ("POST", "/admin/terminals"): ("POST", "/admin/terminals", {"hospital_id": oh, "name": "机"}),
        ("GET", "/admin/terminals"): ("GET", f"/admin/terminals?hospital_id={oh}", None),
        ("POST", "/admin/terminals/<terminal_id:id>/disable"): (
            "POST",
            f"/admin/terminals/{w['terminal'].id}/disable",
            None,
        ),
        ("POST", "/admin/terminals/<terminal_id:id>/enable"): (
            "POST",
            f"/admin/terminals/{w['terminal'].id}/enable",
            None,
        ),
        ("POST", "/admin/terminals/<terminal_id:id>/rotate"): (
            "POST",
            f"/admin/terminals/{w['terminal'].id}/rotate",
            None,
        ),
        ("POST", "/admin/referrals"): (
            "POST",
            "/admin/referrals",
            {"card_id": w["card"], "hospital_id": oh, "valid_until": "2026-12-31", "issued_by": "x"},
        ),
        ("GET", "/admin/referrals"): ("GET", f"/admin/referrals?hospital_id={oh}", None),
        ("POST", "/admin/referrals/<referral_id:id>/revoke"): (
            "POST",
            f"/admin/referrals/{w['referral']['id']}/revoke",
            None,
        ),
        ("POST", "/admin/stock/rebuild"): ("POST", "/admin/stock/rebuild", None),
        ("GET", "/admin/access-log"): None,  # listed separately: forced to their hospital
        ("GET", "/admin/audit"): ("GET", f"/admin/audit?hospital_id={oh}", None),
        ("GET", "/admin/audit/actions"): ("GET", f"/admin/audit/actions?hospital_id={oh}", None),
        # a card belongs to the region, not to a hospital: any hospital's counter may reset its phone
        ("PUT", "/admin/cards/<card_id:str>/phone"): None,
        ("GET", "/admin/figures"): ("GET", f"/admin/figures?hospital_id={oh}", None),
        ("GET", "/admin/hospitals/<hospital_id:id>/charges"): ("GET", f"/admin/hospitals/{oh}/charges", None),
        ("GET", "/admin/hospitals/<hospital_id:id>/release-room"): ("GET", f"/admin/hospitals/{oh}/release-room", None),
        ("PUT", "/admin/hospitals/<hospital_id:id>/release-room"): (
            "PUT",
            f"/admin/hospitals/{oh}/release-room",
            {"enabled": False},
        ),
        ("GET", "/admin/operators"): ("GET", "/admin/operators", None),
        ("POST", "/admin/operators"): (
            "POST",
            "/admin/operators",
            {"username": "sneaky", "password": "correct horse 42", "role": "platform"},
        ),
        ("POST", "/admin/operators/<operator_id:id>/retire"): (
            "POST",
            f"/admin/operators/{w['admin'].info['id']}/retire",
            None,
        ),
        # the console session itself: not hospital data
        ("POST", "/admin/login"): None,
        ("POST", "/admin/logout"): None,
        ("GET", "/admin/me"): None,
    }


def admin_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.router.routes:
        path = "/" + route.path.lstrip("/")
        if path.startswith("/api/v1/admin"):
            for method in route.methods:
                if method not in ("HEAD", "OPTIONS"):
                    found.add((method, path[len("/api/v1") :]))
    return found


async def test_a_hospital_admin_is_refused_outside_their_hospital_on_every_admin_endpoint(app, two_hospitals, catalog):
    w = two_hospitals
    table = other_hospital_requests(w)
    assert admin_routes(app) == set(table), "every admin route needs a cross-hospital case here"
    r = await catalog.admin("GET", f"/admin/hospitals/{w['other']['hospital']['id']}/doctors")
    doctor = r.json[0]["id"]
    refused = []
    for key, call in table.items():
        if call is None:
            continue
        method, path, body = call
        r = await w["admin"].call(method, path.replace("{doctor}", str(doctor)), body)
        assert r.status == 403, (key, r.status, r.json)
        refused.append((key, r.json["error"]["code"]))
    assert {code for _, code in refused} == {"outside_hospital", "platform_only"}
    # nothing of the other hospital changed
    r = await catalog.admin("GET", f"/admin/hospitals/{w['other']['hospital']['id']}/schedules")
    assert r.json["schedules"][0]["capacity"] == w["other"]["capacity"] and r.json["schedules"][0]["status"] not in (
        "suspended",
        "retired",
    )
    r = await catalog.admin("GET", f"/admin/terminals?hospital_id={w['other']['hospital']['id']}")
    assert r.json[0]["status"] == "active" and r.json[0]["credential_version"] == 1


async def test_lists_show_a_hospital_admin_only_their_hospital(two_hospitals, catalog):
    w = two_hospitals
    admin, own_h = w["admin"], w["own"]["hospital"]["id"]
    assert [h["id"] for h in (await admin.call("GET", "/admin/hospitals")).json] == [own_h]
    assert (await admin.call("GET", "/admin/terminals")).json == []
    assert (await admin.call("GET", "/admin/referrals")).json == []
    assert (await admin.call("GET", "/admin/access-log")).json == []
    assert (await admin.call("GET", "/admin/audit")).json["entries"] == []
    figures = (await admin.call("GET", "/admin/figures")).json
    assert figures["hospital_id"] == own_h and "cards_issued" not in figures
    all_hospitals = (await catalog.admin("GET", "/admin/hospitals")).json
    assert {w["own"]["hospital"]["id"], w["other"]["hospital"]["id"]} <= {h["id"] for h in all_hospitals}


async def test_a_hospital_admin_runs_their_own_hospital(two_hospitals, terminal_for):
    w = two_hospitals
    admin, own = w["admin"], w["own"]
    h = own["hospital"]["id"]
    r = await admin.call("POST", f"/admin/hospitals/{h}/departments", {"code": "NEW", "name": "新科室"})
    assert r.status == 201
    r = await admin.call(
        "POST", f"/admin/hospitals/{h}/doctors", {"code": "NEWDR", "name": "新医生", "department_code": "NEW"}
    )
    assert r.status == 201
    r = await admin.call("PATCH", f"/admin/schedules/{own['id']}", {"capacity": 20})
    assert r.status == 200 and r.json["capacity"] == 20
    r = await admin.call("POST", "/admin/terminals", {"hospital_id": h, "name": "一楼"})
    assert r.status == 201 and r.json["secret"]
    r = await admin.call("GET", f"/admin/figures?hospital_id={h}")
    assert r.status == 200
