"""The inbox in a real browser: three accounts link a resident's card, so three messages wait
unread; the messages tab in the nav carries the unread count, the inbox marks the unread ones,
opening one reads it (the badge follows), "全部已读" reads the rest and the badge goes, and a
message leads to the page it is about."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from tests.e2e.web.test_web_card_owner import (  # noqa: F401 (restore_clock: a fixture)
    a_minute_later,
    api_code,
    api_link,
    api_login,
    browser_login,
    restore_clock,
)
from tests.support import make_id_number, make_phone


def test_inbox_badge_read_and_open(web_server, api, launch, watch, restore_clock):
    name, id_number, phone = "李秀英", make_id_number(born=dt.date(1950, 3, 8)), make_phone()
    owner = api_login(api, "webinbox-owner")
    r = api.post(
        "/cards",
        headers=owner,
        json={"name": name, "id_number": id_number, "phone": phone, "sms_code": api_code(api, phone, "claim_card")},
    )
    assert r.status_code == 201, r.text
    for relative in ("son", "daughter", "grandson"):
        a_minute_later(api)  # one code per number per minute
        api_link(
            api, api_login(api, f"webinbox-{relative}"), name=name, id_number=id_number, phone=phone, relation="parent"
        )
    inbox = api.get("/notifications", headers=owner).json()
    assert inbox["unread"] == 3 and [n["kind"] for n in inbox["items"]] == ["card_linked"] * 3

    w = browser_login(launch(), web_server, watch, "webinbox-owner", "messages")
    page = w.page
    badge = page.get_by_test_id("unread-badge")
    w.wait(badge)
    assert badge.inner_text() == "3"
    w.shot("nav-unread-badge")

    page.locator("nav.tabbar a[href='/messages']").click()
    page.wait_for_url(re.compile(r"/messages$"))
    messages = page.locator("[data-kind=card_linked]")
    expect(messages).to_have_count(3)
    expect(page.locator(".message.unread")).to_have_count(3)
    assert "3 条未读" in page.inner_text("main")
    w.shot("inbox-unread")

    messages.nth(0).click()  # reading one
    expect(page.locator(".message.unread")).to_have_count(2)
    expect(badge).to_have_text("2")
    w.shot("inbox-one-read")

    page.get_by_test_id("read-all").click()
    expect(page.locator(".message.unread")).to_have_count(0)
    expect(badge).to_have_count(0)
    assert api.get("/notifications/unread", headers=owner).json() == {"unread": 0}
    w.shot("inbox-all-read")

    messages.nth(1).get_by_role("link", name=re.compile("查看谁在使用我的卡")).click()
    page.wait_for_url(re.compile(r"/card-links"))
    expect(page.locator("[data-link]")).to_have_count(3)
    w.shot("message-opens-card-links")
