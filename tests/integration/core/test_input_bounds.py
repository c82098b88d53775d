"""Every input bounded: the probes that once answered 500, kept as tests.

Each refusal is a 4xx with the error shape, and writes nothing."""

import json
import uuid

import pytest

from backend.catalog.models import Hospital
from backend.clock import clock
from backend.staff import rules as staff_rules
from backend.staff.models import Terminal
from tests.integration.conftest import ADMIN

JSON = {"Content-Type": "application/json"}


async def raw(client, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    _, r = await client.request(method, path, content=body, headers=headers or {})
    return r


# --- integers past 64 bits: once an OverflowError from the database driver --------------------


@pytest.mark.parametrize("value", [2**64, 10**24, -(2**70)])
async def test_integers_past_64_bits_in_a_body_are_refused_and_write_nothing(client, value):
    before = await Terminal.all().count()
    _, r = await client.post("/api/v1/admin/terminals", json={"hospital_id": value, "name": "机"}, headers=ADMIN)
    assert r.status == 400 and r.json["error"]["code"] == "invalid_request", r.json
    assert await Terminal.all().count() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/admin/access-log?terminal_id=100000000000000000000000",
        "/api/v1/admin/terminals?hospital_id=100000000000000000000000",
        "/api/v1/admin/audit?before=100000000000000000000000",
    ],
)
async def test_integers_past_64_bits_in_a_query_are_refused(client, path):
    _, r = await client.get(path, headers=ADMIN)
    assert r.status == 400 and r.json["error"]["code"] == "invalid_request", r.json


async def test_path_ids_past_the_id_columns_do_not_match_a_route(client, login):
    me = await login()
    for segment in ("0", "2147483648", "99999999999999999999999", "-1", "１"):
        r = await me.get(f"/api/v1/bookings/{segment}")
        assert r.status == 404, (segment, r.json)


# --- terminal and hospital-system headers: once a ValueError and a UnicodeEncodeError ---------


async def test_a_signed_terminal_request_with_a_unicode_digit_timestamp_is_refused(client, catalog, terminal_for):
    terminal = await terminal_for(await catalog.hospital())
    body = json.dumps({"payload": "x"}).encode()
    path = "/api/v1/staff/scan"
    nonce = "n" * 20
    # "²" is a digit to str.isdigit() but not to int(): the signature itself verifies
    signature = staff_rules.signature(terminal.secret, staff_rules.canonical("POST", path, "²", nonce, body))
    headers = {
        "X-Terminal-Id": terminal.code,
        "X-Timestamp": "²".encode(),
        "X-Nonce": nonce,
        "X-Signature": signature,
        **JSON,
    }
    r = await raw(client, "POST", path, body, headers)
    assert r.status == 401 and r.json["error"]["code"] == "bad_signature", r.json


@pytest.mark.parametrize(
    "header, value",
    [
        ("X-Timestamp", b"\xff\xfe"),
        ("X-Timestamp", b"1" * 40),
        ("X-Nonce", b"\xffaaaaaaaaaaaaaaaaaa"),
        ("X-Signature", b"\xff" * 64),
        ("X-Signature", b"g" * 64),
    ],
)
async def test_undecodable_or_oversized_signing_headers_are_refused(client, catalog, terminal_for, header, value):
    hospital = await catalog.hospital()
    terminal = await terminal_for(hospital)
    headers = {**terminal.headers("POST", "/api/v1/staff/scan", b"{}"), header: value}
    r = await raw(client, "POST", "/api/v1/staff/scan", b"{}", headers)
    assert r.status == 401, r.json
    # the hospital system's requests go through the same check
    his = {"X-Timestamp": "1", "X-Nonce": "a" * 20, "X-Signature": "a" * 64, header: value}
    r = await raw(client, "GET", f"/api/v1/his/{hospital['code']}/deposits", b"", his)
    assert r.status == 401, r.json


# --- the dev clock at the ends of time: once an OverflowError on every later request ----------


@pytest.mark.parametrize(
    "when",
    [
        "9999-12-31T23:59:59-12:00",
        "9999-12-31T23:00:00+00:00",
        "0001-01-01T00:30:00+14:00",
        "1970-01-01T00:00:00+00:00",
    ],
)
async def test_the_dev_clock_refuses_the_ends_of_time(client, when):
    before = clock.now()
    _, r = await client.post("/api/v1/dev/clock", json={"now": when})
    assert r.status == 400 and r.json["error"]["code"] == "invalid_request", r.json
    assert abs((clock.now() - before).total_seconds()) < 60
    _, r = await client.post("/api/v1/auth/wx-login", json={"code": f"clockprobe#{uuid.uuid4().hex[:8]}"})
    assert r.status == 200, r.json


async def test_a_far_future_date_in_a_write_is_refused_before_any_row(client, login):
    # once: a row written, then a 500 converting its year-9999 time, and a database the service
    # could not start on; now every date and time in a body lies between 2000 and 2100
    me = await login()
    before = await Hospital.all().count()
    _, r = await client.post(
        "/api/v1/admin/referrals",
        headers=ADMIN,
        json={"card_id": "a" * 64, "hospital_id": 1, "valid_until": "9999-12-31", "issued_by": "x"},
    )
    assert r.status == 400, r.json
    r = await me.get("/api/v1/departments/1/schedules?date=9999-12-31")
    assert r.status == 400, r.json
    assert await Hospital.all().count() == before


# --- text: no control characters stored -------------------------------------------------------


@pytest.mark.parametrize("name", ["a\u0007b", "a\nb", "a\u0000b", "a\ud800b", "a\u009fb"])
async def test_control_characters_are_refused_in_any_text(client, catalog, name):
    before = await Hospital.all().count()
    r = await raw(
        client,
        "POST",
        "/api/v1/admin/hospitals",
        json.dumps({"code": "CTRLX", "name": name}).encode(),
        {**ADMIN, **JSON},
    )
    assert r.status == 400, r.json
    assert await Hospital.all().count() == before
    hospital = await catalog.hospital()
    r = await raw(
        client,
        "PATCH",
        f"/api/v1/admin/hospitals/{hospital['id']}",
        json.dumps({"name": name}).encode(),
        {**ADMIN, **JSON},
    )
    assert r.status == 400, r.json
    assert (await Hospital.get(id=hospital["id"])).name == hospital["name"]


# --- error details capped ----------------------------------------------------------------------


async def test_many_unknown_fields_answer_a_short_error(client):
    body = json.dumps({f"f{i}": 1 for i in range(400_000)}).encode()
    r = await raw(client, "POST", "/api/v1/auth/wx-login", body, JSON)
    assert r.status == 400 and len(r.content) < 2_000, len(r.content)


async def test_an_error_lists_at_most_20_fields_and_says_how_many_more(client):
    body = json.dumps({f"f{i}": 1 for i in range(150)}).encode()
    r = await raw(client, "POST", "/api/v1/auth/wx-login", body, JSON)
    assert r.status == 400
    assert len(r.json["error"]["fields"]) == 20 and r.json["error"]["more_errors"] >= 130, r.json


# --- content types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]
)
async def test_json_endpoints_refuse_other_content_types_with_415(client, content_type):
    body = json.dumps({"code": f"ctype#{uuid.uuid4().hex[:8]}"}).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    for path in ("/api/v1/auth/wx-login", "/api/v1/holds"):
        r = await raw(client, "POST", path, body, headers)
        assert r.status == 415 and r.json["error"]["code"] == "unsupported_media_type", (path, r.json)
    r = await raw(client, "POST", "/api/v1/auth/wx-login", body, {"Content-Type": "application/json; charset=utf-8"})
    assert r.status == 200, r.json


# --- one 401 code whatever the token ------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer x",
        "Bearer " + "x" * 40,
        "Bearer " + "x" * 500,
        "Basic abc",
        "Bearer a\u00e9" + "b" * 30,
    ],
)
async def test_every_bad_resident_token_gets_the_same_401_code(client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization.encode("utf-8")}
    codes = set()
    for method, path, body in (
        ("GET", "/api/v1/auth/me", b""),
        ("GET", "/api/v1/cards", b""),
        ("GET", "/api/v1/cards/" + "a" * 64 + "/qrcode", b""),
        ("POST", "/api/v1/holds", json.dumps({"schedule_id": 1, "card_id": "a" * 64}).encode()),
    ):
        r = await raw(client, method, path, body, {**headers, **JSON})
        assert r.status == 401, (path, r.json)
        codes.add(r.json["error"]["code"])
    assert codes == {"invalid_token"}


@pytest.mark.parametrize("authorization", [None, "Bearer x", "Bearer " + "x" * 40, "Bearer " + "x" * 500])
async def test_every_bad_operator_token_gets_the_same_401_code(client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    _, r = await client.get("/api/v1/admin/me", headers=headers)
    assert r.status == 401 and r.json["error"]["code"] == "unauthorized", r.json
