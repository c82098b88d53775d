"""The outbox of messages to residents, its dispatcher, the allowances and the inbox.

Messages are written in the transaction of the change they report (a suspension, say), so none
is lost or sent for a change that rolled back. Every message is an inbox entry. The dispatcher
sends the pending ones as WeChat subscribe messages through wechatpy (to the stand-in in dev and
test) when the resident allowed that template (one allowance per message, as WeChat counts
them); without an allowance the message stays in the inbox only.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta, timezone

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from backend import metrics
from backend.clock import SHANGHAI, clock, iso
from backend.errors import BadRequest
from backend.notifications import kinds as catalogue
from backend.notifications.kinds import INBOX_ONLY, KINDS, is_urgent
from backend.notifications.models import Notification, SubscriptionAllowance
from backend.wechat import tokens

log = logging.getLogger("ehealth.notifications")
CLAIM_TTL_S = 300
INBOX_PAGE = 20
INBOX_PAGE_MAX = 100
# WeChat's answers that no retry will change: recorded on the message (status refused, errcode),
# counted in ehealth_notification_refusals, never retried.
REFUSALS = {
    43101: "user_refused",  # no (more) allowance for this template: the resident did not accept
    40037: "template_invalid",  # the template id is wrong (or not this mini-program's)
    47003: "data_invalid",  # a field does not match the template (name or format)
    41030: "page_invalid",
    40003: "openid_invalid",
    45009: "quota_exceeded",  # the app's daily quota of this API is used up
}
# refusals after which WeChat still holds the resident's allowance: given back
ALLOWANCE_KEPT = {40037, 47003, 41030, 45009}
SUBSCRIBE_ANSWERS = ("accept", "reject", "ban", "filter")


def templates(settings) -> dict[str, catalogue.Template]:
    return catalogue.templates(settings)


# --- writing --------------------------------------------------------------------------------


def _initial_status(kind: str) -> str:
    return "pending" if kind in KINDS else "inbox"


async def enqueue(
    conn,
    *,
    account_id: int,
    kind: str,
    payload: dict,
    dedup_key: str | None = None,
    not_before: datetime | None = None,
) -> Notification | None:
    """Write a message in the caller's transaction (`conn`). Kinds with a subscribe-message
    template are also sent through WeChat by `dispatch` ("pending"), the others stay in the
    inbox ("inbox"). With `dedup_key`, a second message of the same key is not written (None)."""
    if kind not in KINDS and kind not in INBOX_ONLY:
        raise ValueError(f"unknown message kind {kind!r}")
    now = clock.now()
    row = dict(
        account_id=account_id,
        kind=kind,
        payload=payload,
        status=_initial_status(kind),
        created_at=now,
        not_before=(not_before or now).astimezone(timezone.utc),
        dedup_key=dedup_key,
    )
    if dedup_key is None:
        return await Notification.create(**row, using_db=conn)
    if await Notification.filter(dedup_key=dedup_key).using_db(conn).exists():
        return None
    try:
        async with in_transaction() as inner:  # a savepoint: a concurrent twin must not abort the caller
            return await Notification.create(**row, using_db=inner)
    except IntegrityError:
        return None


async def enqueue_many(conn, rows: list[dict]) -> None:
    """Write many messages in one statement (the reminder jobs); rows whose dedup_key exists
    already are skipped by the database (the unique key), not read first."""
    now = clock.now()
    await Notification.bulk_create(
        [
            Notification(
                account_id=r["account_id"],
                kind=r["kind"],
                payload=r["payload"],
                status=_initial_status(r["kind"]),
                created_at=now,
                not_before=(r.get("not_before") or now).astimezone(timezone.utc),
                dedup_key=r.get("dedup_key"),
            )
            for r in rows
        ],
        ignore_conflicts=True,
        using_db=conn,
    )


# --- allowances -----------------------------------------------------------------------------


async def record_subscriptions(*, settings, account_id: int, answers: dict[str, str]) -> dict:
    """What wx.requestSubscribeMessage answered, by kind: one allowance more per accepted
    template (kinds sharing a template count once, as WeChat counts per template)."""
    table = templates(settings)
    unknown = sorted(k for k in answers if k not in table)
    if unknown:
        raise BadRequest(f"no subscribe-message template for {', '.join(unknown[:5])}", code="unknown_kind")
    bad = sorted(k for k, v in answers.items() if v not in SUBSCRIBE_ANSWERS)
    if bad:
        raise BadRequest(f"answers must be one of {', '.join(SUBSCRIBE_ANSWERS)}", code="invalid_answer")
    accepted = sorted({table[k].template_id for k, v in answers.items() if v == "accept"})
    now = clock.now()
    for template_id in accepted:
        async with in_transaction() as conn:
            grown = (
                await SubscriptionAllowance.filter(account_id=account_id, template_id=template_id)
                .using_db(conn)
                .update(remaining=F("remaining") + 1, updated_at=now)
            )
            if not grown:
                try:
                    async with in_transaction() as inner:
                        await SubscriptionAllowance.create(
                            account_id=account_id, template_id=template_id, remaining=1, updated_at=now, using_db=inner
                        )
                except IntegrityError:  # created meanwhile by a concurrent answer
                    await (
                        SubscriptionAllowance.filter(account_id=account_id, template_id=template_id)
                        .using_db(conn)
                        .update(remaining=F("remaining") + 1, updated_at=now)
                    )
    return await allowances(settings=settings, account_id=account_id)


async def allowances(*, settings, account_id: int) -> dict:
    table = templates(settings)
    rows = dict(await SubscriptionAllowance.filter(account_id=account_id).values_list("template_id", "remaining"))
    return {"allowances": {kind: rows.get(t.template_id, 0) for kind, t in table.items()}}


async def _use_allowance(account_id: int, template_id: str) -> bool:
    return bool(
        await SubscriptionAllowance.filter(account_id=account_id, template_id=template_id, remaining__gt=0).update(
            remaining=F("remaining") - 1, updated_at=clock.now()
        )
    )


async def _give_back_allowance(account_id: int, template_id: str) -> None:
    await SubscriptionAllowance.filter(account_id=account_id, template_id=template_id).update(
        remaining=F("remaining") + 1
    )


# --- timing rules (pure) --------------------------------------------------------------------


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, quiet_hours: str) -> datetime | None:
    """The end of the quiet hours `now` falls in (Asia/Shanghai), or None outside them."""
    if not quiet_hours:
        return None
    start, end = (_hhmm(t) for t in quiet_hours.split("-"))
    local = now.astimezone(SHANGHAI)
    at = local.time()
    inside = (start <= at or at < end) if start > end else (start <= at < end)
    if not inside:
        return None
    end_day = local.date() if at < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=SHANGHAI)


def retry_delay(attempts: int, *, base_s: int) -> timedelta:
    return timedelta(seconds=base_s * 2 ** max(0, attempts - 1))


# --- sending --------------------------------------------------------------------------------


def _send(deps, *, openid: str, template: catalogue.Template, payload: dict, access_token: str | None) -> None:
    client = deps.wechat.client(access_token=access_token)
    client.wxa.send_subscribe_message(
        openid, template.template_id, template.data(payload), page=KINDS[template.kind].page(payload)
    )


async def _defer(note: Notification, until: datetime, claim: str, deps) -> None:
    # stored in UTC: SQLite compares the text of the times
    await Notification.filter(id=note.id).update(not_before=until.astimezone(timezone.utc))
    await deps.redis.delete(claim)
    metrics.NOTIFICATIONS.labels("deferred").inc()


async def _batch_partners(note: Notification, now: datetime) -> list[Notification]:
    """Other due, non-critical messages of the same batched kind for the account: sent as one."""
    rows = await Notification.filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now),
        account_id=note.account_id,
        kind=note.kind,
        status="pending",
        id__not=note.id,
    ).limit(200)
    return [r for r in rows if not is_urgent(r.kind, r.payload)]


async def dispatch(deps, *, limit: int | None = None) -> int:
    """Send the due pending messages; returns how many went out through WeChat."""
    config = deps.settings.messages
    table = templates(deps.settings)
    now = clock.now()
    sent = 0
    folded: set[int] = set()  # sent as part of another message's batch in this round
    pending = (
        await Notification.filter(Q(not_before__isnull=True) | Q(not_before__lte=now), status="pending")
        .order_by("not_before", "id")
        .limit(limit or config.dispatch_batch)
        .select_related("account")
    )
    for note in pending:
        if note.id in folded:
            continue
        # A row read as pending may be in another worker's hands already (claimed, being sent):
        # the Redis claim makes one worker send it; a crashed worker's claim lapses after 5 min.
        claim = deps.keys("notification", "claim", note.id)
        if not await deps.redis.set(claim, 1, nx=True, ex=CLAIM_TTL_S):
            continue
        kind = KINDS[note.kind]
        urgent = is_urgent(note.kind, note.payload)
        if kind.quiet and not urgent and (until := quiet_until(now, config.quiet_hours)):
            await _defer(note, until, claim, deps)
            continue
        partners: list[Notification] = []
        payload = note.payload
        if kind.batched and not urgent and config.report_batch_s:
            window = timedelta(seconds=config.report_batch_s)
            last = (
                await Notification.filter(
                    account_id=note.account_id, kind=note.kind, status="sent", sent_at__gt=now - window
                )
                .order_by("-sent_at")
                .first()
            )
            if last is not None and not is_urgent(last.kind, last.payload):
                await _defer(note, last.sent_at + window, claim, deps)
                continue
            partners = await _batch_partners(note, now)
            if partners:
                payload = {**note.payload, "batch_count": 1 + len(partners)}
        claimed = await Notification.filter(id=note.id, status="pending", attempts=note.attempts).update(
            attempts=note.attempts + 1
        )
        if not claimed:
            continue
        template = table[note.kind]
        if not await _use_allowance(note.account_id, template.template_id):
            # the resident did not allow this template (or used it up): the inbox has it
            ids = [note.id] + [p.id for p in partners]
            await Notification.filter(id__in=ids, status="pending").update(status="inbox", last_error="no allowance")
            await deps.redis.delete(claim)
            metrics.NOTIFICATIONS.labels("no_allowance").inc()
            continue
        token = None
        try:
            token = await tokens.for_deps(deps).current()
            await asyncio.to_thread(
                _send, deps, openid=note.account.openid, template=template, payload=payload, access_token=token
            )
        except Exception as exc:  # WeChat refused or unreachable
            await deps.redis.delete(claim)
            errcode = getattr(exc, "errcode", None)
            if errcode != 43101:
                await _give_back_allowance(note.account_id, template.template_id)
            else:  # WeChat holds no allowance for it: neither do we
                await SubscriptionAllowance.filter(account_id=note.account_id, template_id=template.template_id).update(
                    remaining=0
                )
            error = f"{type(exc).__name__}: {exc}"[:128]
            if errcode in REFUSALS:
                metrics.NOTIFICATION_REFUSALS.labels(str(errcode), REFUSALS[errcode]).inc()
                metrics.NOTIFICATIONS.labels("refused").inc()
                await Notification.filter(id=note.id).update(status="refused", errcode=errcode, last_error=error)
                log.warning("notification %s refused by WeChat: %s %s", note.id, errcode, REFUSALS[errcode])
                continue
            if token and errcode in tokens.STALE_TOKEN_ERRCODES:
                await tokens.for_deps(deps).invalidate(token)
            failed = note.attempts + 1 >= config.max_attempts
            metrics.NOTIFICATIONS.labels("failed" if failed else "retry").inc()
            await Notification.filter(id=note.id).update(
                status="failed" if failed else "pending",
                last_error=error,
                errcode=errcode,
                not_before=now + retry_delay(note.attempts + 1, base_s=config.retry_base_s),
            )
            log.warning("notification %s not sent: %s", note.id, type(exc).__name__)
            continue
        await Notification.filter(id=note.id).update(status="sent", sent_at=now)
        if partners:
            folded.update(p.id for p in partners)
            await Notification.filter(id__in=[p.id for p in partners], status="pending").update(
                status="batched", sent_at=now
            )
            metrics.NOTIFICATIONS.labels("batched").inc(len(partners))
        metrics.NOTIFICATIONS.labels("sent").inc()
        sent += 1
    return sent


# --- the inbox ------------------------------------------------------------------------------


def _page_of(note: Notification) -> str | None:
    if note.kind in KINDS:
        try:
            return KINDS[note.kind].page(note.payload)
        except (KeyError, TypeError, ValueError):
            return None
    return "pages/cards/list/index" if note.kind == "card_link_ended" else None


def inbox_view(note: Notification) -> dict:
    return {
        "id": note.id,
        "kind": note.kind,
        "payload": note.payload,
        "status": note.status,
        "created_at": iso(note.created_at),
        "read": note.read_at is not None,
        "page": _page_of(note),
    }


async def unread_count(*, account_id: int) -> int:
    return await Notification.filter(account_id=account_id, read_at__isnull=True).count()


async def list_for_account(*, account_id: int, before: int | None = None, limit: int = INBOX_PAGE) -> dict:
    """Newest first, `limit` a page; `next_before` continues after the last one (None: the end)."""
    limit = max(1, min(limit, INBOX_PAGE_MAX))
    query = Notification.filter(account_id=account_id)
    if before is not None:
        query = query.filter(id__lt=before)
    notes = await query.order_by("-id").limit(limit + 1)
    more = len(notes) > limit
    notes = notes[:limit]
    return {
        "items": [inbox_view(n) for n in notes],
        "next_before": notes[-1].id if more else None,
        "unread": await unread_count(account_id=account_id),
    }


async def mark_read(*, account_id: int, ids: list[int] | None = None, everything: bool = False) -> dict:
    query = Notification.filter(account_id=account_id, read_at__isnull=True)
    if not everything:
        query = query.filter(id__in=ids or [])
    await query.update(read_at=clock.now())
    return {"unread": await unread_count(account_id=account_id)}
