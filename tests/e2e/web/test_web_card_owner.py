"""The card owner in a real browser: a card first made by a relative's family link is claimed only
with a code sent to its registered phone (the refusal names that phone, masked); the owner sees
who uses the card (谁在使用我的卡), changes the registered phone, is told in the inbox of a new
link and ends it at once; the linked account loses the card and is told; a linked account sees
no reissue button on a card that has an owner."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.web.conftest import set_clock
from tests.support import make_id_number, make_phone, wx_code


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[7:]}"


def api_login(api, user: str) -> dict:
    r = api.post("/auth/wx-login", json={"code": wx_code(user)})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def api_code(api, phone: str, purpose: str) -> str:
    r = api.post("/sms/codes", json={"phone": phone, "purpose": purpose})
    assert r.status_code == 202, r.text
    return r.json()["dev_code"]


def api_link(api, headers, *, name, id_number, phone, relation) -> dict:
    body = {
        "name": name,
        "id_number": id_number,
        "phone": phone,
        "relation": relation,
        "sms_code": api_code(api, phone, "add_family"),
    }
    r = api.post("/family", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def a_minute_later(api) -> None:
    """One SMS per number per 60 s: move the (running) service clock past it."""
    now = dt.datetime.fromisoformat(api.get("/dev/clock").json()["now"])
    set_clock(api, (now + dt.timedelta(seconds=61)).isoformat())


def browser_login(browser, base, watch, user, prefix):
    context = browser.new_context(base_url=base, viewport={"width": 375, "height": 812}, locale="zh-CN")
    w = watch(context.new_page(), prefix)
    w.page.goto("/login")
    w.page.fill("input[name=wx-user]", user)
    w.page.get_by_role("button", name="微信一键登录").click()
    w.page.wait_for_url(re.compile(r"/$"))
    return w


def fresh_code(page) -> None:
    """Ask for a code and wait until the dev code the service echoes is in the field."""
    field = page.locator("input[name=sms_code]")
    before = field.input_value()
    page.get_by_role("button", name="获取验证码").click()
    expect(field).not_to_have_value(before)
    expect(field).to_have_value(re.compile(r"^\d{6}$"))


@pytest.fixture
def restore_clock(api):
    yield
    set_clock(api, None)


def test_card_owner_sees_and_ends_links_and_changes_phone(web_server, api, launch, watch, restore_clock):
    name, id_number = "王建国", make_id_number(born=dt.date(1958, 4, 12))
    phone_a, phone_b, phone_c = make_phone(), make_phone(), make_phone()
    son = api_login(api, "webowner-son")
    # the son links his father first: the card is made with the father's phone A, nobody owns it
    made = api_link(api, son, name=name, id_number=id_number, phone=phone_a, relation="parent")
    assert made["card"]["owner"] == "none"

    browser = launch()
    w = browser_login(browser, web_server, watch, "webowner-father", "card-owner")
    page = w.page

    # the father claims his card with another phone: refused, told which phone gets the code
    page.get_by_role("link", name="实名领卡").click()
    page.fill("input[name=name]", name)
    page.fill("input[name=id_number]", id_number)
    page.fill("input[name=phone]", phone_b)
    fresh_code(page)
    page.get_by_role("button", name="领取电子健康卡").click()
    refusal = page.get_by_role("alert")
    w.wait(refusal)
    assert refusal.inner_text() == f"该证件已登记手机号 {masked(phone_a)}，请使用该手机号接收验证码"
    w.problems.clear()  # the refused claim is an expected 409
    w.shot("claim-phone-mismatch")

    # with the registered phone (a minute later: one code per number per minute) the claim succeeds
    a_minute_later(api)
    page.fill("input[name=phone]", phone_a)
    fresh_code(page)
    page.get_by_role("button", name="领取电子健康卡").click()
    page.wait_for_url(re.compile(r"/cards/[0-9a-f]{64}$"))
    card_id = page.url.rsplit("/", 1)[1]
    w.wait(page.get_by_role("link", name="谁在使用我的卡"))
    assert page.get_by_role("button", name=re.compile("补换卡号")).is_visible()
    w.shot("own-card-owner-actions")

    # who uses my card: the son, as he named his father
    page.get_by_role("link", name="谁在使用我的卡").click()
    page.wait_for_url(re.compile(r"/card-links\?card="))
    links = page.get_by_test_id("card-links")
    w.wait(links)
    assert "以“父母”身份" in links.inner_text()
    assert re.search(r"微信用户 \*{4}\S{4}", links.inner_text())
    w.shot("card-links")

    # the registered phone: the same one is refused, a new one needs the code sent to it
    page.get_by_role("link", name="更换手机号").click()
    page.wait_for_url(re.compile(rf"/cards/{card_id}/phone$"))
    w.wait(page.get_by_test_id("phone-masked"))
    assert page.get_by_test_id("phone-masked").inner_text() == masked(phone_a)
    page.fill("input[name=phone]", phone_a)
    page.fill("input[name=sms_code]", "000000")
    page.get_by_role("button", name="确认更换").click()
    w.wait(page.get_by_text("新手机号与当前登记的手机号相同，无需更换"))
    w.problems.clear()  # the expected 409 same_phone
    page.fill("input[name=phone]", phone_c)
    fresh_code(page)
    w.shot("change-phone")
    page.get_by_role("button", name="确认更换").click()
    w.wait(page.get_by_text(f"登记手机号已更换为 {masked(phone_c)}"))
    w.shot("change-phone-done")

    # the daughter links him with the new phone; he is told in the inbox
    a_minute_later(api)
    daughter = api_login(api, "webowner-daughter")
    api_link(api, daughter, name=name, id_number=id_number, phone=phone_c, relation="parent")
    page.goto("/messages")
    linked = page.locator("[data-kind=card_linked]")
    w.wait(linked)
    assert re.search(r"您的电子健康卡被 微信用户 \*{4}\S{4} 以“父母”身份关联", linked.inner_text())
    w.shot("messages-card-linked")
    linked.get_by_role("link", name=re.compile("查看谁在使用我的卡")).click()
    page.wait_for_url(re.compile(r"/card-links"))
    w.wait(page.locator("[data-link]").nth(1))
    assert page.locator("[data-link]").count() == 2

    # he ends the daughter's link (the newest) at once, after a confirmation
    assert api.get(f"/cards/{card_id}/links", headers=daughter).status_code == 404  # the owner's alone
    row = page.locator("[data-link]").nth(1)
    row.get_by_role("button", name="结束关联").click()
    dialog = page.get_by_role("dialog", name="结束关联")
    w.wait(dialog)
    w.shot("end-link-confirm")
    dialog.get_by_role("button", name="结束关联").click()
    w.wait(page.get_by_role("status"))
    assert "已结束" in page.get_by_role("status").inner_text()
    expect(page.locator("[data-link]")).to_have_count(1)
    w.shot("card-links-after-end")

    # the family area leads there too (the own card is looked up)
    page.goto("/family")
    page.get_by_role("link", name="谁在使用我的卡").click()
    page.wait_for_url(re.compile(r"/card-links$"))
    expect(page.locator("[data-link]")).to_have_count(1)

    # the daughter has lost the card and was told; the son still uses it, without a reissue button
    assert card_id not in [c["card_id"] for c in api.get("/cards", headers=daughter).json()]
    kinds = [n["kind"] for n in api.get("/notifications", headers=daughter).json()["items"]]
    assert "card_link_ended" in kinds
    d = browser_login(browser, web_server, watch, "webowner-daughter", "card-owner-daughter")
    d.page.goto("/messages")
    ended = d.page.locator("[data-kind=card_link_ended]")
    d.wait(ended)
    assert "您以“父母”身份关联的一张电子健康卡，已由持卡人本人结束关联" in ended.inner_text()
    d.shot("messages-card-link-ended")
    s = browser_login(browser, web_server, watch, "webowner-son", "card-owner-son")
    son_view = [c for c in api.get("/cards", headers=son).json() if c["card_id"] == card_id][0]
    assert son_view["owner"] == "other"
    s.page.goto(f"/cards/{card_id}")
    s.wait(s.page.locator("[data-testid=qr] svg"))
    assert s.page.get_by_role("button", name=re.compile("补换卡号")).count() == 0
    assert s.page.get_by_role("link", name="谁在使用我的卡").count() == 0
    assert s.page.get_by_text("加载中").count() == 0
    s.shot("linked-card-no-reissue")
    refused = api.post(f"/cards/{card_id}/reissue", headers=son)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "owner_only")

    # the owner reissues his card_id: the page moves to the new one
    page.goto(f"/cards/{card_id}")
    page.get_by_role("button", name=re.compile("补换卡号")).click()
    dialog = page.get_by_role("dialog", name="补换卡号")
    w.wait(dialog)
    dialog.get_by_role("button", name="补换").click()
    page.wait_for_url(re.compile(r"/cards/(?!%s)[0-9a-f]{64}$" % card_id))
    w.wait(page.locator("[data-testid=qr] svg"))
    w.shot("own-card-reissued")
