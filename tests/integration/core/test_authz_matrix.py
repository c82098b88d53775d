"""Authorization matrix: every route x every kind of caller, driven against
the running app, with the outcome each cell must have. A route missing from the table fails.

Cells: `ok` the caller gets through (a 2xx, or a refusal about the request itself: 400, 409,
410, 415, 422, 429, 503); `401` not identified; `403` identified but not allowed; `404` the
object is hidden from this caller (answered as if it did not exist)."""

from __future__ import annotations

import itertools
import json as jsonlib
import uuid
from datetime import timedelta

import pytest

from backend.clock import clock
from backend.reports.sample_pdf import one_page_pdf
from backend.staff.signing import sign
from tests.integration.conftest import ADMIN, Terminal, at, dynamic_code
from tests.support import make_phone

ACTORS = ("anon", "A", "B", "F", "tX", "tY", "hX", "hY", "op", "aX", "aY")
_n = itertools.count(1)


def row(text: str) -> dict:
    cells = text.split()
    assert len(cells) == len(ACTORS), text
    return dict(zip(ACTORS, cells))


ALL_OK = row("ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok")
#                      anon A   B   F   tX  tY  hX  hY  op  aX  aY
ANY_RESIDENT = row("   401  ok  ok  ok  401 401 401 401 401 401 401")
A_AND_FAMILY = row("   401  ok  404 ok  401 401 401 401 401 401 401")
A_ONLY = row("         401  ok  404 404 401 401 401 401 401 401 401")
OWNER_A = row("        401  ok  404 403 401 401 401 401 401 401 401")  # F is linked to A's card, not its owner
TERMINAL_ANY = row("   401  401 401 401 ok  ok  401 401 401 401 401")
TERMINAL_X = row("     401  401 401 401 ok  404 401 401 401 401 401")
HIS_X = row("          401  401 401 401 401 401 ok  401 401 401 401")
HIS_X_UNKNOWN = row("  401  401 401 401 401 401 404 401 401 401 401")  # signed in, but nothing of X's by that id
PLATFORM = row("       401  401 401 401 401 401 401 401 ok  403 403")
HOSPITAL_X = row("     401  401 401 401 401 401 401 401 ok  ok  403")
ANY_OPERATOR = row("   401  401 401 401 401 401 401 401 ok  ok  ok")
NOBODY = row("         401  401 401 401 401 401 401 401 401 401 401")

# (method, route as the router names it) -> (expected row, request builder)
# A builder gets the world and returns (path with query, JSON body or None); builders that make a
# fresh object per call keep one cell's change from deciding the next cell.
API = "/api/v1"
FHIR = "/fhir/R4"


def release_ticket(hospital_id: int, account_id: int) -> str:
    """A ticket as the service signs it, for today's release (the room is off in tests, so
    none can be taken through the API: its status then says admitted)."""
    from backend.releases.rules import release_on_day_of, sign_ticket
    from tests.conftest import test_settings

    release_ms = release_on_day_of(clock.now_ms(), 13 * 60)
    return sign_ticket(
        test_settings().crypto.index_key, hospital_id=hospital_id, release_ms=release_ms, account_id=account_id
    )


def table(w) -> dict:
    X = w["X"]
    hx, sx = X["hospital"]["id"], X["schedule"]["id"]
    code_x = X["hospital"]["code"]
    return {
        # --- public ---------------------------------------------------------------------------
        ("GET", "/api/v1/ping"): (ALL_OK, lambda: ("/ping", None)),
        ("GET", "/api/v1/health"): (ALL_OK, lambda: ("/health", None)),
        ("GET", "/api/v1/ready"): (ALL_OK, lambda: ("/ready", None)),
        ("GET", "/api/v1/hospitals"): (ALL_OK, lambda: ("/hospitals", None)),
        ("GET", "/api/v1/hospitals/<hospital_id:id>/departments"): (
            ALL_OK,
            lambda: (f"/hospitals/{hx}/departments", None),
        ),
        ("GET", "/api/v1/departments/<department_id:id>/schedules"): (
            ALL_OK,
            lambda: (f"/departments/{X['department']['id']}/schedules", None),
        ),
        ("GET", "/api/v1/schedules/<schedule_id:id>"): (ALL_OK, lambda: (f"/schedules/{sx}", None)),
        ("GET", "/api/v1/schedules/<schedule_id:id>/queue"): (ALL_OK, lambda: (f"/schedules/{sx}/queue", None)),
        ("GET", "/api/v1/schedules/<schedule_id:id>/queue/stream"): (
            ALL_OK,
            lambda: (f"/schedules/{sx}/queue/stream", None),
        ),
        ("POST", "/api/v1/auth/wx-login"): (
            ALL_OK,
            lambda: ("/auth/wx-login", {"code": f"matrix{next(_n)}#{uuid.uuid4().hex[:6]}"}),
        ),
        ("POST", "/api/v1/sms/codes"): (
            ALL_OK,
            lambda: ("/sms/codes", {"phone": make_phone(), "purpose": "claim_card"}),
        ),
        ("POST", "/api/v1/admin/login"): (
            ALL_OK,
            lambda: ("/admin/login", {"username": w["spare_operator"], "password": "correct horse 42"}),
        ),
        # WeChat Pay's notifications are signed by WeChat: no caller of ours can make one
        ("POST", "/api/v1/payments/wechat/notify"): (NOBODY, lambda: ("/payments/wechat/notify", {"id": "x"})),
        # dev and test only (404 in production, tested elsewhere)
        ("GET", "/api/v1/dev/clock"): (ALL_OK, lambda: ("/dev/clock", None)),
        ("POST", "/api/v1/dev/clock"): (
            ALL_OK,
            lambda: ("/dev/clock", {"now": clock.now().isoformat(), "frozen": False}),
        ),
        ("POST", "/api/v1/dev/payments/<out_trade_no:str>/complete"): (
            ALL_OK,
            lambda: (f"/dev/payments/{w['spare_otn']}/complete", None),
        ),
        # --- residents ------------------------------------------------------------------------
        ("GET", "/api/v1/auth/me"): (ANY_RESIDENT, lambda: ("/auth/me", None)),
        ("GET", "/api/v1/cards"): (ANY_RESIDENT, lambda: ("/cards", None)),
        ("POST", "/api/v1/cards"): (
            ANY_RESIDENT,
            lambda: (
                "/cards",
                {"name": "张三", "id_number": "11010519491231002X", "phone": make_phone(), "sms_code": "000000"},
            ),
        ),
        ("GET", "/api/v1/family"): (ANY_RESIDENT, lambda: ("/family", None)),
        ("POST", "/api/v1/family"): (
            ANY_RESIDENT,
            lambda: (
                "/family",
                {
                    "name": "张小宝",
                    "id_number": "110101201806010012",
                    "phone": make_phone(),
                    "relation": "child",
                    "sms_code": "000000",
                },
            ),
        ),
        ("DELETE", "/api/v1/family/<member_id:id>"): (
            row("401 404 404 ok 401 401 401 401 401 401 401"),
            lambda: (f"/family/{w['F_link']}", None),
        ),
        ("GET", "/api/v1/cards/<card_id:str>"): (A_AND_FAMILY, lambda: (f"/cards/{w['A'].card_id}", None)),
        ("GET", "/api/v1/cards/<card_id:str>/access-log"): (
            A_AND_FAMILY,
            lambda: (f"/cards/{w['A'].card_id}/access-log", None),
        ),
        ("GET", "/api/v1/cards/<card_id:str>/qrcode"): (
            A_AND_FAMILY,
            lambda: (f"/cards/{w['A'].card_id}/qrcode", None),
        ),
        ("GET", "/api/v1/cards/<card_id:str>/links"): (A_ONLY, lambda: (f"/cards/{w['A'].card_id}/links", None)),
        ("PUT", "/api/v1/cards/<card_id:str>/phone"): (
            OWNER_A,
            lambda: (f"/cards/{w['A'].card_id}/phone", {"phone": make_phone(), "sms_code": "000000"}),
        ),
        ("POST", "/api/v1/holds"): (A_AND_FAMILY, lambda: ("/holds", {"schedule_id": sx, "card_id": w["A"].card_id})),
        ("GET", "/api/v1/holds/<hold_id:str>"): (A_ONLY, lambda: (f"/holds/{w['hold']}", None)),
        # the release waiting room: a ticket is any resident's (409 room_not_open outside a room);
        # its status is read with the signed ticket alone
        ("POST", "/api/v1/releases/<hospital_id:id>/tickets"): (
            ANY_RESIDENT,
            lambda: (f"/releases/{hx}/tickets", None),
        ),
        ("GET", "/api/v1/releases/<hospital_id:id>/tickets/<ticket:str>"): (
            ALL_OK,
            lambda: (f"/releases/{hx}/tickets/{release_ticket(hx, w['A'].account_id)}", None),
        ),
        ("POST", "/api/v1/holds/<hold_id:str>/payment"): (A_ONLY, lambda: (f"/holds/{w['hold']}/payment", None)),
        ("GET", "/api/v1/payments/<out_trade_no:str>"): (
            A_ONLY,
            lambda: (f"/payments/{w['booking']['out_trade_no']}", None),
        ),
        ("GET", "/api/v1/bookings"): (ANY_RESIDENT, lambda: ("/bookings", None)),
        ("GET", "/api/v1/bookings/<booking_id:id>"): (A_AND_FAMILY, lambda: (f"/bookings/{w['booking']['id']}", None)),
        ("GET", "/api/v1/bookings/<booking_id:id>/queue"): (
            A_AND_FAMILY,
            lambda: (f"/bookings/{w['booking']['id']}/queue", None),
        ),
        ("GET", "/api/v1/notifications"): (ANY_RESIDENT, lambda: ("/notifications", None)),
        # messages: each resident's own inbox, badge and allowances
        ("GET", "/api/v1/notifications/unread"): (ANY_RESIDENT, lambda: ("/notifications/unread", None)),
        ("POST", "/api/v1/notifications/read"): (ANY_RESIDENT, lambda: ("/notifications/read", {"all": True})),
        ("GET", "/api/v1/notifications/templates"): (ANY_RESIDENT, lambda: ("/notifications/templates", None)),
        ("POST", "/api/v1/notifications/subscriptions"): (
            ANY_RESIDENT,
            lambda: ("/notifications/subscriptions", {"templates": {"booking_confirmed": "reject"}}),
        ),
        ("GET", "/api/v1/inpatient/admissions"): (
            A_AND_FAMILY,
            lambda: (f"/inpatient/admissions?card_id={w['A'].card_id}", None),
        ),
        ("POST", "/api/v1/inpatient/deposits"): (
            A_AND_FAMILY,
            lambda: (
                "/inpatient/deposits",
                {"hospital_id": hx, "card_id": w["A"].card_id, "admission_no": "ZYM1", "amount_fen": 100},
            ),
        ),
        ("GET", "/api/v1/inpatient/bills"): (
            A_AND_FAMILY,
            lambda: (f"/inpatient/bills?hospital_id={hx}&card_id={w['A'].card_id}&admission_no=ZYM1", None),
        ),
        ("GET", "/api/v1/inpatient/bills/summary"): (
            A_AND_FAMILY,
            lambda: (f"/inpatient/bills/summary?hospital_id={hx}&card_id={w['A'].card_id}&admission_no=ZYM1", None),
        ),
        ("GET", "/api/v1/inpatient/bills/days/<day:ymd>"): (
            A_AND_FAMILY,
            lambda: (
                f"/inpatient/bills/days/{clock.today().isoformat()}?hospital_id={hx}&card_id={w['A'].card_id}&admission_no=ZYM1",
                None,
            ),
        ),
        # --- outpatient charges ----------------------------------------------------------------
        ("GET", "/api/v1/outpatient/charges"): (
            A_AND_FAMILY,
            lambda: (f"/outpatient/charges?card_id={w['A'].card_id}", None),
        ),
        ("POST", "/api/v1/outpatient/payments"): (
            A_AND_FAMILY,
            lambda: (
                "/outpatient/payments",
                {"hospital_id": hx, "card_id": w["A"].card_id, "charge_ids": [w["charge_id"]]},
            ),
        ),
        ("PUT", "/api/v1/his/<hospital_code:str>/charges/<charge_no:str>"): (
            HIS_X,
            lambda: (f"/his/{code_x}/charges/CM2", w["charge"]),
        ),
        ("DELETE", "/api/v1/his/<hospital_code:str>/charges/<charge_no:str>"): (
            HIS_X_UNKNOWN,
            lambda: (f"/his/{code_x}/charges/NOPE1", None),
        ),
        ("GET", "/api/v1/his/<hospital_code:str>/charges/paid"): (HIS_X, lambda: (f"/his/{code_x}/charges/paid", None)),
        ("POST", "/api/v1/his/<hospital_code:str>/charges/ack"): (
            HIS_X,
            lambda: (f"/his/{code_x}/charges/ack", {"charges": [{"charge_no": "CM1"}]}),
        ),
        ("POST", "/api/v1/his/<hospital_code:str>/charges/<charge_no:str>/reject"): (
            HIS_X_UNKNOWN,
            lambda: (f"/his/{code_x}/charges/NOPE1/reject", {"reason": "矩阵"}),
        ),
        ("POST", "/api/v1/his/<hospital_code:str>/charges/<charge_no:str>/refund"): (
            HIS_X_UNKNOWN,
            lambda: (f"/his/{code_x}/charges/NOPE1/refund", {"amount_fen": 1, "reason": "矩阵"}),
        ),
        ("GET", "/api/v1/admin/hospitals/<hospital_id:id>/charges"): (
            HOSPITAL_X,
            lambda: (f"/admin/hospitals/{hx}/charges", None),
        ),
        # --- clinic terminals -----------------------------------------------------------------
        ("POST", "/api/v1/staff/scan"): (TERMINAL_ANY, lambda: ("/staff/scan", {"payload": w["code"]})),
        ("POST", "/api/v1/staff/checkins"): (
            TERMINAL_X,
            lambda: ("/staff/checkins", {"payload": w["code"], "booking_id": w["booking"]["id"]}),
        ),
        ("POST", "/api/v1/staff/schedules/<schedule_id:id>/call-next"): (
            TERMINAL_X,
            lambda: (f"/staff/schedules/{sx}/call-next", None),
        ),
        # --- hospital systems (X's code in the path) ------------------------------------------
        ("PUT", "/api/v1/his/<hospital_code:str>/admissions/<admission_no:str>"): (
            HIS_X,
            lambda: (f"/his/{code_x}/admissions/ZYM1", w["admission"]),
        ),
        ("PUT", "/api/v1/his/<hospital_code:str>/admissions/<admission_no:str>/days/<day:ymd>"): (
            HIS_X,
            lambda: (f"/his/{code_x}/admissions/ZYM1/days/{clock.today().isoformat()}", {"items": []}),
        ),
        ("GET", "/api/v1/his/<hospital_code:str>/deposits"): (HIS_X, lambda: (f"/his/{code_x}/deposits", None)),
        ("POST", "/api/v1/his/<hospital_code:str>/deposits/ack"): (
            HIS_X,
            lambda: (f"/his/{code_x}/deposits/ack", {"deposit_ids": [1]}),
        ),
        ("POST", "/api/v1/his/<hospital_code:str>/deposits/<deposit_id:id>/refund"): (
            HIS_X_UNKNOWN,
            lambda: (f"/his/{code_x}/deposits/999999/refund", None),
        ),
        ("POST", "/api/v1/his/<hospital_code:str>/schedules/import"): (
            HIS_X,
            lambda: (f"/his/{code_x}/schedules/import", {"schedules": [{}]}),
        ),
        # --- reports and the FHIR interface ----------------------------------------------------
        ("GET", "/api/v1/reports"): (ANY_RESIDENT, lambda: ("/reports", None)),
        ("GET", "/api/v1/reports/<report_id:id>"): (A_ONLY, lambda: (f"/reports/{w['sensitive_report']}", None)),
        ("POST", "/api/v1/reports/<report_id:id>/pdf-link"): (
            A_AND_FAMILY,
            lambda: (f"/reports/{w['report']}/pdf-link", None),
        ),
        ("GET", "/api/v1/reports/<report_id:id>/pdf"): (ALL_OK, lambda: (w["pdf_link"].removeprefix(API), None)),
        ("PUT", "/api/v1/his/<hospital_code:str>/reports/<report_no:str>"): (
            HIS_X,
            lambda: (f"/his/{code_x}/reports/RPM1", w["report_push"]),
        ),
        ("PUT", "/api/v1/his/<hospital_code:str>/reports/<report_no:str>/pdf"): (
            HIS_X,
            lambda: (f"/his/{code_x}/reports/RPM1/pdf", {"not": "a pdf"}),
        ),
        ("GET", "/fhir/R4/metadata"): (ALL_OK, lambda: ("/fhir/R4/metadata", None)),
        ("GET", "/fhir/R4/<resource_type:str>"): (ANY_RESIDENT, lambda: ("/fhir/R4/DiagnosticReport", None)),
        ("GET", "/fhir/R4/<resource_type:str>/<resource_id:str>"): (
            A_AND_FAMILY,
            lambda: (f"/fhir/R4/DiagnosticReport/{w['report']}", None),
        ),
        # --- operators: the platform only -------------------------------------------------------
        ("POST", "/api/v1/admin/hospitals"): (
            PLATFORM,
            lambda: ("/admin/hospitals", {"code": f"MX{next(_n)}", "name": "矩阵医院"}),
        ),
        ("POST", "/api/v1/admin/hospitals/<hospital_id:id>/retire"): (
            PLATFORM,
            lambda: (f"/admin/hospitals/{w['spare_hospital']}/retire", None),
        ),
        ("POST", "/api/v1/admin/hospitals/<hospital_id:id>/intake-secret"): (
            PLATFORM,
            lambda: (f"/admin/hospitals/{w['spare_hospital']}/intake-secret", None),
        ),
        ("POST", "/api/v1/admin/stock/rebuild"): (PLATFORM, lambda: ("/admin/stock/rebuild", None)),
        ("GET", "/api/v1/admin/operators"): (PLATFORM, lambda: ("/admin/operators", None)),
        ("POST", "/api/v1/admin/operators"): (
            PLATFORM,
            lambda: (
                "/admin/operators",
                {"username": f"mx{next(_n)}", "password": "correct horse 42", "role": "platform"},
            ),
        ),
        ("POST", "/api/v1/admin/operators/<operator_id:id>/retire"): (
            PLATFORM,
            lambda: (f"/admin/operators/{w['retirable_operator']}/retire", None),
        ),
        # --- operators: hospital X's data ----------------------------------------------------------
        ("PATCH", "/api/v1/admin/hospitals/<hospital_id:id>"): (
            HOSPITAL_X,
            lambda: (f"/admin/hospitals/{hx}", {"name": X["hospital"]["name"]}),
        ),
        ("GET", "/api/v1/admin/hospitals/<hospital_id:id>/release-room"): (
            HOSPITAL_X,
            lambda: (f"/admin/hospitals/{hx}/release-room", None),
        ),
        ("PUT", "/api/v1/admin/hospitals/<hospital_id:id>/release-room"): (
            HOSPITAL_X,
            lambda: (f"/admin/hospitals/{hx}/release-room", {"rate_per_s": 20}),
        ),
        ("GET", "/api/v1/admin/hospitals/<hospital_id:id>/departments"): (
            HOSPITAL_X,
            lambda: (f"/admin/hospitals/{hx}/departments", None),
        ),
        ("POST", "/api/v1/admin/hospitals/<hospital_id:id>/departments"): (
            HOSPITAL_X,
            lambda: (f"/admin/hospitals/{hx}/departments", {"code": f"MD{next(_n)}", "name": "矩阵科"}),
        ),
        ("PATCH", "/api/v1/admin/departments/<department_id:id>"): (
            HOSPITAL_X,
            lambda: (f"/admin/departments/{X['department']['id']}", {"name": X["department"]["name"]}),
        ),
        ("POST", "/api/v1/admin/departments/<department_id:id>/retire"): (HOSPITAL_X, "spare_department"),
        ("GET", "/api/v1/admin/hospitals/<hospital_id:id>/doctors"): (
            HOSPITAL_X,
            lambda: (f"/admin/hospitals/{hx}/doctors", None),
        ),
        ("POST", "/api/v1/admin/hospitals/<hospital_id:id>/doctors"): (
            HOSPITAL_X,
            lambda: (
                f"/admin/hospitals/{hx}/doctors",
                {"code": f"MR{next(_n)}", "name": "矩阵医生", "department_code": X["department"]["code"]},
            ),
        ),
        ("PATCH", "/api/v1/admin/doctors/<doctor_id:id>"): (
            HOSPITAL_X,
            lambda: (f"/admin/doctors/{w['doctor_x']}", {"title": "主任医师"}),
        ),
        ("POST", "/api/v1/admin/doctors/<doctor_id:id>/retire"): (HOSPITAL_X, "spare_doctor"),
        ("GET", "/api/v1/admin/hospitals/<hospital_id:id>/schedules"): (
            HOSPITAL_X,
            lambda: (f"/admin/hospitals/{hx}/schedules", None),
        ),
        ("POST", "/api/v1/admin/hospitals/<hospital_id:id>/schedules/import"): (
            HOSPITAL_X,
            lambda: (f"/admin/hospitals/{hx}/schedules/import", {"schedules": [{}]}),
        ),
        ("PATCH", "/api/v1/admin/schedules/<schedule_id:id>"): (
            HOSPITAL_X,
            lambda: (f"/admin/schedules/{sx}", {"capacity": X["schedule"]["capacity"]}),
        ),
        ("POST", "/api/v1/admin/schedules/<schedule_id:id>/retire"): (HOSPITAL_X, "spare_schedule"),
        ("POST", "/api/v1/admin/schedules/<schedule_id:id>/suspend"): (HOSPITAL_X, "spare_schedule_suspend"),
        ("POST", "/api/v1/admin/terminals"): (
            HOSPITAL_X,
            lambda: ("/admin/terminals", {"hospital_id": hx, "name": "矩阵机"}),
        ),
        ("POST", "/api/v1/admin/terminals/<terminal_id:id>/disable"): (
            HOSPITAL_X,
            lambda: (f"/admin/terminals/{w['spare_terminal']}/disable", None),
        ),
        ("POST", "/api/v1/admin/terminals/<terminal_id:id>/enable"): (
            HOSPITAL_X,
            lambda: (f"/admin/terminals/{w['spare_terminal']}/enable", None),
        ),
        ("POST", "/api/v1/admin/terminals/<terminal_id:id>/rotate"): (
            HOSPITAL_X,
            lambda: (f"/admin/terminals/{w['spare_terminal']}/rotate", None),
        ),
        ("POST", "/api/v1/admin/referrals"): (
            HOSPITAL_X,
            lambda: (
                "/admin/referrals",
                {
                    "card_id": w["B"].card_id,
                    "hospital_id": hx,
                    "valid_until": (clock.today() + timedelta(days=20)).isoformat(),
                    "issued_by": "王医生",
                },
            ),
        ),
        ("POST", "/api/v1/admin/referrals/<referral_id:id>/revoke"): (
            HOSPITAL_X,
            lambda: (f"/admin/referrals/{w['referral']}/revoke", None),
        ),
        # --- operators: lists and views scoped to the caller ---------------------------------------
        ("GET", "/api/v1/admin/hospitals"): (ANY_OPERATOR, lambda: ("/admin/hospitals", None)),
        ("GET", "/api/v1/admin/terminals"): (ANY_OPERATOR, lambda: ("/admin/terminals", None)),
        ("GET", "/api/v1/admin/referrals"): (ANY_OPERATOR, lambda: ("/admin/referrals", None)),
        ("GET", "/api/v1/admin/access-log"): (ANY_OPERATOR, lambda: ("/admin/access-log", None)),
        ("GET", "/api/v1/admin/audit"): (ANY_OPERATOR, lambda: ("/admin/audit", None)),
        ("GET", "/api/v1/admin/audit/actions"): (ANY_OPERATOR, lambda: ("/admin/audit/actions", None)),
        # a card belongs to the region: any hospital's counter may reset its phone
        ("PUT", "/api/v1/admin/cards/<card_id:str>/phone"): (
            ANY_OPERATOR,
            lambda: (f"/admin/cards/{w['B'].card_id}/phone", {"phone": make_phone(), "reason": "柜台核验身份证"}),
        ),
        ("GET", "/api/v1/admin/figures"): (ANY_OPERATOR, lambda: ("/admin/figures", None)),
        ("GET", "/api/v1/admin/me"): (ANY_OPERATOR, lambda: ("/admin/me", None)),
        # --- last: they change the caller's own session or card -------------------------------
        ("DELETE", "/api/v1/cards/<card_id:str>/links/<link_id:id>"): (
            A_ONLY,
            lambda: (f"/cards/{w['A'].card_id}/links/{w['G_link']}", None),
        ),
        ("POST", "/api/v1/cards/<card_id:str>/reissue"): (OWNER_A, "reissue"),
        ("DELETE", "/api/v1/holds/<hold_id:str>"): (A_ONLY, lambda: (f"/holds/{w['hold']}", None)),
        ("DELETE", "/api/v1/bookings/<booking_id:id>"): (
            A_AND_FAMILY,
            lambda: (f"/bookings/{w['booking']['id']}", None),
        ),
        ("POST", "/api/v1/auth/logout"): (ANY_RESIDENT, lambda: ("/auth/logout", None)),
        ("POST", "/api/v1/admin/logout"): (ANY_OPERATOR, lambda: ("/admin/logout", None)),
    }


# Pages and files outside the API: the same for every caller (the pages ask the API for data).
PUBLIC_PAGES = {
    "/",
    "/admin",
    "/admin/<rest:path>",
    "/assets/<__file_uri__:path>",
    "/bills",
    "/bills/<rest:path>",
    "/book",
    "/book/<rest:path>",
    "/bookings",
    "/bookings/<rest:path>",
    "/cards",
    "/cards/<rest:path>",
    "/docs",
    "/docs/assets/<__file_uri__:path>",
    "/docs/oauth2-redirect.html",
    "/docs/openapi.json",
    "/docs/page/swagger-init.js",
    "/docs/page/swagger-page.css",
    "/docs/swagger",
    "/docs/swagger-config",
    "/family",
    "/family/<rest:path>",
    "/favicon.svg",
    "/login",
    "/login/<rest:path>",
    "/messages",
    "/messages/<rest:path>",
    "/metrics",
    "/reports",
    "/reports/<rest:path>",
    "/scans",
    "/scans/<rest:path>",
    "/staff",
    "/staff/<rest:path>",
}


def routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.router.routes:
        for method in route.methods:
            if method not in ("HEAD", "OPTIONS"):
                found.add((method, "/" + route.path.lstrip("/")))
    return found


async def operator(client, *, role: str, hospital_id: int | None = None) -> tuple[int, str]:
    username = f"mxop{next(_n)}"
    _, r = await client.post(
        API + "/admin/operators",
        json={"username": username, "password": "correct horse 42", "role": role, "hospital_id": hospital_id},
        headers=ADMIN,
    )
    assert r.status == 201, r.json
    _, login = await client.post(API + "/admin/login", json={"username": username, "password": "correct horse 42"})
    assert login.status == 200, login.json
    return r.json["id"], login.json["token"]


@pytest.fixture
async def world(client, catalog, resident_with_card, login, terminal_for, payer, booked):
    today = clock.today()
    clock.set(at(today, "07:30"))
    w: dict = {}
    for name in ("X", "Y"):
        hospital = await catalog.hospital()
        schedule = await catalog.schedule(hospital=hospital, day=today, start="08:00", end="11:30", capacity=20)
        w[name] = {
            "hospital": hospital,
            "department": schedule["department"],
            "schedule": schedule,
            "terminal": await terminal_for(hospital),
        }
        r = await catalog.admin("POST", f"/admin/hospitals/{hospital['id']}/intake-secret")
        assert r.status == 201, r.json
        w[name]["his_secret"] = r.json["secret"]
    w["A"], w["B"] = await resident_with_card(), await resident_with_card("李四")
    family = await login()
    clock.advance(seconds=61)  # A's phone had its claim code a moment ago
    r = await family.add_member(name="张三", id_number=w["A"].id_number, phone=w["A"].phone, relation="parent")
    assert r.status == 201, r.json
    w["F"], w["F_link"] = family, r.json["member_id"]
    clock.advance(seconds=61)
    r = await (await login()).add_member(name="张三", id_number=w["A"].id_number, phone=w["A"].phone, relation="child")
    assert r.status == 201, r.json
    r = await w["A"].get(API + f"/cards/{w['A'].card_id}/links")
    w["G_link"] = r.json[-1]["link_id"]
    w["booking"] = await booked(w["A"], w["X"]["schedule"])
    other = await catalog.schedule(hospital=w["X"]["hospital"], day=today, start="13:00", end="16:00")
    r = await w["A"].post(API + "/holds", {"schedule_id": other["id"], "card_id": w["A"].card_id})
    assert r.status == 201, r.json
    w["hold"] = r.json["hold_id"]
    spare = await resident_with_card("王五")
    r = await spare.post(API + "/holds", {"schedule_id": w["X"]["schedule"]["id"], "card_id": spare.card_id})
    started = await payer.start(spare, r.json["hold_id"])
    w["spare_otn"] = started.json["out_trade_no"]
    w["code"] = await dynamic_code(w["A"])
    w["admission"] = {
        "id_number": w["A"].id_number,
        "name": "张三",
        "ward": "一病区",
        "bed": "3",
        "admitted_at": at(today, "06:00").isoformat(),
    }
    w["spare_hospital"] = (await catalog.hospital())["id"]
    w["spare_terminal"] = (await terminal_for(w["X"]["hospital"])).id
    r = await catalog.admin("GET", f"/admin/hospitals/{w['X']['hospital']['id']}/doctors")
    w["doctor_x"] = r.json[0]["id"]
    r = await catalog.admin(
        "POST",
        "/admin/referrals",
        {
            "card_id": w["A"].card_id,
            "hospital_id": w["X"]["hospital"]["id"],
            "valid_until": (today + timedelta(days=20)).isoformat(),
            "issued_by": "王医生",
        },
    )
    assert r.status == 201, r.json
    w["referral"] = r.json["id"]
    w["retirable_operator"], _ = await operator(client, role="platform")
    w["spare_operator"] = f"mxop{next(_n)}"
    _, r = await client.post(
        API + "/admin/operators",
        json={"username": w["spare_operator"], "password": "correct horse 42", "role": "platform"},
        headers=ADMIN,
    )
    assert r.status == 201
    _, w["aX"] = await operator(client, role="hospital_admin", hospital_id=w["X"]["hospital"]["id"])
    _, w["aY"] = await operator(client, role="hospital_admin", hospital_id=w["Y"]["hospital"]["id"])
    # the bill of A's stay at X exists, so A and the family see it and B is told it does not
    path = f"{API}/his/{w['X']['hospital']['code']}/admissions/ZYM1"
    body = jsonlib.dumps(w["admission"]).encode()
    _, r = await client.request(
        "PUT",
        path,
        content=body,
        headers={**his_headers(w["X"]["his_secret"], "PUT", path, body), "Content-Type": "application/json"},
    )
    assert r.status in (200, 201), r.json
    # and one day of it, which A and the family can open item by item
    path += f"/days/{clock.today().isoformat()}"
    body = jsonlib.dumps(
        {
            "items": [
                {
                    "item_code": "BED",
                    "name": "床位费",
                    "category": "bed",
                    "unit": "天",
                    "quantity": 1,
                    "unit_price_fen": 6000,
                    "amount_fen": 6000,
                }
            ]
        }
    ).encode()
    _, r = await client.request(
        "PUT",
        path,
        content=body,
        headers={**his_headers(w["X"]["his_secret"], "PUT", path, body), "Content-Type": "application/json"},
    )
    assert r.status == 200, r.json
    # reports of A at X: one with a PDF, one sensitive (A alone sees it, not the linked family)
    w["report_push"] = {
        "id_number": w["A"].id_number,
        "name": "张三",
        "kind": "lab",
        "title": "血常规",
        "department": "检验科",
        "doctor": "李医生",
        "reported_at": at(today, "07:00").isoformat(),
        "status": "final",
        "results": [{"code": "WBC", "name": "白细胞计数", "value": 5.1, "unit": "10*9/L", "flag": "normal"}],
    }
    for report_no, sensitive in (("RPM1", False), ("RPM2", True)):
        path = f"{API}/his/{w['X']['hospital']['code']}/reports/{report_no}"
        body = jsonlib.dumps({**w["report_push"], "sensitive": sensitive}, ensure_ascii=False).encode()
        _, r = await client.request(
            "PUT",
            path,
            content=body,
            headers={**his_headers(w["X"]["his_secret"], "PUT", path, body), "Content-Type": "application/json"},
        )
        assert r.status == 201, r.json
    path = f"{API}/his/{w['X']['hospital']['code']}/reports/RPM1/pdf"
    pdf = one_page_pdf(["matrix"])
    _, r = await client.request(
        "PUT",
        path,
        content=pdf,
        headers={**his_headers(w["X"]["his_secret"], "PUT", path, pdf), "Content-Type": "application/pdf"},
    )
    assert r.status == 204, r.text
    ids = {x["title"] + str(x["sensitive"]): x["report_id"] for x in (await w["A"].get(API + "/reports")).json}
    w["report"], w["sensitive_report"] = ids["血常规False"], ids["血常规True"]
    r = await w["A"].post(f"{API}/reports/{w['report']}/pdf-link")
    assert r.status == 200, r.json
    w["pdf_link"] = r.json["path"]
    # an unpaid outpatient charge of A's at X, which A and the family may pay and B may not see
    w["charge"] = {
        "id_number": w["A"].id_number,
        "name": "张三",
        "department": "呼吸内科",
        "doctor": "王医生",
        "ordered_at": at(today, "07:00").isoformat(),
        "items": [
            {
                "item_code": "D001",
                "name": "阿莫西林胶囊",
                "category": "drug",
                "unit": "盒",
                "quantity": 1,
                "unit_price_fen": 2500,
                "amount_fen": 2500,
            }
        ],
        "total_fen": 2500,
    }
    path = f"{API}/his/{w['X']['hospital']['code']}/charges/CM1"
    body = jsonlib.dumps(w["charge"]).encode()
    _, r = await client.request(
        "PUT",
        path,
        content=body,
        headers={**his_headers(w["X"]["his_secret"], "PUT", path, body), "Content-Type": "application/json"},
    )
    assert r.status == 201, r.json
    r = await w["A"].get(f"{API}/outpatient/charges?card_id={w['A'].card_id}")
    w["charge_id"] = r.json[0]["charge_id"]
    return w


def his_headers(secret: str, method: str, path: str, body: bytes) -> dict:
    signed = sign("", secret, method, path, body, timestamp=int(clock.now().timestamp()))
    signed.pop("X-Terminal-Id")
    return signed


def headers_of(w, actor: str, method: str, path: str, body: bytes) -> dict:
    if actor in ("A", "B", "F"):
        return {"Authorization": f"Bearer {w[actor].token}"}
    if actor in ("tX", "tY"):
        terminal: Terminal = w[actor[1]]["terminal"]
        return sign(terminal.code, terminal.secret, method, path, body, timestamp=int(clock.now().timestamp()))
    if actor in ("hX", "hY"):
        return his_headers(w[actor[1]]["his_secret"], method, path, body)
    if actor == "op":
        return dict(ADMIN)
    if actor in ("aX", "aY"):
        return {"Authorization": f"Bearer {w[actor]}"}
    return {}


async def fresh(catalog, w, kind: str):
    """A new object of hospital X for a cell that uses it up."""
    hx = w["X"]["hospital"]
    if kind == "spare_department":
        return f"/admin/departments/{(await catalog.department(hx))['id']}/retire", None
    if kind == "spare_doctor":
        dept = await catalog.department(hx)
        r = await catalog.admin("GET", f"/admin/hospitals/{hx['id']}/doctors")
        return f"/admin/doctors/{next(d['id'] for d in r.json if d['code'] == dept['doctor_code'])}/retire", None
    if kind == "spare_schedule":
        s = await catalog.schedule(
            hospital=hx,
            department=w["X"]["department"],
            day=clock.today() + timedelta(days=3),
            start=f"{8 + next(_n) % 8:02d}:00",
            end="17:00",
        )
        return f"/admin/schedules/{s['id']}/retire", None
    if kind == "spare_schedule_suspend":
        s = await catalog.schedule(
            hospital=hx,
            department=w["X"]["department"],
            day=clock.today() + timedelta(days=4),
            start=f"{8 + next(_n) % 8:02d}:00",
            end="17:00",
        )
        return f"/admin/schedules/{s['id']}/suspend", {"reason": "矩阵停诊"}
    if kind == "reissue":
        cards = (await w["A"].get(API + "/cards")).json
        return f"/cards/{cards[0]['card_id']}/reissue", None
    raise AssertionError(kind)


# Identity fields a request may carry: their values must never come back in a response.
IDENTITY_FIELDS = ("id_number", "phone", "name")


def plain_identity(w, payload) -> dict[str, str]:
    """The plain identity data a response must never hold: every world resident's ID number (and
    its birth-date digits), phone and name, and what the request itself sent in identity fields."""
    plain = {}
    for who, name in (("A", "张三"), ("B", "李四")):
        resident = w[who]
        plain.update(
            {
                f"{who} ID number": resident.id_number,
                f"{who} birth date digits": resident.id_number[6:14],
                f"{who} phone": resident.phone,
                f"{who} name": name,
            }
        )
    if isinstance(payload, dict) and ("id_number" in payload or "phone" in payload):
        plain.update({f"sent {k}": str(payload[k]) for k in IDENTITY_FIELDS if payload.get(k)})
    return plain


def leaks(response, plain: dict[str, str]) -> list[str]:
    texts = [response.text]
    try:
        texts.append(jsonlib.dumps(jsonlib.loads(response.text), ensure_ascii=False))  # escapes undone
    except ValueError:
        pass
    return sorted({what for what, value in plain.items() for text in texts if value in text})


def outcome(status: int) -> str:
    if status in (401, 403, 404):
        return str(status)
    if status >= 500 and status != 503:
        return f"{status}!"
    return "ok"


async def test_every_route_answers_every_kind_of_caller_as_the_table_says(app, client, catalog, world, monkeypatch):
    app.ctx.deps.settings = app.ctx.deps.settings.with_overrides(streams={"max_s": 0.0})  # one event, then the end
    w = world
    cases = table(w)
    api_routes = {r for r in routes(app) if r[1].startswith((API + "/", FHIR + "/"))}
    assert api_routes == set(cases), (
        f"missing from the table: {sorted(api_routes - set(cases))}; not routes: {sorted(set(cases) - api_routes)}"
    )
    pages = {r for r in routes(app) if not r[1].startswith((API + "/", FHIR + "/"))}
    assert {p for _, p in pages} <= PUBLIC_PAGES, (
        f"pages missing from the table: {sorted({p for _, p in pages} - PUBLIC_PAGES)}"
    )

    wrong, leaked, checked = [], [], 0
    for key, (expected, build) in cases.items():
        # callers expected to be refused go first, so an allowed call cannot use the object up
        for actor in sorted(ACTORS, key=lambda a: expected[a] == "ok"):
            if callable(build):
                path, payload = build()
            else:
                path, payload = await fresh(catalog, w, build)
            full = path if path.startswith(FHIR + "/") else API + path
            body = b"" if payload is None else jsonlib.dumps(payload, ensure_ascii=False).encode()
            headers = {
                **headers_of(w, actor, key[0], full, body),
                **({"Content-Type": "application/json"} if body else {}),
            }
            _, r = await client.request(key[0], full, content=body, headers=headers)
            got = outcome(r.status)
            checked += 1
            found = leaks(r, plain_identity(w, payload))
            if found:
                leaked.append(
                    f"{key[0]} {key[1]} as {actor} ({r.status}) holds plain {', '.join(found)}: {r.text[:160]}"
                )
            if got != expected[actor]:
                wrong.append(f"{key[0]} {key[1]} as {actor}: expected {expected[actor]}, got {r.status} {r.text[:160]}")
    assert not wrong, f"{len(wrong)} of {checked} cells wrong:\n" + "\n".join(wrong)
    assert not leaked, f"{len(leaked)} responses hold plain identity data:\n" + "\n".join(leaked)
    assert checked == len(cases) * len(ACTORS)
    print(f"authorization matrix: {len(cases)} API routes x {len(ACTORS)} callers = {checked} cells checked")


async def test_pages_answer_every_caller_alike(client, world):
    w = world
    for path in ("/", "/admin", "/staff", "/docs", "/docs/openapi.json", "/favicon.svg"):
        statuses = set()
        for actor in ACTORS:
            _, r = await client.get(path, headers=headers_of(w, actor, "GET", path, b""))
            statuses.add(r.status)
        assert len(statuses) == 1 and statuses.pop() in (200, 404), (path, statuses)
