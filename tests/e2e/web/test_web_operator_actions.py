"""The console's counter phone reset and the operator-actions page, in a real browser: an operator
resets a card's phone with a reason, then finds the change (masked) in 操作记录."""

from __future__ import annotations

import re
import uuid

from tests.support import make_id_number, make_phone


def claimed_card(api) -> tuple[str, str]:
    r = api.post("/auth/wx-login", json={"code": f"webop{uuid.uuid4().hex[:8]}"})
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    phone = make_phone()
    code = api.post("/sms/codes", json={"phone": phone, "purpose": "claim_card"}, headers=headers).json()["dev_code"]
    r = api.post(
        "/cards",
        json={"name": "张三", "id_number": make_id_number(), "phone": phone, "sms_code": code},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return r.json()["card_id"], phone


def test_an_operator_resets_a_phone_at_the_counter_and_finds_it_in_the_actions(web_server, api, launch, watch):
    card_id, old_phone = claimed_card(api)
    new_phone = make_phone()
    browser = launch()
    ctx = browser.new_context(base_url=web_server, viewport={"width": 1280, "height": 800}, locale="zh-CN")
    ops = watch(ctx.new_page(), "operator-actions")
    op = ops.page
    op.goto("/admin/card-phone")
    op.wait_for_url(re.compile("/admin/login"))
    op.get_by_role("button", name="访问令牌").click()
    op.fill("input[name=token]", "dev-admin-token")
    op.get_by_role("button", name="登录").click()
    op.wait_for_url(re.compile("/admin/card-phone"))
    op.fill("input[name=card_id]", card_id)
    op.fill("input[name=phone]", new_phone)
    op.fill("input[name=reason]", "核验身份证原件，原手机号已停用")
    op.get_by_role("button", name="重置手机号").click()
    op.get_by_role("dialog", name="确认重置手机号").wait_for()
    op.get_by_role("button", name="确认重置").click()
    done = op.get_by_test_id("phone-reset-done")
    done.wait_for()
    assert new_phone[:3] + "****" + new_phone[-4:] in done.inner_text()
    ops.shot("card-phone-reset")

    op.goto("/admin/actions")
    op.select_option("select[name=action]", "card.phone_reset")
    op.get_by_role("button", name="查询").click()
    table = op.get_by_test_id("operator-actions")
    table.get_by_text("核验身份证原件，原手机号已停用").wait_for()
    text = table.inner_text()
    assert "柜台重置手机号" in text and new_phone[:3] + "****" + new_phone[-4:] in text
    assert new_phone not in text and old_phone not in text
    ops.shot("operator-actions")
