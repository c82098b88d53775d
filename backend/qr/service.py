"""Issuing, drawing and resolving card QR codes.

Only this service (for authenticated terminals) turns a code back into a person. A dynamic code
can be used once for a check-in or a payment: the first use claims it in Redis (SET NX with an
expiry longer than the code lives), and from then on it is refused as reused.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from datetime import timedelta

import qrcode
import qrcode.image.pure
import qrcode.image.svg

from backend.cards import service as cards
from backend.cards.models import Card, RevokedCardId
from backend.clock import clock, from_ms, iso
from backend.errors import AppError, BadRequest, Conflict, Gone, NotFound, Unauthorized, Unprocessable
from backend.identity import rules as identity_rules
from backend.identity import service as identity
from backend.qr import rules

USED_TTL_S = 300  # longer than any code is accepted (120 s)


class QrRefused(AppError):
    """A code that cannot be resolved; the kind (its second base) decides how the edge answers."""


# one QrRefused subclass per kind of refusal, so callers catch QrRefused and the edge sees the kind
_KIND = {
    kind: type(f"QrRefused{kind.__name__}", (QrRefused, kind), {})
    for kind in (BadRequest, NotFound, Gone, Unprocessable, Conflict)
}

_REFUSALS = {
    "qr_malformed": (BadRequest, "this is not an e-health card code"),
    "qr_unknown": (NotFound, "no card has this code"),
    "qr_revoked": (Gone, "this card code was replaced when the card was reissued"),
    "qr_expired": (Gone, "this code has expired; ask for the current one"),
    "qr_tampered": (Unprocessable, "this code does not verify"),
    "qr_reused": (Conflict, "this code has already been used; ask for the current one"),
    "card_inactive": (Conflict, "this card is not active"),
    "qr_static_not_allowed": (Unprocessable, "a printed (static) code identifies only; use the dynamic code"),
}


def refuse(code: str, *, card: Card | None = None) -> QrRefused:
    kind, message = _REFUSALS[code]
    refused = _KIND[kind](message, code=code)
    refused.card_pk = card.id if card is not None else None  # for the audit log, never shown
    return refused


def _keys(deps) -> list[bytes]:
    s = deps.settings
    return rules.accepted_keys(
        s.qr.keys,
        active=s.qr.active_version,
        retired_at=s.qr.retired_at,
        now=clock.now(),
        grace=timedelta(seconds=s.qr.retired_grace_s),
    )


def issue(deps, card_id: str, *, kind: str) -> dict:
    if kind == rules.STATIC:
        return {"payload": rules.static_payload(card_id), "kind": kind, "expires_at": None, "refresh_in": None}
    now_s = clock.now_ms() / 1000
    step = rules.step_at(now_s)
    key = deps.settings.qr.keys[deps.settings.qr.active_version]
    return {
        "payload": rules.dynamic_payload(card_id, key, step),
        "kind": kind,
        "expires_at": _expiry_of_step(step),
        "refresh_in": rules.refresh_in_s(step, now_s),
    }


@functools.lru_cache(maxsize=4)
def _expiry_of_step(step: int) -> str:
    """The same for every code of a minute: formatted once per minute, not per fetch."""
    return iso(from_ms(rules.expires_at_s(step) * 1000))


def image(payload: str, *, fmt: str, size: str) -> tuple[bytes, str]:
    """PNG or SVG, error correction M; 'screen' for a phone, 'print' for paper."""
    box = 8 if size == "screen" else 16
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=4)
    qr.add_data(payload)
    qr.make(fit=True)
    out = io.BytesIO()
    if fmt == "svg":
        qr.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(out)
        return out.getvalue(), "image/svg+xml"
    qr.make_image(image_factory=qrcode.image.pure.PyPNGImage).save(out)
    return out.getvalue(), "image/png"


async def card_by_card_id(card_id: str) -> Card | None:
    """The card a code names, by one prepared statement: every scan and check-in reads it, and
    building the query with the ORM's builder cost more CPU than the database took to answer."""
    from tortoise import Tortoise

    conn = Tortoise.get_connection("default")
    sql = _CARD_SQL[conn.capabilities.dialect]
    rows = await conn.execute_query_dict(sql, [card_id])
    return Card._init_from_db(**rows[0]) if rows else None


_CARD_SQL = {
    "postgres": 'SELECT * FROM "cards" WHERE "card_id" = $1',
    "sqlite": 'SELECT * FROM "cards" WHERE "card_id" = ?',
}


@dataclass
class Resolved:
    card: Card
    kind: str
    step: int | None


async def resolve(deps, payload: str, *, consume: bool, known_card: Card | None = None) -> Resolved:
    """The card a code stands for, or QrRefused with the reason. `consume` spends a dynamic code
    (check-in, payment) and refuses static ones. `known_card`: the caller already read the card
    the payload names (the scan path reads it with the day's bookings in one statement)."""
    try:
        code = rules.parse(payload)
    except rules.Malformed:
        raise refuse("qr_malformed") from None
    card = (
        known_card
        if known_card is not None and known_card.card_id == code.card_id
        else await card_by_card_id(code.card_id)
    )
    if card is None:
        revoked = await RevokedCardId.get_or_none(old_card_id=code.card_id).select_related("card")
        if revoked is not None:
            raise refuse("qr_revoked", card=revoked.card)
        raise refuse("qr_unknown")
    if code.kind == rules.STATIC:
        if consume:
            raise refuse("qr_static_not_allowed", card=card)
        if card.status != "active":
            raise refuse("card_inactive", card=card)
        return Resolved(card, code.kind, None)
    verdict = rules.verify(code.card_id, code.mac, unix_s=clock.now().timestamp(), keys=_keys(deps))
    if verdict.result == rules.EXPIRED:
        raise refuse("qr_expired", card=card)
    if verdict.result != rules.OK:
        raise refuse("qr_tampered", card=card)
    if card.status != "active":
        raise refuse("card_inactive", card=card)
    used_key = deps.keys("qr", "used", card.id, verdict.step, code.mac)
    if consume:
        if not await deps.redis.set(used_key, 1, nx=True, ex=USED_TTL_S):
            raise refuse("qr_reused", card=card)
    elif await deps.scripts.batched("qr.used", call_keys=[used_key]):  # batched with the other scans of the moment
        raise refuse("qr_reused", card=card)
    return Resolved(card, code.kind, verdict.step)


async def card_for_fetch(deps, *, token: str | None, card_id: str) -> tuple[int, str]:
    """(card pk, status) of a card the bearer's account may show, in one batched Redis call
    (qr/lua/fetch.lua); the database is read only to fill a cold cache. Refusals are those of
    the resident guard and the card look-up."""
    if token is None:
        raise Unauthorized("a valid bearer token is required", code="invalid_token")
    th = identity_rules.token_hash(token)
    filled: set[str] = set()
    while True:
        if deps.scripts.cluster:
            reply = await _fetch_in_steps(deps, th, card_id)
        else:
            reply = await deps.scripts.batched(
                "qr.fetch", common=[deps.settings.redis.prefix], args=[clock.now_ms(), th, card_id]
            )
        if reply[0] == "ok":
            return int(reply[1]), reply[2]
        if reply[0] == "err":
            if reply[1] == "token_expired":
                raise Unauthorized("the token has expired", code="invalid_token")
            raise NotFound("no such card")
        what = reply[1]
        if what in filled:
            raise NotFound("no such card")
        filled.add(what)
        if what == "token":
            if await identity.session_from_db(deps, th) is None:
                raise Unauthorized("the token is invalid, expired or logged out", code="invalid_token")
        else:
            await cards.refresh_account_cards(deps, int(reply[2]))


async def _fetch_in_steps(deps, th: str, card_id: str) -> list:
    """qr/lua/fetch.lua's reply on a Redis Cluster, where the session (tok:<hash>) and the
    account's cards ({a<id>}:cards) are in different slots: two batched calls, session first."""
    session = await identity.session_in_store(deps, th, clock.now_ms())
    if session[0] != "ok":
        return session
    owned = await cards.owned_in_store(deps, int(session[1]), card_id)
    return [*owned, session[1]] if owned[0] == "miss" else owned
