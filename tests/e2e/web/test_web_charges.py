"""Browser test of outpatient charges (门诊缴费): charges pushed by the hospital show by hospital and
visit, a pay group is selected together, the insurance charge cannot be selected, the selection
is paid through the stand-in, the hospital's guidance and a partial refund show on the paid tab;
the console lists the hospital's paid charges and the figures count them. Screenshots at 375 and
1280 px."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from tests.e2e.web.test_web_operators_and_bills import ADMIN, _his, operator_page
from tests.support import make_id_number, make_phone


def _item(code, name, category, unit, quantity, price):
    return {
        "item_code": code,
        "name": name,
        "category": category,
        "unit": unit,
        "quantity": quantity,
        "unit_price_fen": price,
        "amount_fen": quantity * price,
    }


def test_charges_selected_paid_acknowledged_and_refunded(web_server, api, launch, watch):
    hospital = api.get("/hospitals").json()[0]
    secret = api.post(f"/admin/hospitals/{hospital['id']}/intake-secret", headers=ADMIN).json()["secret"]
    id_number = make_id_number(born=dt.date(1972, 3, 4))
    today = api.get("/dev/clock").json()["now"][:10]
    tag = secrets.token_hex(3).upper()
    visit = f"MZW{tag}"

    def push(no, items, **extra):
        body = {
            "id_number": id_number,
            "name": "赵敏",
            "department": "消化内科",
            "doctor": "陈医生",
            "ordered_at": f"{today}T09:30:00+08:00",
            "items": items,
            "total_fen": sum(i["amount_fen"] for i in items),
            "visit_no": visit,
            **extra,
        }
        return _his(api, "PUT", f"/his/{hospital['code']}/charges/{no}", body, secret)

    push(
        f"RX{tag}",
        [
            _item("YP1", "奥美拉唑肠溶胶囊", "drug", "盒", 2, 2350),
            _item("YP2", "铝碳酸镁咀嚼片", "drug", "盒", 1, 1880),
        ],
    )
    push(f"LB{tag}", [_item("JY1", "幽门螺杆菌呼气试验", "lab", "次", 1, 8000)], pay_group=f"G{tag}")
    push(f"LC{tag}", [_item("CL1", "一次性采样袋", "material", "个", 1, 200)], pay_group=f"G{tag}")
    push(f"YB{tag}", [_item("JC1", "胃镜检查", "exam", "次", 1, 38000)], insurance=True)

    w = watch(
        launch().new_context(base_url=web_server, viewport={"width": 390, "height": 844}, locale="zh-CN").new_page(),
        "charges",
    )
    page = w.page
    page.goto("/login")
    page.fill("input[name=wx-user]", f"charges{tag.lower()}")
    page.get_by_role("button", name="微信一键登录").click()
    page.get_by_role("link", name="实名领卡").click()
    page.fill("input[name=name]", "赵敏")
    page.fill("input[name=id_number]", id_number)
    page.fill("input[name=phone]", make_phone())
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_text("已自动填入").wait_for()
    page.get_by_role("button", name="领取电子健康卡").click()
    page.wait_for_url(re.compile(r"/cards/[0-9a-f]{64}$"))
    page.goto("/")
    page.get_by_role("link", name="门诊缴费").click()
    w.wait(page.locator(f"[data-charge=RX{tag}]"))
    assert page.get_by_text("医保缴费单，请到医院窗口结算").is_visible()
    assert page.get_by_label(f"选择 YB{tag}").is_disabled()
    w.shot("unpaid")

    page.get_by_label(f"选择 LB{tag}").check()
    assert page.get_by_label(f"选择 LC{tag}").is_checked()  # its pay group comes with it
    page.get_by_label(f"选择 RX{tag}").check()
    assert page.get_by_test_id("charges-total").inner_text() == "¥147.80"  # 65.80 + 80.00 + 2.00
    w.shot("selected")
    page.get_by_test_id("pay-charges").click()
    page.get_by_role("button", name=re.compile("确认支付")).click()
    result = page.get_by_test_id("charge-result")
    w.wait(result)
    assert "缴费成功" in result.inner_text() and "已缴费，等待医院确认" in result.inner_text()
    w.shot("paid-waiting")

    ack = _his(
        api,
        "POST",
        f"/his/{hospital['code']}/charges/ack",
        {"charges": [{"charge_no": f"RX{tag}", "receipt_no": f"R{tag}", "guide": "请到门诊一楼西药房3号窗口取药"}]},
        secret,
    )
    assert ack["acknowledged"] == [f"RX{tag}"]
    _his(
        api,
        "POST",
        f"/his/{hospital['code']}/charges/RX{tag}/refund",
        {"amount_fen": 1880, "reason": "铝碳酸镁咀嚼片未取药", "refund_no": f"T{tag}"},
        secret,
    )
    page.get_by_role("button", name="查看缴费记录").click()
    w.wait(page.get_by_text("请到门诊一楼西药房3号窗口取药"))
    paid = page.locator(f"[data-charge=RX{tag}]").inner_text()
    assert f"收据号 R{tag}" in paid and "医院退费 ¥18.80" in paid and "原因：铝碳酸镁咀嚼片未取药" in paid
    assert "已缴费，等待医院确认" in page.locator(f"[data-charge=LB{tag}]").inner_text()
    w.shot("paid-guidance-refund")

    admin = operator_page(launch(), web_server, watch, "charges-admin")
    admin.page.get_by_role("link", name="门诊缴费").click()
    admin.page.select_option("select[name=hospital]", str(hospital["id"]))
    w_admin = admin
    w_admin.wait(admin.page.get_by_text(f"LB{tag}"))
    assert int(admin.page.get_by_test_id("charges-waiting").inner_text()) >= 2
    w_admin.shot("console-charges")
    admin.page.get_by_role("link", name="运营数据").click()
    w_admin.wait(admin.page.get_by_test_id("charges-paid"))
    w_admin.shot("console-figures")
