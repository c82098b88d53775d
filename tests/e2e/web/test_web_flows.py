"""The acceptance flows in a real browser: a resident claims a card, adds a member, books and pays
at release time; an operator suspends another session and the resident sees the refund; the staff
console scans the resident's QR through the camera, checks in and calls next, and both the
resident's page and the waiting-room display show it."""

from __future__ import annotations

import datetime as dt
import io
import re

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.web.conftest import ARTIFACTS, set_clock
from tests.support import make_id_number, make_phone

SH = dt.timezone(dt.timedelta(hours=8))
ADMIN = {"Authorization": "Bearer dev-admin-token"}


def write_y4m(png: bytes, path, *, size=(640, 480), frames=10) -> None:
    """A few frames of YUV4MPEG2 (4:2:0) showing the QR on white: Chromium's fake camera loops it."""
    qr = Image.open(io.BytesIO(png)).convert("RGB")
    side = int(min(size) * 0.8)
    canvas = Image.new("RGB", size, "white")
    canvas.paste(qr.resize((side, side), Image.NEAREST), ((size[0] - side) // 2, (size[1] - side) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (size[0] // 2, size[1] // 2)
    frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(frame)


@pytest.fixture(scope="module")
def sessions(api):
    """Two sessions on day D (8 days ahead), released tomorrow at 13:00: one in each of two
    departments of the first demo hospital, with their own doctors."""
    today = dt.date.fromisoformat(api.get("/dev/clock").json()["now"][:10])
    day = today + dt.timedelta(days=8)
    hospital = api.get("/hospitals").json()[0]
    departments = api.get(f"/hospitals/{hospital['id']}/departments").json()[:2]
    made = []
    for n, dept in enumerate(departments):
        code = f"WEB{n}"
        r = api.post(
            f"/admin/hospitals/{hospital['id']}/doctors",
            headers=ADMIN,
            json={"code": code, "name": ["王晓东", "陈静"][n], "title": "主任医师", "department_code": dept["code"]},
        )
        assert r.status_code == 201, r.text
        r = api.post(
            f"/admin/hospitals/{hospital['id']}/schedules/import",
            headers=ADMIN,
            json={
                "schedules": [
                    {
                        "external_id": f"web-{n}",
                        "department_code": dept["code"],
                        "doctor_code": code,
                        "date": day.isoformat(),
                        "start": "08:00",
                        "end": "08:30",
                        "capacity": 5,
                        "fee_fen": 2500 + n * 500,
                    },
                ]
            },
        )
        assert r.status_code == 201, r.text
        listed = [
            s
            for s in api.get(f"/departments/{dept['id']}/schedules", params={"date": day.isoformat()}).json()
            if s["doctor"]["name"] == ["王晓东", "陈静"][n]
        ]
        made.append({"hospital": hospital, "department": dept, "schedule": listed[0]})
    release = dt.datetime.fromisoformat(made[0]["schedule"]["release_at"])
    assert release.astimezone(SH).date() == today + dt.timedelta(days=1)
    return {"day": day, "release": release, "a": made[0], "b": made[1]}


def book(w, s, day):
    page = w.page
    page.goto(f"/book?hospital={s['hospital']['id']}&department={s['department']['id']}&date={day}")
    row = page.locator(f"[data-schedule='{s['schedule']['id']}']")
    button = row.get_by_role("button", name="预约")
    return row, button


def pay_current_hold(w):
    page = w.page
    page.wait_for_url(re.compile(r"/book/pay/"))
    page.get_by_test_id("hold-countdown").wait_for()
    assert re.fullmatch(r"\d\d:\d\d", page.get_by_test_id("hold-countdown").inner_text())
    w.shot("pay-hold-countdown")
    page.get_by_role("button", name=re.compile("微信支付")).click()
    page.get_by_role("dialog", name="微信支付").wait_for()
    w.shot("pay-wechat-standin")
    page.get_by_role("button", name="确认支付").click()
    page.wait_for_url(re.compile(r"/bookings/\d+$"))


def test_resident_staff_operator(web_server, api, launch, watch, sessions, tmp_path):
    day, a, b = sessions["day"], sessions["a"], sessions["b"]
    try:
        browser = launch()
        resident_ctx = browser.new_context(base_url=web_server, viewport={"width": 390, "height": 844}, locale="zh-CN")
        w = watch(resident_ctx.new_page(), "resident")
        page = w.page

        # log in through the WeChat stand-in, claim the card
        page.goto("/")
        page.wait_for_url(re.compile("/login"))
        w.shot("login")
        page.fill("input[name=wx-user]", "webresident")
        page.get_by_role("button", name="微信一键登录").click()
        page.get_by_text("还没有电子健康卡").wait_for()
        w.shot("home-no-card")
        page.get_by_role("link", name="实名领卡").click()
        phone = make_phone()
        page.fill("input[name=name]", "张三丰")
        page.fill("input[name=id_number]", make_id_number(born=dt.date(1985, 3, 9)))
        page.fill("input[name=phone]", phone)
        page.get_by_role("button", name="获取验证码").click()
        page.get_by_text("已自动填入").wait_for()
        w.shot("claim-card")
        page.get_by_role("button", name="领取电子健康卡").click()
        page.wait_for_url(re.compile(r"/cards/[0-9a-f]{64}$"))
        page.locator("[data-testid=qr] svg").wait_for()
        assert page.get_by_text("张*丰").is_visible()
        w.shot("card-dynamic-qr")

        # a family member
        page.goto("/family")
        page.get_by_role("button", name="添加家人").click()
        page.select_option("select[name=relation]", "child")
        page.fill("input[name=name]", "张小宝")
        page.fill("input[name=id_number]", make_id_number(born=dt.date(2018, 6, 1)))
        page.fill("input[name=phone]", make_phone())
        page.get_by_role("button", name="获取验证码").click()
        page.get_by_text("已自动填入").wait_for()
        page.get_by_role("button", name="确认添加").click()
        page.get_by_text("已添加家人").wait_for()
        assert page.get_by_text("张*宝").is_visible()
        w.shot("family")
        page.goto("/")
        page.get_by_text("张*宝").wait_for()
        w.shot("home-cards")

        # at release time: the session opens by itself on the page, the resident holds and pays
        set_clock(api, (sessions["release"] - dt.timedelta(seconds=8)).isoformat())  # the clock runs on
        row, button = book(w, a, day)
        row.get_by_text("后放号").wait_for()
        assert button.is_disabled()
        w.shot("book-before-release")
        expect(button).to_be_enabled(timeout=20000)
        row.get_by_text("可预约").wait_for()
        w.shot("book-released")
        button.click()
        pay_current_hold(w)
        page.get_by_test_id("queue").wait_for()
        assert page.get_by_test_id("queue-status").inner_text() == "未签到"
        booking_a = int(page.url.rsplit("/", 1)[1])
        w.shot("booking-confirmed-queue")

        # a second booking, in the other department, which the operator will suspend
        row, button = book(w, b, day)
        expect(button).to_be_enabled(timeout=10000)
        button.click()
        pay_current_hold(w)
        booking_b = int(page.url.rsplit("/", 1)[1])
        page.goto("/bookings")
        page.locator(f"[data-booking='{booking_b}']").wait_for()
        w.shot("bookings")

        # the operator suspends session B (停诊) with a confirmation
        admin_ctx = browser.new_context(base_url=web_server, viewport={"width": 1280, "height": 800}, locale="zh-CN")
        ops = watch(admin_ctx.new_page(), "operator")
        op = ops.page
        op.goto("/admin/schedules")
        op.wait_for_url(re.compile("/admin/login"))
        op.get_by_role("button", name="访问令牌").click()
        op.fill("input[name=token]", "dev-admin-token")
        ops.shot("admin-login")
        op.get_by_role("button", name="登录").click()
        op.wait_for_url(re.compile("/admin/schedules"))
        op.select_option("select[name=department]", str(b["department"]["id"]))
        op.select_option("select[name=date]", day.isoformat())
        target = op.locator(f"tr[data-schedule='{b['schedule']['id']}']")
        target.get_by_role("button", name="停诊").click()
        op.get_by_role("dialog", name="确认停诊").wait_for()
        ops.shot("admin-suspend-confirm")
        op.get_by_role("button", name="确认停诊").click()
        assert "取消 1 个预约" in op.get_by_test_id("suspend-note").inner_text()
        target.get_by_text("已停诊").wait_for()
        ops.shot("admin-schedules-suspended")

        # the resident sees the refund and the notice
        page.goto(f"/bookings/{booking_b}")
        refund = page.get_by_test_id("refund")
        refund.wait_for()
        assert "¥30.00" in refund.inner_text()
        assert page.get_by_text("已停诊").first.is_visible()
        w.shot("booking-suspended-refund")
        page.goto("/messages")
        page.get_by_text("停诊通知").wait_for()
        assert "¥30.00" in page.get_by_text("原路退回").inner_text()
        w.shot("messages")

        # the operator registers a terminal; its secret is shown once
        op.goto("/admin/terminals")
        op.fill("input[name=terminal_name]", "门诊一楼 1号机")
        op.get_by_role("button", name="登记终端").click()
        terminal_code = op.get_by_test_id("terminal-code").inner_text().strip()
        terminal_secret = op.get_by_test_id("terminal-secret").inner_text().strip()
        ops.shot("admin-terminal-secret")
        op.get_by_role("button", name="我已记下").click()
        ops.shot("admin-terminals")

        # the visit day: the resident shows the dynamic code; the camera films it
        set_clock(api, dt.datetime.combine(day, dt.time(7, 50), SH).isoformat())
        # a week has passed on the service clock: the session token expired, the resident logs in again
        page.evaluate("localStorage.removeItem('ehealth.resident')")
        page.goto("/login")
        page.fill("input[name=wx-user]", "webresident")
        page.get_by_role("button", name="微信一键登录").click()
        page.locator(".health-card").first.click()
        qr = page.locator("[data-testid=qr] svg")
        qr.wait_for()
        w.shot("card-visit-day-qr")
        video = tmp_path / "qr.y4m"
        write_y4m(page.locator("[data-testid=qr]").screenshot(), video)
        (ARTIFACTS / "resident-qr.y4m").write_bytes(video.read_bytes()) if ARTIFACTS.exists() else None

        camera = launch(
            [
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ]
        )
        staff_ctx = camera.new_context(
            base_url=web_server, viewport={"width": 1280, "height": 800}, locale="zh-CN", permissions=["camera"]
        )
        sw = watch(staff_ctx.new_page(), "staff")
        st = sw.page
        st.goto("/staff")
        st.fill("input[name=terminal_code]", terminal_code)
        st.fill("input[name=terminal_secret]", terminal_secret)
        st.fill("input[name=terminal_name]", "门诊一楼 1号机")
        sw.shot("staff-setup")
        st.get_by_role("button", name="保存").click()
        st.get_by_role("button", name="摄像头扫码").click()
        patient = st.get_by_test_id("patient")
        patient.wait_for(timeout=20000)
        assert "张*丰" in patient.inner_text() and "420102" not in patient.inner_text().replace("4201**", "")
        sw.shot("staff-scanned")

        # the waiting-room display, live over server-sent events
        display_page = staff_ctx.new_page()
        dw = watch(display_page, "display")
        display_page.goto(f"/staff/display/{a['schedule']['id']}")
        display_page.get_by_test_id("display-number").wait_for()
        assert display_page.get_by_test_id("display-number").inner_text() == "—"
        dw.shot("display-waiting")

        patient.get_by_role("button", name="签到").click()
        assert "签到成功" in st.get_by_test_id("checkin-note").inner_text()
        st.get_by_role("button", name="叫下一位").click()
        st.get_by_test_id("staff-called").filter(has_text="1").wait_for()
        sw.shot("staff-called")
        display_page.get_by_test_id("display-number").filter(has_text="1").wait_for(timeout=10000)
        assert "实时" in display_page.inner_text("footer")
        dw.shot("display-called")

        # the resident's page shows the call
        page.goto(f"/bookings/{booking_a}")
        page.get_by_test_id("queue-status").filter(has_text="正在叫您").wait_for(timeout=10000)
        assert page.get_by_test_id("called-number").inner_text() == "1"
        w.shot("booking-called")
        page.goto("/scans")
        page.get_by_text("签到").first.wait_for()
        w.shot("scan-history")
        for watched in (w, ops, sw, dw):
            watched.assert_clean()
    finally:
        set_clock(api, None)


def test_spa_fallback_and_offline_docs(web_server, launch, watch):
    for path in ("/", "/staff", "/admin/schedules", "/bookings/12"):
        response = httpx.get(web_server + path)
        assert response.status_code == 200 and '<div id="app">' in response.text, path
    assert httpx.get(web_server + "/api/v1/nope").json()["error"]["code"]  # the API keeps its JSON 404
    assert httpx.get(web_server + "/docs/openapi.json").status_code == 200
    browser = launch()
    context = browser.new_context(base_url=web_server)
    foreign: list[str] = []
    context.route(
        re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: (foreign.append(route.request.url), route.abort())
    )
    w = watch(context.new_page(), "docs")
    w.page.goto("/docs")
    w.page.get_by_text("E-health card and appointment service").first.wait_for(timeout=20000)
    w.page.locator(".opblock").first.wait_for()
    w.shot("docs")
    assert not foreign, foreign
    assert httpx.get(web_server + "/no/such/page").status_code == 404  # outside the app's prefixes
    w.page.goto("/staff/no-such-page")
    w.page.locator(".card.empty", has_text="页面不存在").wait_for()
    w.shot("not-found")


def test_display_polls_when_the_stream_is_refused(web_server, api, launch, watch):
    schedule = api.get("/departments/1/schedules").json()[0]
    context = launch().new_context(base_url=web_server, viewport={"width": 1280, "height": 800})
    # a proxy that does not pass event streams: 204 tells EventSource to stop for good
    context.route(re.compile(r"/queue/stream$"), lambda route: route.fulfill(status=204))
    w = watch(context.new_page(), "display-poll")
    w.page.goto(f"/staff/display/{schedule['id']}")
    w.page.locator("footer", has_text="轮询").wait_for(timeout=10000)
    board = api.get(f"/schedules/{schedule['id']}/queue").json()
    assert board["schedule_id"] == schedule["id"] and board["called_number"] is None and board["waiting"] == 0
    assert w.page.get_by_test_id("display-number").inner_text() == "—"
    w.shot("display-polling")
