"""Every input reaches a rule: the probes of other scripts' digits, huge decimals, lone surrogates,
CSV quirks and sizes, kept as tests against the real app. Each answers a 4xx in the error shape
(never a 500), writes nothing it should not, and stores only what the rules allow."""

import json as jsonlib
from datetime import date, timedelta
from urllib.parse import quote

import pytest

from backend.catalog.models import Hospital, Schedule
from backend.clock import clock
from backend.inpatient.models import BillDay
from tests.integration.conftest import ADMIN, at
from tests.integration.inpatient.conftest import his_for, item  # noqa: F401  (the hospital-system fixture)
from tests.support import make_id_number, make_phone

FULL_WIDTH = str.maketrans({str(d): chr(0xFF10 + d) for d in range(10)})
ARABIC_INDIC = str.maketrans({str(d): chr(0x0660 + d) for d in range(10)})
TODAY = date(2026, 12, 10)


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(at(TODAY, "10:00"))


def refused(r, status: int = 400, code: str | None = None) -> None:
    assert r.status == status, (r.status, r.body[:300])
    assert isinstance(r.json, dict) and {"code", "message"} <= set(r.json["error"]), r.body[:300]
    if code:
        assert r.json["error"]["code"] == code, r.json


# --- 1. digits that are not ASCII -----------------------------------------------------------------


async def test_the_same_person_in_full_width_digits_is_the_same_card(login):
    id_number, phone = make_id_number(), make_phone()
    me = await login()
    r = await me.claim(name="张三", id_number=id_number, phone=phone)
    assert r.status == 201, r.json
    card = r.json
    assert card["id_masked"].isascii() and card["phone_masked"].isascii()
    clock.advance(seconds=61)
    again = await me.claim(name="张三", id_number=id_number.translate(FULL_WIDTH), phone=phone.translate(FULL_WIDTH))
    assert again.status == 200 and again.json["card_id"] == card["card_id"], again.json
    clock.advance(seconds=61)
    other = await login()
    r = await other.claim(name="张三", id_number=id_number.translate(FULL_WIDTH), phone=phone)
    refused(r, 409, "already_claimed")
    r = await other.get("/api/v1/cards")
    assert r.json == []


async def test_other_scripts_digits_in_an_id_number_or_phone_are_refused(login):
    me = await login()
    id_number, phone = make_id_number(), make_phone()
    r = await me.post("/api/v1/sms/codes", {"phone": phone.translate(ARABIC_INDIC), "purpose": "claim_card"})
    refused(r, 400)
    code = await me.sms_code(phone, "claim_card")
    r = await me.post(
        "/api/v1/cards",
        {"name": "张三", "id_number": id_number.translate(ARABIC_INDIC), "phone": phone, "sms_code": code},
    )
    refused(r, 400)
    r = await me.post(
        "/api/v1/cards",
        {"name": "张三", "id_number": id_number, "phone": phone, "sms_code": code.translate(ARABIC_INDIC)},
    )
    refused(r, 400)
    assert (await me.get("/api/v1/cards")).json == []


async def test_one_sms_a_minute_holds_whatever_digits_the_phone_is_written_in(login):
    me = await login()
    phone = make_phone()
    r = await me.post("/api/v1/sms/codes", {"phone": phone, "purpose": "claim_card"})
    assert r.status == 202, r.json
    for spelling in (phone.translate(FULL_WIDTH), "+８６ " + phone.translate(FULL_WIDTH)):
        r = await me.post("/api/v1/sms/codes", {"phone": spelling, "purpose": "claim_card"})
        refused(r, 429)


async def test_a_full_width_sms_code_is_the_code(login):
    me = await login()
    id_number, phone = make_id_number(), make_phone()
    code = await me.sms_code(phone, "claim_card")
    r = await me.post(
        "/api/v1/cards",
        {"name": "张三", "id_number": id_number, "phone": phone, "sms_code": code.translate(FULL_WIDTH)},
    )
    assert r.status == 201, r.json


async def test_release_times_in_other_digits_keep_the_night_rule_and_are_stored_in_ascii(catalog):
    for bad in ("２３:００", "٠٨:٠٠", "²³:00"):
        r = await catalog.admin("POST", "/admin/hospitals", {"code": "HX1", "name": "医院", "release_time": bad})
        refused(r, 400)
    r = await catalog.admin("POST", "/admin/hospitals", {"code": "HX1", "name": "医院", "release_time": "１３:３０"})
    assert r.status == 201 and r.json["release_time"] == "13:30", r.json
    assert (await Hospital.get(id=r.json["id"])).release_time == "13:30"
    r = await catalog.admin("PATCH", f"/admin/hospitals/{r.json['id']}", {"release_time": "２２:３０"})
    refused(r, 400)


# --- 2. numbers as strings ---------------------------------------------------------------------------


async def _admitted(his_for, resident_with_card, admission_no="ZYH1"):
    his = await his_for()
    me = await resident_with_card()
    r = await his.admit(admission_no, id_number=me.id_number, admitted=TODAY - timedelta(days=1))
    assert r.status == 201, r.json
    return his, me


@pytest.mark.parametrize("quantity", ["1e999999999", "-1e999999999", "1E+9999999999", "٣", "NaN", "1" * 5000])
async def test_quantities_that_are_not_bounded_decimals_are_a_422_report(his_for, resident_with_card, quantity):
    his, _ = await _admitted(his_for, resident_with_card)
    r = await his.push_day("ZYH1", TODAY, [item(quantity=1), dict(item(quantity=1), quantity=quantity)])
    refused(r, 422, "invalid_items")
    assert r.json["error"]["items"][0]["index"] == 1 and r.json["error"]["items"][0]["field"] == "quantity"
    assert await BillDay.filter(date=TODAY).count() == 0


async def test_a_full_width_quantity_reads_as_its_number(his_for, resident_with_card):
    his, _ = await _admitted(his_for, resident_with_card)
    r = await his.push_day("ZYH1", TODAY, [dict(item(quantity=2, price=350), quantity="２")])
    assert r.status == 200 and r.json["subtotal_fen"] == 700, r.json


@pytest.mark.parametrize(
    "cursor, status", [("²", 200), ("①", 200), ("１２", 200), ("٣", 400), ("-1", 400), ("1" * 13, 400)]
)
async def test_feed_cursors_in_unicode_digits_are_read_or_refused(his_for, cursor, status):
    his = await his_for()
    r = await his.request("GET", his.path(f"/deposits?after={quote(cursor)}"))  # signed as sent
    assert r.status == status, r.json
    if status == 400:
        refused(r, 400)


# --- 3. lone surrogates, values and keys, at any depth ----------------------------------------------

SURROGATE_BODIES = [
    b'{"phone": "\\ud800", "purpose": "claim_card"}',
    b'{"phone": "13800000000", "purpose": "claim_card", "\\udc00": 1}',
    b'{"phone": "13800000000", "purpose": "claim_card", "x": {"y": [{"\\ud83d": "z"}]}}',
    b'{"phone": "13800000000", "purpose": "claim_card", "x": [[[["\\udfff"]]]]}',
]


@pytest.mark.parametrize("body", SURROGATE_BODIES)
async def test_a_lone_surrogate_anywhere_in_a_body_is_a_400(client, login, body):
    me = await login()
    _, r = await client.post(
        "/api/v1/sms/codes", content=body, headers={**me.headers, "Content-Type": "application/json"}
    )
    refused(r, 400, "invalid_request")
    assert "\\ud" not in r.body.decode().lower()


async def test_lone_surrogates_in_bill_items_and_schedule_imports_are_a_400(his_for, resident_with_card, catalog):
    his, _ = await _admitted(his_for, resident_with_card)
    for items in ([dict(item(), name="\ud800")], [dict(item(), **{"\udc00": 1})]):
        body = jsonlib.dumps({"items": items}).encode()  # ensure_ascii: the escapes, as a client sends them
        r = await his.request("PUT", his.path(f"/admissions/ZYH1/days/{TODAY}"), raw=body)
        refused(r, 400, "invalid_request")
    schedules = jsonlib.dumps({"schedules": [{"external_id": "\ud800", "department_code": "D"}]}).encode()
    r = await his.request("POST", his.path("/schedules/import"), raw=schedules)
    refused(r, 400, "invalid_request")
    _, r = await catalog.client.post(
        f"/api/v1/admin/hospitals/{his.hospital['id']}/schedules/import",
        content=schedules,
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    refused(r, 400, "invalid_request")


# --- 4. sizes ----------------------------------------------------------------------------------------


async def test_ten_thousand_bad_items_answer_a_small_report_with_the_count(his_for, resident_with_card):
    his, _ = await _admitted(his_for, resident_with_card)
    r = await his.push_day("ZYH1", TODAY, [dict(item(), amount_fen=1)] * 10_000)
    refused(r, 422, "invalid_items")
    assert len(r.json["error"]["items"]) == 20 and r.json["error"]["more_errors"] == 10_000 - 20
    assert "10000 item(s)" in r.json["error"]["message"]
    assert len(r.body) < 5_000, len(r.body)


CSV_HEADER = "external_id,department_code,doctor_code,date,start,end,capacity,referral_quota,fee_fen\n"


async def _csv_targets(his_for, catalog):
    """The console's and the hospital system's CSV imports, as (name, post(text) -> response)."""
    his = await his_for()

    async def console(text: bytes):
        _, r = await catalog.client.post(
            f"/api/v1/admin/hospitals/{his.hospital['id']}/schedules/import",
            content=text,
            headers={**ADMIN, "Content-Type": "text/csv"},
        )
        return r

    async def hospital_system(text: bytes):
        path = his.path("/schedules/import")
        headers = {**his.headers("POST", path, text), "Content-Type": "text/csv"}
        _, r = await his.client.request("POST", path, content=text, headers=headers)
        return r

    return his, (("console", console), ("his", hospital_system))


@pytest.mark.parametrize(
    "quirk, body",
    [
        ("a cell over 128 kB", CSV_HEADER + "E1," + "x" * 140_000 + ",DR1,2026-12-12,08:00,08:30,10,0,500\n"),
        ("a bare carriage return", CSV_HEADER + "E1,D1,DR1,2026-12-12,08:00,08:30,10\r,0,500\n"),
        ("a NUL", CSV_HEADER + "E1,D1,DR1,2026-12-12,08:00,08:30,10,0,500\x00\n"),
        ("an open quote", CSV_HEADER + '"E1,D1,DR1,2026-12-12,08:00,08:30,10,0,500\n'),
        ("text after a closing quote", CSV_HEADER + '"E1"x,D1,DR1,2026-12-12,08:00,08:30,10,0,500\n'),
        ("a byte order mark inside", CSV_HEADER + "\ufeffE1,D1,DR1,2026-12-12,08:00,08:30,10,0,500\n"),
        ("a second byte order mark", "\ufeff\ufeff" + CSV_HEADER + "E1,D1,DR1,2026-12-12,08:00,08:30,10,0,500\n"),
    ],
)
async def test_csv_quirks_are_a_validation_report_on_both_imports(his_for, catalog, quirk, body):
    _, targets = await _csv_targets(his_for, catalog)
    before = await Schedule.all().count()
    for name, post in targets:
        r = await post(body.encode("utf-8"))
        assert r.status in (400, 422), (quirk, name, r.status, r.body[:200])
        refused(r, r.status, "invalid_schedules")
        report = r.json["error"]["rows"]
        assert report and len(report) <= 20 and report[0]["line"] == 2, (quirk, name, report)
        assert len(r.body) < 5_000
    assert await Schedule.all().count() == before


async def test_a_csv_in_full_width_digits_imports_in_ascii_and_a_leading_bom_is_fine(his_for, catalog):
    his, targets = await _csv_targets(his_for, catalog)
    department = await catalog.department(his.hospital)
    doctor = (
        await catalog.admin(
            "POST",
            f"/admin/hospitals/{his.hospital['id']}/doctors",
            {"code": "DRW", "name": "王医生", "department_code": department["code"]},
        )
    ).json
    day = (TODAY + timedelta(days=2)).isoformat()
    line = f"EW1,{department['code']},{doctor['code']},{day},０８:００,０８:３０,１０,０,５００\n"
    r = await targets[0][1](("\ufeff" + CSV_HEADER + line).encode("utf-8"))
    assert r.status == 201, r.json
    stored = await Schedule.get(external_id="EW1")
    assert (stored.start, stored.end, stored.capacity, stored.fee_fen) == ("08:00", "08:30", 10, 500)


async def test_an_import_with_many_bad_rows_reports_twenty_and_counts_the_rest(his_for, catalog):
    _, targets = await _csv_targets(his_for, catalog)
    body = CSV_HEADER + "".join(f"E{i},NOPE,DR1,2026-12-12,08:00,08:30,10,0,500\n" for i in range(500))
    for name, post in targets:
        r = await post(body.encode())
        refused(r, 422, "invalid_schedules")
        assert len(r.json["error"]["rows"]) == 20 and r.json["error"]["more_errors"] == 480, name
        assert "500 of 500 rows" in r.json["error"]["message"]
