"""The release waiting room in a real browser: a resident who holds at the release without an
admitted ticket is taken to the waiting page (position, estimated wait), which moves on to the
session list once the ticket is admitted; the operator console sets the room's rate and shows
it live. Screenshots at 375 and 1280 px in artifacts/web/."""

import datetime as dt
import re

from playwright.sync_api import expect

from tests.e2e.web.conftest import set_clock
from tests.support import make_id_number, make_phone, wx_code

ADMIN = {"Authorization": "Bearer dev-admin-token"}
SH = dt.timezone(dt.timedelta(hours=8))


def resident(api, user: str) -> dict:
    """A logged-in resident with a claimed card, through the API."""
    r = api.post("/auth/wx-login", json={"code": wx_code(user)})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    phone = make_phone()
    code = api.post("/sms/codes", json={"phone": phone, "purpose": "claim_card"}).json()["dev_code"]
    r = api.post(
        "/cards",
        headers=headers,
        json={"name": "李四", "id_number": make_id_number(), "phone": phone, "sms_code": code},
    )
    assert r.status_code in (200, 201), r.text
    return {"token": token, "headers": headers, "card_id": r.json()["card_id"]}


def test_waiting_page_and_console(web_server, api, launch, watch):
    now = dt.datetime.fromisoformat(api.get("/dev/clock").json()["now"])
    hospital = api.get("/hospitals").json()[-1]
    dept = api.get(f"/hospitals/{hospital['id']}/departments").json()[0]
    day = now.astimezone(SH).date() + dt.timedelta(days=9)
    r = api.post(
        f"/admin/hospitals/{hospital['id']}/doctors",
        headers=ADMIN,
        json={"code": "ROOM1", "name": "赵医生", "title": "主任医师", "department_code": dept["code"]},
    )
    assert r.status_code == 201, r.text
    r = api.post(
        f"/admin/hospitals/{hospital['id']}/schedules/import",
        headers=ADMIN,
        json={
            "schedules": [
                {
                    "external_id": "room-1",
                    "department_code": dept["code"],
                    "doctor_code": "ROOM1",
                    "date": day.isoformat(),
                    "start": "09:00",
                    "end": "09:30",
                    "capacity": 10,
                    "fee_fen": 2000,
                }
            ]
        },
    )
    assert r.status_code == 201, r.text
    schedule_id = r.json()["schedule_ids"][0]
    release = dt.datetime.fromisoformat(api.get(f"/schedules/{schedule_id}").json()["release_at"])
    # the room on, one admission every 2 s (10 tickets take 20 s)
    r = api.put(
        f"/admin/hospitals/{hospital['id']}/release-room", headers=ADMIN, json={"enabled": True, "rate_per_s": 1}
    )
    assert r.status_code == 200, r.text
    try:
        set_clock(api, (release - dt.timedelta(seconds=90)).isoformat())
        me = resident(api, "roomweb")
        others = [resident(api, f"roomother{i}") for i in range(5)]
        r = api.post(f"/releases/{hospital['id']}/tickets", headers=me["headers"])
        assert r.status_code == 201, (r.status_code, r.text, api.get("/dev/clock").json(), release)
        browser = launch()
        ctx = browser.new_context(base_url=web_server, viewport={"width": 375, "height": 812}, locale="zh-CN")
        w = watch(ctx.new_page(), "release-room")
        page = w.page
        page.goto("/login")
        page.evaluate("(t) => localStorage.setItem('ehealth.resident', JSON.stringify({ token: t }))", me["token"])

        # before the release: in the pre-queue, the place is drawn at the release
        page.goto(f"/book/waiting/{hospital['id']}")
        w.wait(page.get_by_text("放号时随机排序"))  # the ticket taken above: the same one
        w.shot("pre-queue")
        for other in others:
            assert api.post(f"/releases/{hospital['id']}/tickets", headers=other["headers"]).status_code == 201

        # released: a hold without an admitted ticket leads to the waiting page
        set_clock(api, (release + dt.timedelta(milliseconds=200)).isoformat())
        page.goto(f"/book?hospital={hospital['id']}&department={dept['id']}&date={day}")
        row = page.locator(f"[data-schedule='{schedule_id}']")
        button = row.get_by_role("button", name="预约")
        expect(button).to_be_enabled(timeout=20000)
        button.click()
        page.wait_for_url(re.compile(rf"/book/waiting/{hospital['id']}\?next="))
        w.problems[:] = [p for p in w.problems if "403" not in p]  # the refused hold is the point
        w.wait(page.get_by_text("前面还有"))
        position = int(re.search(r"第 (\d+) 位", page.inner_text("[data-test=waiting]")).group(1))
        assert 1 <= position <= 6
        w.shot("waiting-position")

        # the operator console: the room live, and its rate raised
        admin = browser.new_context(base_url=web_server, viewport={"width": 1280, "height": 900}, locale="zh-CN")
        a = watch(admin.new_page(), "release-room-console")
        a.page.goto("/admin/login")
        a.page.evaluate(
            "() => localStorage.setItem('ehealth.operator', "
            "JSON.stringify({ token: 'dev-admin-token', username: 'dev' }))"
        )
        a.page.goto("/admin/release-room")
        a.page.select_option("select[name=hospital]", str(hospital["id"]))
        a.wait(a.page.get_by_text("放行中"))
        expect(a.page.locator("[data-test=room-tickets]")).to_contain_text("6")
        a.shot("console-live")
        a.page.fill("[data-test=room-rate]", "50")
        a.page.click("[data-test=room-save]")
        a.wait(a.page.get_by_text("已保存"))

        # the turn comes: the waiting page moves on to the session list by itself
        set_clock(api, (release + dt.timedelta(seconds=90)).isoformat())
        page.wait_for_url(re.compile(r"/book\?hospital="), timeout=30000)
        expect(button).to_be_enabled(timeout=20000)
        w.shot("admitted-back-to-sessions")
        button.click()
        page.wait_for_url(re.compile(r"/book/pay/"))
        w.shot("held-after-admission")
    finally:
        api.put(f"/admin/hospitals/{hospital['id']}/release-room", headers=ADMIN, json={"enabled": False})
        set_clock(api, None)
