"""The trail of operator actions: every mutating console route writes exactly one entry (walked
from the app's router, so a new route without one fails here), in the transaction of its change,
never with a secret; the command line's changes are there too, as the CLI's."""

from __future__ import annotations

import argparse
import io
import json as jsonlib
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest

from backend import cli
from backend.actions import service as actions
from backend.actions.models import OperatorAction
from backend.catalog.models import Hospital
from backend.clock import clock
from tests.integration.conftest import ADMIN
from tests.integration.core.test_authz_matrix import API, fresh, routes, table, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.postgres_only

# what each mutating console route is recorded as; a route missing here fails the walk
EXPECTED = {
    ("POST", "/api/v1/admin/login"): "operator.login",
    ("POST", "/api/v1/admin/logout"): "operator.logout",
    ("POST", "/api/v1/admin/operators"): "operator.create",
    ("POST", "/api/v1/admin/operators/<operator_id:id>/retire"): "operator.retire",
    ("POST", "/api/v1/admin/hospitals"): "hospital.create",
    ("PATCH", "/api/v1/admin/hospitals/<hospital_id:id>"): "hospital.update",
    ("PUT", "/api/v1/admin/hospitals/<hospital_id:id>/release-room"): "release_room.update",
    ("POST", "/api/v1/admin/hospitals/<hospital_id:id>/retire"): "hospital.retire",
    ("POST", "/api/v1/admin/hospitals/<hospital_id:id>/intake-secret"): "intake_secret.issue",
    ("POST", "/api/v1/admin/hospitals/<hospital_id:id>/departments"): "department.create",
    ("PATCH", "/api/v1/admin/departments/<department_id:id>"): "department.update",
    ("POST", "/api/v1/admin/departments/<department_id:id>/retire"): "department.retire",
    ("POST", "/api/v1/admin/hospitals/<hospital_id:id>/doctors"): "doctor.create",
    ("PATCH", "/api/v1/admin/doctors/<doctor_id:id>"): "doctor.update",
    ("POST", "/api/v1/admin/doctors/<doctor_id:id>/retire"): "doctor.retire",
    ("POST", "/api/v1/admin/hospitals/<hospital_id:id>/schedules/import"): "schedule.import",
    ("PATCH", "/api/v1/admin/schedules/<schedule_id:id>"): "schedule.update",
    ("POST", "/api/v1/admin/schedules/<schedule_id:id>/retire"): "schedule.retire",
    ("POST", "/api/v1/admin/schedules/<schedule_id:id>/suspend"): "schedule.suspend",
    ("POST", "/api/v1/admin/terminals"): "terminal.register",
    ("POST", "/api/v1/admin/terminals/<terminal_id:id>/disable"): "terminal.disable",
    ("POST", "/api/v1/admin/terminals/<terminal_id:id>/enable"): "terminal.enable",
    ("POST", "/api/v1/admin/terminals/<terminal_id:id>/rotate"): "terminal.rotate_secret",
    ("POST", "/api/v1/admin/referrals"): "referral.issue",
    ("POST", "/api/v1/admin/referrals/<referral_id:id>/revoke"): "referral.revoke",
    ("POST", "/api/v1/admin/stock/rebuild"): "stock.rebuild",
    ("PUT", "/api/v1/admin/cards/<card_id:str>/phone"): "card.phone_reset",
}
SECRET_KEYS = ("secret", "token")


def _secrets_in(value) -> list[str]:
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in SECRET_KEYS and isinstance(v, str):
                found.append(v)
            found += _secrets_in(v)
    elif isinstance(value, list):
        for v in value:
            found += _secrets_in(v)
    return found


def _valid_import(w) -> tuple[str, dict]:
    dept = w["X"]["department"]
    row = {
        "department_code": dept["code"],
        "doctor_code": dept["doctor_code"],
        "date": (clock.today() + timedelta(days=5)).isoformat(),
        "start": "09:00",
        "end": "09:30",
        "capacity": 5,
        "referral_quota": 0,
        "fee_fen": 100,
    }
    return f"/admin/hospitals/{w['X']['hospital']['id']}/schedules/import", {"schedules": [row]}


async def test_every_mutating_console_route_writes_one_entry_without_secrets(app, client, catalog, world):
    w = world
    cases = table(w)
    mutating = sorted(r for r in routes(app) if r[1].startswith(API + "/admin/") and r[0] != "GET")
    assert set(mutating) == set(EXPECTED), (
        f"routes without an expected audit action: {sorted(set(mutating) - set(EXPECTED))}; "
        f"not routes: {sorted(set(EXPECTED) - set(mutating))}"
    )
    _, r = await client.post(
        API + "/admin/login", json={"username": w["spare_operator"], "password": "correct horse 42"}
    )
    own_session = r.json["token"]  # for the log-out, which ends the caller's own session
    wrong = []
    for key in mutating:
        if key[1].endswith("/schedules/import"):
            path, payload = _valid_import(w)
        else:
            build = cases[key][1]
            path, payload = build() if callable(build) else await fresh(catalog, w, build)
        headers = {"Authorization": f"Bearer {own_session}"} if key[1].endswith("/logout") else dict(ADMIN)
        last = await OperatorAction.all().order_by("-id").first()
        _, r = await client.request(key[0], API + path, json=payload, headers=headers)
        new = await OperatorAction.filter(id__gt=last.id if last else 0).order_by("id")
        if not 200 <= r.status < 300:
            wrong.append(f"{key}: {r.status} {r.text[:200]}")
            continue
        if [e.action for e in new] != [EXPECTED[key]]:
            wrong.append(f"{key}: wrote {[e.action for e in new]}, expected [{EXPECTED[key]}]")
            continue
        entry = new[0]
        text = jsonlib.dumps(
            {"change": entry.change, "reason": entry.reason, "target": entry.target_id}, ensure_ascii=False
        )
        leaked = [s for s in _secrets_in(r.json if r.content else None) if s in text]
        if leaked:
            wrong.append(f"{key}: the entry holds a secret of the answer")
        if not key[1].endswith("/login") and entry.actor != (
            "dev-admin-token" if headers == ADMIN else w["spare_operator"]
        ):
            wrong.append(f"{key}: actor {entry.actor}")
    assert not wrong, "\n".join(wrong)


async def test_a_refused_change_writes_no_entry(client, catalog, world):
    w = world
    before = await OperatorAction.all().count()
    hx = w["X"]["hospital"]["id"]
    refusals = [
        ("POST", f"/admin/hospitals/{hx}/schedules/import", {"schedules": [{}]}),  # 422 report
        ("PATCH", f"/admin/schedules/{w['X']['schedule']['id']}", {"capacity": 1}),  # below what is booked
        ("POST", "/admin/hospitals", {"code": w["X"]["hospital"]["code"], "name": "重复"}),  # duplicate
        ("PUT", f"/admin/cards/{'0' * 64}/phone", {"phone": "13800138000", "reason": "柜台核验身份证"}),  # no such card
    ]
    for method, path, payload in refusals:
        _, r = await client.request(method, API + path, json=payload, headers=ADMIN)
        assert 400 <= r.status < 500, (path, r.status)
    assert await OperatorAction.all().count() == before


async def test_the_entry_and_the_change_commit_or_roll_back_together(client, catalog, monkeypatch):
    h = await catalog.hospital()
    before = await OperatorAction.all().count()
    real = actions.OperatorAction.create

    async def written_then_failing(*args, **kwargs):
        await real(*args, **kwargs)
        raise RuntimeError("the database failed after the entry was written")

    monkeypatch.setattr(actions.OperatorAction, "create", written_then_failing)
    _, r = await client.request("PATCH", f"{API}/admin/hospitals/{h['id']}", json={"name": "改名未成"}, headers=ADMIN)
    assert r.status == 500
    _, r = await client.request(
        "POST", f"{API}/admin/hospitals", json={"code": "ROLLBK", "name": "回滚医院"}, headers=ADMIN
    )
    assert r.status == 500
    monkeypatch.undo()
    assert (await Hospital.get(id=h["id"])).name == h["name"]
    assert not await Hospital.exists(code="ROLLBK")
    assert await OperatorAction.all().count() == before


async def test_command_line_changes_are_recorded_as_the_cli(deps, client, monkeypatch, tmp_path):
    @asynccontextmanager
    async def test_deps(settings):
        yield deps

    monkeypatch.setattr(cli, "_deps", test_deps)
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse 42\n"))
    spec = {
        "code": "CLIH",
        "name": "命令行医院",
        "departments": [{"code": "NK", "name": "内科", "doctors": [{"code": "D1", "name": "周明"}]}],
    }
    (tmp_path / "h.json").write_text(jsonlib.dumps(spec, ensure_ascii=False), encoding="utf-8")
    rows = [
        {
            "department_code": "NK",
            "doctor_code": "D1",
            "date": (clock.today() + timedelta(days=3)).isoformat(),
            "start": "09:00",
            "end": "09:30",
            "capacity": 5,
            "referral_quota": 0,
            "fee_fen": 100,
        }
    ]
    (tmp_path / "s.json").write_text(jsonlib.dumps({"schedules": rows}), encoding="utf-8")
    commands = [
        argparse.Namespace(command="onboard-hospital", file=str(tmp_path / "h.json")),
        argparse.Namespace(command="import-schedules", hospital="CLIH", file=str(tmp_path / "s.json")),
        argparse.Namespace(command="issue-intake-secret", hospital="CLIH"),
        argparse.Namespace(
            command="create-operator", username="cli-made", role="platform", hospital=None, password_stdin=True
        ),
        argparse.Namespace(command="rebuild-stock"),
    ]
    for args in commands:
        await cli.run(args, deps.settings)
    entries = await OperatorAction.filter(actor="cli").order_by("id")
    assert [e.action for e in entries] == [
        "hospital.create",
        "department.create",
        "doctor.create",
        "schedule.import",
        "intake_secret.issue",
        "operator.create",
        "stock.rebuild",
    ]
    assert all(e.operator_id is None for e in entries)
    assert actions.current().name == actions.SYSTEM  # nothing outside the command keeps its actor
