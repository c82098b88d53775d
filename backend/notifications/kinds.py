"""The kinds of messages residents get, and how each becomes a WeChat subscribe message.

A kind offers named values computed from its payload (`values`); the deployment's template for
the kind (registered in the WeChat console, its id in WECHAT_TEMPLATE_<KIND>) shows some of them
in its fields, mapped by `fields` (overridable with WECHAT_TEMPLATE_<KIND>_FIELDS when the
registered template numbers its fields otherwise). WeChat limits: thing <= 20 characters,
phrase <= 5, character_string <= 32, amount and time formatted as below.

`quiet`: held back during quiet hours (22:00-07:00 Asia/Shanghai) - reminders, not the news a
resident must act on now (a suspended session, a critical result). `batched`: at most one
message per account and batch window (report_ready, unless critical).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

RELATION_LABELS = {
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "sibling": "兄弟姐妹",
    "grandparent": "祖父母",
    "grandchild": "孙子女",
    "relative": "亲属",
    "other": "其他",
}
PURPOSE_LABELS = {"booking": "挂号费", "deposit": "住院预缴金", "outpatient": "门诊缴费"}


def _thing(text) -> str:
    return str(text or "-")[:20]


def _amount(fen) -> str:
    return f"{int(fen or 0) / 100:.2f}元"


def _time(text) -> str:
    # "2026-12-20T08:30:00+08:00" or "2026-12-20 08:30" -> "2026-12-20 08:30"
    return str(text or "")[:16].replace("T", " ")


def _visit_time(p: dict) -> str:
    return f"{p.get('date', '')} {p.get('start', '')}".strip()


@dataclass(frozen=True)
class Kind:
    name: str
    values: Callable[[dict], dict[str, str]]
    fields: dict[str, str]  # value name -> template field (the defaults)
    page: Callable[[dict], str]  # the mini-program page the message opens
    quiet: bool = False
    batched: bool = False


def _booking_page(p: dict) -> str:
    return f"pages/booking/detail/index?id={p.get('booking_id', '')}"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "booking_confirmed",
            lambda p: {
                "hospital": _thing(f"{p.get('hospital', '')} {p.get('department', '')}"),
                "doctor": _thing(p.get("doctor")),
                "visit_time": _visit_time(p),
                "number": str(p.get("visit_number", ""))[:32],
                "note": "请按时就诊，凭电子健康卡签到",
            },
            {"hospital": "thing1", "doctor": "thing2", "visit_time": "time3", "number": "character_string4"},
            _booking_page,
        ),
        Kind(
            "visit_reminder",
            lambda p: {
                "hospital": _thing(f"{p.get('hospital', '')} {p.get('department', '')}"),
                "doctor": _thing(p.get("doctor")),
                "visit_time": _visit_time(p),
                "number": str(p.get("visit_number", ""))[:32],
                "note": "明天就诊，请携带电子健康卡",
            },
            {"hospital": "thing1", "doctor": "thing2", "visit_time": "time3", "note": "thing4"},
            _booking_page,
            quiet=True,
        ),
        Kind(
            "queue_reminder",
            lambda p: {
                "department": _thing(f"{p.get('hospital', '')} {p.get('department', '')}"),
                "number": str(p.get("visit_number", ""))[:32],
                "ahead": str(p.get("ahead", "")),
                "note": _thing(f"前面还有{p.get('ahead', '')}位，请到诊区候诊"),
            },
            {"department": "thing1", "number": "character_string2", "ahead": "number3", "note": "thing4"},
            _booking_page,
            quiet=True,
        ),
        Kind(
            "queue_called",
            lambda p: {
                "department": _thing(f"{p.get('hospital', '')} {p.get('department', '')}"),
                "number": str(p.get("visit_number", ""))[:32],
                "note": "已叫到您的号，请到诊室就诊",
            },
            {"department": "thing1", "number": "character_string2", "note": "thing3"},
            _booking_page,
        ),
        Kind(
            "schedule_suspended",
            lambda p: {
                "place": _thing(f"{p.get('hospital', '')} {p.get('department', '')}"),
                "doctor": _thing(p.get("doctor")),
                "visit_time": _visit_time(p),
                "reason": _thing(f"停诊：{p.get('reason', '')}"),
                "refund": _amount(p.get("refund_fen")),
            },
            {"place": "thing1", "doctor": "thing2", "visit_time": "time3", "reason": "thing4", "refund": "amount5"},
            _booking_page,
        ),
        Kind(
            "refund_done",
            lambda p: {
                "item": _thing(PURPOSE_LABELS.get(p.get("purpose"), "缴费")),
                "amount": _amount(p.get("amount_fen")),
                "time": _time(p.get("refunded_at")),
                "note": "已原路退回，请留意微信支付通知",
            },
            {"item": "thing1", "amount": "amount2", "time": "time3", "note": "thing4"},
            lambda p: _booking_page(p) if p.get("booking_id") else "pages/me/messages/index",
        ),
        Kind(
            "card_linked",
            lambda p: {
                "account": _thing(p.get("account_masked")),
                "relation": RELATION_LABELS.get(p.get("relation"), "家人"),
                "time": _time(p.get("linked_at")),
                "note": _thing("如非本人授权，请在“谁在使用我的卡”中结束关联"),
            },
            {"account": "thing1", "relation": "phrase2", "time": "time3", "note": "thing4"},
            lambda p: (
                f"pages/cards/links/index?card_id={p['card_id']}" if p.get("card_id") else "pages/cards/links/index"
            ),
        ),
        Kind(
            "deposit_credited",
            lambda p: {
                "hospital": _thing(p.get("hospital")),
                "amount": _amount(p.get("amount_fen")),
                "time": _time(p.get("paid_at")),
                "note": _thing(f"住院号 {p.get('admission_no', '')}"),
            },
            {"hospital": "thing1", "amount": "amount2", "time": "time3", "note": "thing4"},
            lambda p: "pages/inpatient/admissions/index",
        ),
        Kind(
            "balance_low",
            lambda p: {
                "hospital": _thing(p.get("hospital")),
                "balance": _amount(p.get("balance_fen")),
                "note": "预缴金余额不足，请及时充值",
            },
            {"hospital": "thing1", "balance": "amount2", "note": "thing3"},
            lambda p: "pages/inpatient/admissions/index",
            quiet=True,
        ),
        Kind(
            "charge_waiting",
            lambda p: {
                "hospital": _thing(p.get("hospital")),
                "department": _thing(p.get("department")),
                "amount": _amount(p.get("total_fen")),
                "note": "有待缴费用，请在小程序内缴费",
            },
            {"hospital": "thing1", "department": "thing2", "amount": "amount3", "note": "thing4"},
            lambda p: "pages/outpatient/charges/index",
            quiet=True,
        ),
        Kind(
            "charge_paid",
            lambda p: {
                "hospital": _thing(p.get("hospital")),
                "amount": _amount(p.get("amount_fen")),
                "count": str(p.get("charge_count", 1)),
                "note": "缴费成功，请按指引取药或检查",
            },
            {"hospital": "thing1", "amount": "amount2", "count": "number3", "note": "thing4"},
            lambda p: "pages/outpatient/charges/index",
        ),
        Kind(
            "report_ready",
            lambda p: {
                "hospital": _thing(p.get("hospital")),
                "title": _thing(
                    p.get("title") if int(p.get("batch_count", 1)) <= 1 else f"{p['batch_count']}份报告已出"
                ),
                "note": "有危急值，请尽快就医" if p.get("critical") else "报告已出，点击查看",
            },
            {"hospital": "thing1", "title": "thing2", "note": "thing3"},
            lambda p: (
                f"pages/reports/detail/index?report_id={p['report_id']}"
                if p.get("report_id")
                else "pages/me/messages/index"
            ),
            quiet=True,
            batched=True,
        ),
    )
}
# kinds shown in the inbox only (no subscribe-message template)
INBOX_ONLY = {"card_link_ended"}


def is_urgent(kind: str, payload: dict) -> bool:
    """Sent at once, in quiet hours too, and never batched: a critical result."""
    return kind == "report_ready" and bool(payload.get("critical"))


@dataclass(frozen=True)
class Template:
    kind: str
    template_id: str
    fields: dict[str, str]

    def data(self, payload: dict) -> dict:
        values = KINDS[self.kind].values(payload)
        return {key: {"value": values.get(value, "")} for value, key in self.fields.items()}


class TemplateError(ValueError):
    pass


def templates(settings) -> dict[str, Template]:
    """The deployment's templates by kind (settings.messages.templates). A field mapping given
    for a kind replaces its default whole (the registered template may have fewer fields); one
    that names a value the kind does not offer is refused."""
    out = {}
    for name, kind in KINDS.items():
        overrides = settings.messages.templates.field_overrides(name)
        offered = set(kind.values({}))
        unknown = set(overrides) - offered
        if unknown:
            raise TemplateError(
                f"WECHAT_TEMPLATE_{name.upper()}_FIELDS names {sorted(unknown)}; {name} offers {sorted(offered)}"
            )
        fields = overrides or kind.fields
        out[name] = Template(name, settings.messages.templates.template_id(name), fields)
    return out
