"""Sending: allowances used once, quiet hours, dedup keys, the hourly batch of reports, retries
with backoff and WeChat's refusal codes (through the stand-in), recorded and counted."""

from datetime import date, timedelta

import pytest
from tortoise.transactions import in_transaction

from backend import metrics
from backend.clock import clock
from backend.notifications import service as notifications
from backend.notifications.models import Notification
from tests.integration.conftest import at
from tests.integration.notifications.conftest import remaining

DAY = date(2026, 12, 10)
SUSPENDED = {
    "booking_id": 1,
    "hospital": "市一医院",
    "department": "内科",
    "doctor": "王医生",
    "date": "2026-12-20",
    "start": "08:00",
    "reason": "临时停诊",
    "refund_fen": 1500,
}
VISIT = {k: SUSPENDED[k] for k in ("booking_id", "hospital", "department", "doctor", "date", "start")}


def report(n: int, *, critical: bool = False) -> dict:
    return {"report_id": n, "card_id": "C1", "hospital": "市一医院", "title": f"报告{n}", "critical": critical}


async def enqueue(acc, kind, payload, **kw):
    async with in_transaction() as conn:
        return await notifications.enqueue(conn, account_id=acc.id, kind=kind, payload=payload, **kw)


def sent_to(standin, acc, since: int) -> list[dict]:
    return [m for m in standin.messages[since:] if m["touser"] == acc.openid]


async def test_an_allowance_is_used_once_then_the_inbox_only(deps, account):
    clock.freeze(at(DAY, "10:00"))
    acc = await account(schedule_suspended=1)
    before = len(deps.standin.messages)
    first = await enqueue(acc, "schedule_suspended", SUSPENDED)
    second = await enqueue(acc, "schedule_suspended", {**SUSPENDED, "booking_id": 2})
    assert await notifications.dispatch(deps) == 1
    assert (await Notification.get(id=first.id)).status == "sent"
    late = await Notification.get(id=second.id)
    assert (late.status, late.last_error) == ("inbox", "no allowance")
    assert await remaining(acc, "schedule_suspended") == 0
    [message] = sent_to(deps.standin, acc, before)
    assert message["template_id"] == "dev-schedule_suspended"
    assert message["page"] == "pages/booking/detail/index?id=1"
    assert message["data"]["thing4"]["value"] == "停诊：临时停诊"


async def test_a_message_of_a_rolled_back_change_is_never_written(deps, account):
    acc = await account(schedule_suspended=1)
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await notifications.enqueue(conn, account_id=acc.id, kind="schedule_suspended", payload=SUSPENDED)
            raise RuntimeError("the change failed")
    assert await Notification.filter(account_id=acc.id).count() == 0


async def test_the_same_dedup_key_is_written_once(deps, account):
    acc = await account()
    assert await enqueue(acc, "visit_reminder", VISIT, dedup_key="visit_reminder:1") is not None
    assert await enqueue(acc, "visit_reminder", VISIT, dedup_key="visit_reminder:1") is None
    await notifications.enqueue_many(
        None,
        [
            {"account_id": acc.id, "kind": "visit_reminder", "payload": VISIT, "dedup_key": "visit_reminder:1"},
            {"account_id": acc.id, "kind": "visit_reminder", "payload": VISIT, "dedup_key": "visit_reminder:2"},
        ],
    )
    assert sorted(await Notification.all().values_list("dedup_key", flat=True)) == [
        "visit_reminder:1",
        "visit_reminder:2",
    ]


async def test_reminders_wait_out_the_quiet_hours_suspensions_and_critical_results_do_not(deps, account):
    clock.freeze(at(DAY, "23:10"))
    acc = await account(visit_reminder=1, schedule_suspended=1, report_ready=2)
    before = len(deps.standin.messages)
    reminder = await enqueue(acc, "visit_reminder", VISIT)
    suspended = await enqueue(acc, "schedule_suspended", SUSPENDED)
    critical = await enqueue(acc, "report_ready", report(1, critical=True))
    plain = await enqueue(acc, "report_ready", report(2))
    assert await notifications.dispatch(deps) == 2
    assert {m["template_id"] for m in sent_to(deps.standin, acc, before)} == {
        "dev-schedule_suspended",
        "dev-report_ready",
    }
    for held in (reminder, plain):
        row = await Notification.get(id=held.id)
        assert row.status == "pending" and row.not_before == at(DAY + timedelta(days=1), "07:00")
    assert {(await Notification.get(id=n.id)).status for n in (suspended, critical)} == {"sent"}
    clock.freeze(at(DAY + timedelta(days=1), "06:59"))
    assert await notifications.dispatch(deps) == 0
    clock.freeze(at(DAY + timedelta(days=1), "07:00"))
    assert await notifications.dispatch(deps) == 2
    assert (await Notification.get(id=reminder.id)).status == "sent"


async def test_reports_are_batched_to_one_message_an_hour_critical_ones_go_at_once(deps, account):
    clock.freeze(at(DAY, "09:00"))
    acc = await account(report_ready=5)
    before = len(deps.standin.messages)
    for n in (1, 2, 3):
        await enqueue(acc, "report_ready", report(n))
    assert await notifications.dispatch(deps) == 1
    [message] = sent_to(deps.standin, acc, before)
    assert message["data"]["thing2"]["value"] == "3份报告已出"
    statuses = sorted(await Notification.filter(account_id=acc.id).values_list("status", flat=True))
    assert statuses == ["batched", "batched", "sent"]
    assert await remaining(acc, "report_ready") == 4  # one message, one allowance

    clock.freeze(at(DAY, "09:20"))
    fourth = await enqueue(acc, "report_ready", report(4))
    critical = await enqueue(acc, "report_ready", report(5, critical=True))
    assert await notifications.dispatch(deps) == 1  # the critical one, not held by the hour
    assert (await Notification.get(id=critical.id)).status == "sent"
    held = await Notification.get(id=fourth.id)
    assert held.status == "pending" and held.not_before == at(DAY, "10:00")
    clock.freeze(at(DAY, "10:00"))
    assert await notifications.dispatch(deps) == 1
    assert (await Notification.get(id=fourth.id)).status == "sent"
    titles = [m["data"]["thing2"]["value"] for m in sent_to(deps.standin, acc, before)]
    assert titles == ["3份报告已出", "报告5", "报告4"]


@pytest.mark.parametrize(
    "errcode, reason, allowance_after",
    [
        (43101, "user_refused", 0),  # WeChat holds no allowance: neither do we
        (45009, "quota_exceeded", 2),  # not used: given back
        (47003, "data_invalid", 2),
    ],
)
async def test_wechat_refusals_are_recorded_counted_and_not_retried(
    deps, account, wechat_refuses, errcode, reason, allowance_after
):
    clock.freeze(at(DAY, "10:00"))
    acc = await account(schedule_suspended=2)
    wechat_refuses.subscribe_refusals[acc.openid] = errcode
    counted = metrics.NOTIFICATION_REFUSALS.labels(str(errcode), reason)._value.get()
    note = await enqueue(acc, "schedule_suspended", SUSPENDED)
    assert await notifications.dispatch(deps) == 0
    row = await Notification.get(id=note.id)
    assert (row.status, row.errcode, row.attempts) == ("refused", errcode, 1)
    assert str(errcode) in row.last_error
    assert metrics.NOTIFICATION_REFUSALS.labels(str(errcode), reason)._value.get() == counted + 1
    assert await remaining(acc, "schedule_suspended") == allowance_after
    clock.advance(timedelta(hours=1))
    assert await notifications.dispatch(deps) == 0
    assert (await Notification.get(id=note.id)).attempts == 1  # never tried again
    inbox = await notifications.list_for_account(account_id=acc.id)
    assert inbox["items"][0]["status"] == "refused"  # the inbox still has it


async def test_a_wrong_template_id_is_refused_with_40037(deps, account, wechat_refuses):
    clock.freeze(at(DAY, "10:00"))
    acc = await account(card_linked=1)
    wechat_refuses.subscribe_templates = {"dev-schedule_suspended"}  # card_linked's is not registered
    note = await enqueue(
        acc, "card_linked", {"account_masked": "微信用户 ****1234", "relation": "parent", "linked_at": "2026-12-10"}
    )
    await notifications.dispatch(deps)
    row = await Notification.get(id=note.id)
    assert (row.status, row.errcode) == ("refused", 40037)
    assert await remaining(acc, "card_linked") == 1


async def test_a_failing_send_is_retried_with_backoff_then_given_up(deps, account, wechat_refuses):
    clock.freeze(at(DAY, "10:00"))
    acc = await account(schedule_suspended=1)
    wechat_refuses.subscribe_refusals[acc.openid] = -1  # "system busy": worth another try
    note = await enqueue(acc, "schedule_suspended", SUSPENDED)
    waits = []
    for _ in range(deps.settings.messages.max_attempts):
        await notifications.dispatch(deps)
        row = await Notification.get(id=note.id)
        waits.append(row.not_before - clock.now())
        assert await notifications.dispatch(deps) == 0  # not before its time
        clock.advance(row.not_before - clock.now())
    assert row.status == "failed" and row.attempts == deps.settings.messages.max_attempts
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert await remaining(acc, "schedule_suspended") == 1  # never used
    wechat_refuses.subscribe_refusals.clear()
    assert await notifications.dispatch(deps) == 0
