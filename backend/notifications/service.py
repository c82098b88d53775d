"""The outbox of messages to residents and its dispatcher.

Messages are written in the transaction of the change they report (a suspension, say), so none
is lost or sent for a change that rolled back. The dispatcher sends them as WeChat subscribe
messages through wechatpy (to the stand-in in dev and test) and marks them.
"""

from __future__ import annotations

import asyncio
import logging

from backend import metrics
from backend.clock import clock, iso
from backend.notifications.models import Notification
from backend.wechat import tokens

log = logging.getLogger("ehealth.notifications")
MAX_ATTEMPTS = 5
CLAIM_TTL_S = 300

# Subscribe-message templates are registered per mini-program in the WeChat console; the ids
# and field names here are the deployment's to configure.
TEMPLATES = {
    "schedule_suspended": {
        "template_id": "SUSPEND_NOTICE",
        "page": "pages/booking/detail/index",
        "fields": lambda p: {
            "thing1": {"value": f"{p['hospital']} {p['department']}"[:20]},
            "thing2": {"value": p["doctor"][:20]},
            "time3": {"value": f"{p['date']} {p['start']}"},
            "thing4": {"value": f"停诊：{p['reason']}"[:20]},
            "amount5": {"value": f"{p['refund_fen'] / 100:.2f}元"},
        },
    },
    "card_linked": {
        "template_id": "CARD_LINKED",
        "page": "pages/cards/links/index",
        "fields": lambda p: {
            "thing1": {"value": p["account_masked"][:20]},
            "phrase2": {"value": RELATION_LABELS.get(p["relation"], "家人")},
            "time3": {"value": p["linked_at"][:16].replace("T", " ")},
            "thing4": {"value": "如非本人授权，请在“谁在使用我的卡”中结束关联"[:20]},
        },
    },
}

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


async def enqueue(conn, *, account_id: int, kind: str, payload: dict) -> Notification:
    """Every message lands in the resident's inbox; kinds with a subscribe-message template are
    also sent through WeChat by `dispatch` ("pending"), the others stay in the inbox ("inbox")."""
    status = "pending" if kind in TEMPLATES else "inbox"
    return await Notification.create(
        account_id=account_id, kind=kind, payload=payload, status=status, created_at=clock.now(), using_db=conn
    )


def _send(deps, *, openid: str, kind: str, payload: dict, access_token: str | None = None) -> None:
    template = TEMPLATES[kind]
    client = deps.wechat.client(access_token=access_token)
    client.wxa.send_subscribe_message(
        openid, template["template_id"], template["fields"](payload), page=template["page"]
    )


async def dispatch(deps, *, limit: int = 100) -> int:
    sent = 0
    pending = await Notification.filter(status="pending").order_by("id").limit(limit).select_related("account")
    for note in pending:
        # A row read as pending may be in another worker's hands already (claimed, being sent):
        # the Redis claim makes one worker send it; a crashed worker's claim lapses after 5 min.
        claim = deps.keys("notification", "claim", note.id)
        if not await deps.redis.set(claim, 1, nx=True, ex=CLAIM_TTL_S):
            continue
        claimed = await Notification.filter(id=note.id, status="pending", attempts=note.attempts).update(
            attempts=note.attempts + 1
        )
        if not claimed:
            continue
        token = None
        try:
            token = await tokens.for_deps(deps).current()
            await asyncio.to_thread(
                _send, deps, openid=note.account.openid, kind=note.kind, payload=note.payload, access_token=token
            )
        except Exception as exc:  # WeChat refused or unreachable: retry a few times, then give up loudly
            if token and getattr(exc, "errcode", None) in tokens.STALE_TOKEN_ERRCODES:
                await tokens.for_deps(deps).invalidate(token)
            failed = note.attempts + 1 >= MAX_ATTEMPTS
            metrics.NOTIFICATIONS.labels("failed" if failed else "retry").inc()
            await deps.redis.delete(claim)
            await Notification.filter(id=note.id).update(
                status="failed" if failed else "pending", last_error=f"{type(exc).__name__}: {exc}"[:128]
            )
            log.warning("notification %s not sent: %s", note.id, type(exc).__name__)
            continue
        await Notification.filter(id=note.id).update(status="sent", sent_at=clock.now())
        metrics.NOTIFICATIONS.labels("sent").inc()
        sent += 1
    return sent


async def list_for_account(*, account_id: int, limit: int = 50) -> list[dict]:
    notes = await Notification.filter(account_id=account_id).order_by("-id").limit(limit)
    return [
        {"id": n.id, "kind": n.kind, "payload": n.payload, "status": n.status, "created_at": iso(n.created_at)}
        for n in notes
    ]
