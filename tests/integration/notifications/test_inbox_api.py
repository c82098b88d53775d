"""The resident's side: telling what wx.requestSubscribeMessage answered (allowances), the
templates to ask for, and the inbox (newest first, paged, read/unread, the badge's count)."""

from datetime import date

from tortoise.transactions import in_transaction

from backend.clock import clock
from backend.notifications import service as notifications
from backend.notifications.models import SubscriptionAllowance
from tests.integration.conftest import at

DAY = date(2026, 12, 10)
CHARGE = {"hospital": "市一医院", "card_id": "C1", "charge_no": "CF001", "department": "内科", "total_fen": 2350}


async def test_accept_counts_one_allowance_reject_none(login):
    me = await login()
    answer = {"templates": {"booking_confirmed": "accept", "visit_reminder": "reject", "report_ready": "accept"}}
    r = await me.post("/api/v1/notifications/subscriptions", answer)
    assert r.status == 200, r.json
    assert r.json["allowances"]["booking_confirmed"] == 1
    assert r.json["allowances"]["visit_reminder"] == 0
    r = await me.post("/api/v1/notifications/subscriptions", {"templates": {"booking_confirmed": "accept"}})
    assert r.json["allowances"]["booking_confirmed"] == 2 and r.json["allowances"]["report_ready"] == 1
    rows = dict(await SubscriptionAllowance.filter(account_id=me.account_id).values_list("template_id", "remaining"))
    assert rows == {"dev-booking_confirmed": 2, "dev-report_ready": 1}
    listed = (await me.get("/api/v1/notifications/templates")).json
    assert listed["templates"]["charge_waiting"] == "dev-charge_waiting"
    assert listed["allowances"]["booking_confirmed"] == 2


async def test_bad_answers_are_refused_and_change_nothing(login):
    me = await login()
    for body, code in (
        ({"templates": {"no_such_kind": "accept"}}, "unknown_kind"),
        ({"templates": {"card_link_ended": "accept"}}, "unknown_kind"),  # inbox only: no template
        ({"templates": {"booking_confirmed": "maybe"}}, "invalid_answer"),
    ):
        r = await me.post("/api/v1/notifications/subscriptions", body)
        assert r.status == 400 and r.json["error"]["code"] == code, r.json
    for body in ({}, {"templates": []}, {"templates": {"booking_confirmed": 1}}, {"templates": {}, "x": 1}):
        assert (await me.post("/api/v1/notifications/subscriptions", body)).status == 400
    assert await SubscriptionAllowance.filter(account_id=me.account_id).count() == 0


async def test_the_inbox_is_newest_first_paged_with_read_and_unread(login):
    clock.freeze(at(DAY, "10:00"))
    me, other = await login(), await login()
    async with in_transaction() as conn:
        for n in range(25):
            await notifications.enqueue(
                conn, account_id=me.account_id, kind="charge_waiting", payload={**CHARGE, "charge_no": f"CF{n:03d}"}
            )
        await notifications.enqueue(conn, account_id=other.account_id, kind="charge_waiting", payload=CHARGE)
    first = (await me.get("/api/v1/notifications?limit=10")).json
    assert [n["payload"]["charge_no"] for n in first["items"]] == [f"CF{n:03d}" for n in range(24, 14, -1)]
    assert first["unread"] == 25 and first["next_before"] == first["items"][-1]["id"]
    item = first["items"][0]
    assert set(item) == {"id", "kind", "payload", "status", "created_at", "read", "page"}
    assert item["read"] is False and item["page"] == "pages/outpatient/charges/index"
    second = (await me.get(f"/api/v1/notifications?limit=10&before={first['next_before']}")).json
    third = (await me.get(f"/api/v1/notifications?limit=10&before={second['next_before']}")).json
    assert len(second["items"]) == 10 and len(third["items"]) == 5 and third["next_before"] is None
    assert (await me.get("/api/v1/notifications")).json["items"].__len__() == 20  # the default page

    r = await me.post("/api/v1/notifications/read", {"ids": [item["id"], first["items"][1]["id"]]})
    assert r.status == 200 and r.json == {"unread": 23}
    # someone else's message cannot be marked
    theirs = (await other.get("/api/v1/notifications")).json["items"][0]["id"]
    assert (await me.post("/api/v1/notifications/read", {"ids": [theirs]})).json == {"unread": 23}
    assert (await other.get("/api/v1/notifications/unread")).json == {"unread": 1}
    again = (await me.get("/api/v1/notifications?limit=2")).json["items"]
    assert [n["read"] for n in again] == [True, True]
    assert (await me.post("/api/v1/notifications/read", {"all": True})).json == {"unread": 0}
    assert (await me.get("/api/v1/notifications/unread")).json == {"unread": 0}
    for bad in ({}, {"ids": []}, {"ids": [0]}, {"ids": ["x"]}, {"all": "yes"}):
        assert (await me.post("/api/v1/notifications/read", bad)).status == 400, bad
    for query in ("limit=0", "limit=101", "before=x", "before=0"):
        assert (await me.get(f"/api/v1/notifications?{query}")).status == 400, query
