"""Real-name cards: claiming (实名领卡), listing, access checks, and the Redis view of ownership
that the hold path reads without touching the database."""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.cards import rules
from backend.cards.models import Card, FamilyLink, RevokedCardId
from backend.clock import clock
from backend.errors import BadRequest, Conflict, Forbidden, NotFound
from backend.privacy.masking import mask_id_number, mask_name, mask_phone
from backend.sms.service import consume_code

log = logging.getLogger("ehealth.cards")

OWNED_SENTINEL = "_"  # marks an account's card set as loaded even when it holds no card


@dataclass(frozen=True)
class Identity:
    """A validated, normalized claim: never logged, never returned."""

    name: str
    id_number: rules.IdNumber
    phone: str


def validate_identity(*, name: str, id_number: str, phone: str) -> Identity:
    try:
        return Identity(
            name=rules.normalize_name(name),
            id_number=rules.parse_id_number(id_number, today=clock.today()),
            phone=rules.normalize_phone(phone),
        )
    except rules.InvalidIdentity as exc:
        raise BadRequest(
            f"{exc.field}: {exc}", code=f"invalid_{exc.field}", fields=[{"field": exc.field, "message": str(exc)}]
        ) from None


def validate_phone(phone: str) -> str:
    try:
        return rules.normalize_phone(phone)
    except rules.InvalidIdentity as exc:
        raise BadRequest(
            f"{exc.field}: {exc}", code=f"invalid_{exc.field}", fields=[{"field": exc.field, "message": str(exc)}]
        ) from None


def new_card_id() -> str:
    return secrets.token_hex(32)


# --- the Redis view the hold path reads --------------------------------------------------------


async def cache_card(deps, card: Card) -> None:
    await deps.redis.hset(deps.keys("card", card.card_id), mapping={"pk": card.id, "status": card.status})


async def accessible_card_ids(account_id: int) -> list[str]:
    own = await Card.filter(owner_id=account_id).values_list("card_id", flat=True)
    linked = await FamilyLink.filter(account_id=account_id, removed_at__isnull=True).values_list(
        "card__card_id", flat=True
    )
    return [*own, *linked]


def account_cards_key(deps, account_id: int) -> str:
    """The account's card set, in the account's slot ({a<id>}), with its hold rate counters."""
    return deps.keys.tagged(f"a{account_id}", "cards")


async def owned_in_store(deps, account_id: int, card_id: str) -> list:
    """Whether the account may use the card, from Redis alone, batched with the other requests
    of the moment (cards/lua/owned.lua): ['ok', pk, status] | ['err', 'card_not_found'] |
    ['miss', 'cards']. For the paths that run in steps on a Redis Cluster."""
    return await deps.scripts.batched("cards.owned", call_keys=[account_cards_key(deps, account_id)], args=[card_id])


async def refresh_account_cards(deps, account_id: int) -> None:
    """Rewrite the account's cards in Redis from the database (after any claim, link, unlink,
    reissue or status change): a hash card_id -> "pk|status" that the hold script reads."""
    own = await Card.filter(owner_id=account_id).values_list("card_id", "id", "status")
    linked = await FamilyLink.filter(account_id=account_id, removed_at__isnull=True).values_list(
        "card__card_id", "card__id", "card__status"
    )
    key = account_cards_key(deps, account_id)
    async with deps.redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        pipe.hset(key, mapping={OWNED_SENTINEL: "1", **{cid: f"{pk}|{status}" for cid, pk, status in [*own, *linked]}})
        await pipe.execute()


async def usable_card(deps, *, account_id: int, card_id: str) -> tuple[int, str] | None:
    """(master index, status) of a card the account may use (own or linked), from Redis; None
    if it may not. Kept in step with the database by refresh_account_cards."""
    if card_id == OWNED_SENTINEL:
        return None
    key = account_cards_key(deps, account_id)
    found = await deps.redis.hget(key, card_id)
    if found is None:
        if await deps.redis.exists(key):
            return None
        await refresh_account_cards(deps, account_id)
        found = await deps.redis.hget(key, card_id)
        if found is None:
            return None
    pk, _, status = found.partition("|")
    return int(pk), status


# --- views ---------------------------------------------------------------------------------------


def card_view(deps, card: Card, *, is_self: bool, relation: str) -> dict:
    return {
        "card_id": card.card_id,
        "name_masked": mask_name(deps.pii.decrypt(card.name_enc, field="name")),
        "id_masked": mask_id_number(deps.pii.decrypt(card.id_enc, field="id_number")),
        "phone_masked": mask_phone(deps.pii.decrypt(card.phone_enc, field="phone")),
        "is_self": is_self,
        "relation": relation,
        "owner": card_owner(card, is_self=is_self),
        "status": card.status,
    }


def card_owner(card: Card, *, is_self: bool) -> str:
    """Who holds the card: "self" (the caller), "other" (another account) or "none" (a card made
    by a family link that nobody has claimed, a child's, say)."""
    if is_self:
        return "self"
    return "none" if card.owner_id is None else "other"


def may_manage(card: Card, *, is_self: bool) -> bool:
    """The owner manages the card; a card without an owner, any account linked to it."""
    return is_self or card.owner_id is None


# --- use cases -----------------------------------------------------------------------------------


def phone_matches(deps, card: Card, phone: str) -> bool:
    return hmac.compare_digest(card.phone_hash, deps.pii.index(phone, field="phone"))


def refuse_other_phone(deps, card: Card, identity: Identity) -> None:
    """The registered phone proves the person: a name and an ID number are printed on every
    prescription, so an existing card is reached only with the code sent to its own phone."""
    if not phone_matches(deps, card, identity.phone):
        raise Conflict(
            "this card is registered with another phone: the SMS code must be sent to that phone",
            code="phone_mismatch",
            phone_masked=mask_phone(deps.pii.decrypt(card.phone_enc, field="phone")),
        )


async def find_or_create_card(deps, identity: Identity, *, owner_id: int | None) -> tuple[Card, bool]:
    """The master-index look-up: the ID number decides which card a person has.

    Returns (card, created). A known ID must come with the same name and its registered phone
    (whose SMS code the caller has already consumed); the phone is never overwritten here.
    `owner_id` claims an unowned card as that account's own; the caller has checked the
    ownership rules.
    """
    id_hash = deps.pii.index(identity.id_number.value, field="id_number")
    name_hash = deps.pii.index(identity.name, field="name")
    card = await Card.get_or_none(id_hash=id_hash)
    if card is None:
        now = clock.now()
        try:
            card = await Card.create(
                card_id=new_card_id(),
                id_hash=id_hash,
                id_enc=deps.pii.encrypt(identity.id_number.value, field="id_number"),
                name_hash=name_hash,
                name_enc=deps.pii.encrypt(identity.name, field="name"),
                phone_hash=deps.pii.index(identity.phone, field="phone"),
                phone_enc=deps.pii.encrypt(identity.phone, field="phone"),
                pii_ref=deps.pii.ref,
                owner_id=owner_id,
                created_at=now,
                card_id_issued_at=now,
            )
            await cache_card(deps, card)
            return card, True
        except IntegrityError:  # the same person claimed at the same moment elsewhere
            card = await Card.get(id_hash=id_hash)
    if card.name_hash != name_hash:
        raise Conflict("the name does not match the one registered for this ID number", code="identity_mismatch")
    refuse_other_phone(deps, card, identity)
    if owner_id is not None and card.owner_id is None:
        # conditional, so two claims at once cannot both become the owner
        if await Card.filter(id=card.id, owner_id__isnull=True).update(owner_id=owner_id):
            card.owner_id = owner_id
        else:
            await card.refresh_from_db(fields=["owner_id"])
    if deps.pii.needs_rewrap(card.id_enc) or deps.pii.needs_rewrap(card.name_enc):
        card.id_enc = deps.pii.encrypt(identity.id_number.value, field="id_number")
        card.name_enc = deps.pii.encrypt(identity.name, field="name")
        card.pii_ref = deps.pii.ref
        await card.save(update_fields=["id_enc", "name_enc", "pii_ref"])
    return card, False


async def claim_card(
    *, deps, account_id: int, name: str, id_number: str, phone: str, sms_code: str
) -> tuple[dict, bool]:
    """Claim the caller's own card. Returns (card view, newly claimed by this account).

    An existing card (made by a family link, or this account's own) is reached only with the
    code sent to its registered phone: the code is checked first, so a caller learns the masked
    registered phone only after proving possession of some phone."""

    identity = validate_identity(name=name, id_number=id_number, phone=phone)
    id_hash = deps.pii.index(identity.id_number.value, field="id_number")
    existing = await Card.get_or_none(id_hash=id_hash)
    own = await Card.get_or_none(owner_id=account_id)
    if existing is not None and existing.owner_id not in (None, account_id):
        raise Conflict(
            "this ID number is already claimed as another account's own card; it can be linked as a family member",
            code="already_claimed",
        )
    if own is not None and (existing is None or existing.id != own.id):
        raise Conflict(
            "this account already has its own card; add other people as family members", code="self_card_exists"
        )

    await consume_code(deps=deps, phone=identity.phone, purpose="claim_card", code=sms_code)
    already_mine = existing is not None and existing.owner_id == account_id
    try:
        card, _ = await find_or_create_card(deps, identity, owner_id=account_id)
    except IntegrityError:  # the account's own-card slot was taken by a concurrent claim
        raise Conflict("this account already has its own card", code="self_card_exists") from None
    if card.owner_id != account_id:
        raise Conflict("this ID number is already claimed as another account's own card", code="already_claimed")
    await refresh_account_cards(deps, account_id)
    log.info("card claimed account=%s card=%s new=%s", account_id, card.id, not already_mine)
    return card_view(deps, card, is_self=True, relation="self"), not already_mine


async def list_cards(*, deps, account_id: int) -> list[dict]:
    views = []
    own = await Card.get_or_none(owner_id=account_id)
    if own is not None:
        views.append(card_view(deps, own, is_self=True, relation="self"))
    links = (
        await FamilyLink.filter(account_id=account_id, removed_at__isnull=True)
        .order_by("linked_at", "id")
        .select_related("card")
    )
    views += [card_view(deps, link.card, is_self=False, relation=link.relation) for link in links]
    return views


async def card_for_account(*, account_id: int, card_id: str) -> tuple[Card, bool, str]:
    """The card if the account may use it (own or linked), else 404 - never a hint it exists."""
    if not rules.is_card_id(card_id):
        raise NotFound("no such card")
    card = await Card.get_or_none(card_id=card_id)
    if card is not None:
        if card.owner_id == account_id:
            return card, True, "self"
        link = await FamilyLink.get_or_none(account_id=account_id, card_id=card.id, removed_at__isnull=True)
        if link is not None:
            return card, False, link.relation
    raise NotFound("no such card")


async def may_use_card(*, account_id: int, card_pk: int) -> bool:
    """From the database: the account owns the card or holds a live link to it."""
    if await Card.exists(id=card_pk, owner_id=account_id):
        return True
    return await FamilyLink.exists(account_id=account_id, card_id=card_pk, removed_at__isnull=True)


async def get_card(*, deps, account_id: int, card_id: str) -> dict:
    card, is_self, relation = await card_for_account(account_id=account_id, card_id=card_id)
    return card_view(deps, card, is_self=is_self, relation=relation)


async def reissue_card(*, deps, account_id: int, card_id: str) -> dict:
    """A new card_id for the same person (a printed code was lost): the old card_id's static
    code is revoked; bookings and history stay with the card (they refer to its master index)."""
    card, is_self, relation = await card_for_account(account_id=account_id, card_id=card_id)
    if not may_manage(card, is_self=is_self):
        raise Forbidden("only the card's owner can reissue it", code="owner_only")
    old = card.card_id
    now = clock.now()
    async with in_transaction() as conn:
        await RevokedCardId.create(old_card_id=old, card_id=card.id, revoked_at=now, using_db=conn)
        card.card_id = new_card_id()
        card.card_id_issued_at = now
        await card.save(update_fields=["card_id", "card_id_issued_at"], using_db=conn)
    await deps.redis.delete(deps.keys("card", old))
    await cache_card(deps, card)
    users = set(await FamilyLink.filter(card_id=card.id, removed_at__isnull=True).values_list("account_id", flat=True))
    if card.owner_id:
        users.add(card.owner_id)
    for user in users:
        await refresh_account_cards(deps, user)
    log.info("card %s reissued", card.id)
    return card_view(deps, card, is_self=is_self, relation=relation)


def write_phone(deps, card: Card, phone: str) -> list[str]:
    """Set a new registered phone on the record; returns the fields to save. The record keeps
    one key version: its other fields are re-encrypted if they were sealed with an older one."""
    card.phone_hash = deps.pii.index(phone, field="phone")
    card.phone_enc = deps.pii.encrypt(phone, field="phone")
    changed = ["phone_hash", "phone_enc", "pii_ref"]
    if deps.pii.needs_rewrap(card.id_enc) or deps.pii.needs_rewrap(card.name_enc):
        card.id_enc = deps.pii.encrypt(deps.pii.decrypt(card.id_enc, field="id_number"), field="id_number")
        card.name_enc = deps.pii.encrypt(deps.pii.decrypt(card.name_enc, field="name"), field="name")
        changed += ["id_enc", "name_enc"]
    card.pii_ref = deps.pii.ref
    return changed


async def change_phone(*, deps, account_id: int, card_id: str, phone: str, sms_code: str) -> dict:
    """The owner moves the card to a new phone, proven by the code sent to that phone."""
    card, is_self, relation = await card_for_account(account_id=account_id, card_id=card_id)
    if not is_self:
        raise Forbidden("only the card's owner can change its phone", code="owner_only")
    phone = validate_phone(phone)
    if phone_matches(deps, card, phone):
        raise Conflict("this is already the card's registered phone", code="same_phone")
    await consume_code(deps=deps, phone=phone, purpose="change_phone", code=sms_code)
    await card.save(update_fields=write_phone(deps, card, phone))
    log.info("card %s phone changed by its owner", card.id)
    return card_view(deps, card, is_self=True, relation=relation)


# --- operators: the phone reset at a hospital counter ------------------------------------------


async def reset_phone_by_operator(
    deps, *, card_id: str, phone: str, reason: str, hospital_id: int | None = None
) -> dict:
    """A new registered phone set by an operator who has seen the holder's ID document at a
    counter: for a resident who lost their owner account, or a card without an owner (a child's).
    Audited with the old and new phone masked, the reason and the counter's hospital."""
    from backend.actions import service as actions

    try:
        new_phone = rules.normalize_phone(phone)
    except rules.InvalidIdentity as exc:
        raise BadRequest(
            f"phone: {exc}", code="invalid_phone", fields=[{"field": "phone", "message": str(exc)}]
        ) from None
    found = await Card.get_or_none(card_id=card_id) if rules.is_card_id(card_id) else None
    if found is None:
        raise NotFound("no such card", code="card_not_found")
    async with in_transaction() as conn:
        card = await Card.select_for_update().using_db(conn).get(id=found.id)
        old_phone = deps.pii.decrypt(card.phone_enc, field="phone")
        await card.save(using_db=conn, update_fields=write_phone(deps, card, new_phone))
        await actions.record(
            "card.phone_reset",
            target=("card", card.card_id),
            hospital_id=hospital_id,
            reason=reason,
            using_db=conn,
            change={
                "phone": [actions.masked_phone(old_phone), actions.masked_phone(new_phone)],
                "had_owner": card.owner_id is not None,
            },
        )
    log.info("card %s phone reset by an operator", card.id)
    view = card_view(deps, card, is_self=False, relation="")
    view.pop("is_self", None)
    view.pop("relation", None)
    return view
