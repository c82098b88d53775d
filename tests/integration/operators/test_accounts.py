"""Operator accounts: argon2 passwords, log-in, sessions, the dev token only outside production."""

import dataclasses

import pytest

from backend.app import create_app
from backend.operators.models import Operator, OperatorSession
from tests.integration.conftest import ADMIN
from tests.integration.operators.conftest import PASSWORD

pytestmark = pytest.mark.redis_cluster  # also on a local Redis Cluster: log-in failure counters


async def test_login_gives_a_token_and_passwords_are_stored_as_argon2id(operator_login, client):
    console = await operator_login()
    row = await Operator.get(username=console.info["username"])
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    session = await OperatorSession.get(operator_id=row.id)
    assert session.token_hash != console.token
    r = await console.call("GET", "/admin/me")
    assert r.status == 200 and r.json["role"] == "platform" and r.json["username"] == row.username
    r = await console.call("POST", "/admin/logout")
    assert r.status == 204
    assert (await console.call("GET", "/admin/me")).status == 401


async def test_wrong_password_and_unknown_user_get_the_same_answer_and_failures_are_limited(operator_login, client):
    console = await operator_login()
    name = console.info["username"]
    _, wrong = await client.post("/api/v1/admin/login", json={"username": name, "password": "wrong password 1"})
    _, unknown = await client.post(
        "/api/v1/admin/login", json={"username": "nobody-here", "password": "wrong password 1"}
    )
    assert wrong.status == unknown.status == 401 and wrong.content == unknown.content
    for _ in range(9):
        await client.post("/api/v1/admin/login", json={"username": name, "password": "wrong password 1"})
    _, r = await client.post("/api/v1/admin/login", json={"username": name, "password": PASSWORD})
    assert r.status == 429 and r.json["error"]["code"] == "limit_exceeded"


async def test_weak_passwords_bad_roles_and_duplicates_are_refused(client, catalog):
    h = await catalog.hospital()
    cases = [
        ({"username": "weakling", "password": "short1", "role": "platform"}, 400, "weak_password"),
        ({"username": "digits", "password": "1234567890123", "role": "platform"}, 400, "weak_password"),
        ({"username": "nohosp", "password": PASSWORD, "role": "hospital_admin"}, 400, "invalid_operator"),
        (
            {"username": "twohats", "password": PASSWORD, "role": "platform", "hospital_id": h["id"]},
            400,
            "invalid_operator",
        ),
        (
            {"username": "ghost", "password": PASSWORD, "role": "hospital_admin", "hospital_id": 999999},
            404,
            "hospital_not_found",
        ),
    ]
    for body, status, code in cases:
        _, r = await client.post("/api/v1/admin/operators", json=body, headers=ADMIN)
        assert (r.status, r.json["error"]["code"]) == (status, code), body
    ok = {"username": "twice", "password": PASSWORD, "role": "platform"}
    assert (await client.post("/api/v1/admin/operators", json=ok, headers=ADMIN))[1].status == 201
    _, r = await client.post("/api/v1/admin/operators", json=ok, headers=ADMIN)
    assert r.status == 409
    assert not await Operator.filter(username__in=["weakling", "digits", "nohosp", "twohats", "ghost"]).exists()


async def test_a_retired_operator_is_logged_out_at_once(operator_login, client):
    console = await operator_login()
    r = await console.call("POST", f"/admin/operators/{console.info['id']}/retire")
    assert r.status == 200 and r.json["status"] == "retired"
    assert (await console.call("GET", "/admin/me")).status == 401
    _, r = await client.post("/api/v1/admin/login", json={"username": console.info["username"], "password": PASSWORD})
    assert r.status == 401


async def test_the_dev_token_is_a_platform_operator_in_dev_and_test_only(deps, make_client, operator_login, client):
    _, r = await client.get("/api/v1/admin/me", headers=ADMIN)
    assert r.status == 200 and r.json["role"] == "platform"
    console = await operator_login()
    prod = create_app(deps=dataclasses.replace(deps, settings=deps.settings.with_overrides(app={"env": "prod"})))
    prod_client = await make_client(prod)
    _, r = await prod_client.get("/api/v1/admin/hospitals", headers=ADMIN)
    assert r.status == 401
    _, r = await prod_client.get("/api/v1/admin/hospitals", headers=console.headers)
    assert r.status == 200


async def test_platform_operators_list_operators_and_rebuild_stock(operator_login, catalog):
    h = await catalog.hospital()
    platform = await operator_login()
    admin = await operator_login(role="hospital_admin", hospital_id=h["id"])
    r = await platform.call("GET", f"/admin/operators?hospital_id={h['id']}")
    assert r.status == 200 and [o["username"] for o in r.json] == [admin.info["username"]]
    assert "password_hash" not in r.json[0]
    r = await platform.call("POST", "/admin/stock/rebuild")
    assert r.status == 200 and r.json["failed"] == []
    assert (await admin.call("POST", "/admin/stock/rebuild")).json["error"]["code"] == "platform_only"
