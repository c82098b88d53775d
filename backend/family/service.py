"""Family members (家人用卡管理): link up to 10 members' cards, unlink from day 45."""

from __future__ import annotations

import logging

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.cards import links
from backend.cards import service as cards
from backend.cards.rules import RELATIONS
from backend.clock import clock, iso
from backend.errors import BadRequest, Conflict, NotFound
from backend.family import rules
from backend.family.models import FamilyLink
from backend.identity.models import Account
from backend.notifications import service as notifications
from backend.sms.service import consume_code

log = logging.getLogger("ehealth.family")


def member_view(deps, link: FamilyLink) -> dict:
    lock_days = deps.settings.family.removal_lock_days
    return {
        "member_id": link.id,
        "card": cards.card_view(deps, link.card, is_self=False, relation=link.relation),
        "relation": link.relation,
        "linked_at": iso(link.linked_at),
        "removable_at": iso(rules.removable_at(link.linked_at, lock_days=lock_days)),
    }


async def list_members(*, deps, account_id: int) -> list[dict]:
    links = (
        await FamilyLink.filter(account_id=account_id, removed_at__isnull=True)
        .order_by("linked_at", "id")
        .select_related("card")
    )
    return [member_view(deps, link) for link in links]


async def _active_count(account_id: int, connection=None) -> int:
    query = FamilyLink.filter(account_id=account_id, removed_at__isnull=True)
    if connection is not None:
        query = query.using_db(connection)
    return await query.count()


async def add_member(
    *, deps, account_id: int, name: str, id_number: str, phone: str, relation: str, sms_code: str
) -> dict:

    if relation not in RELATIONS:
        raise BadRequest(f"relation must be one of {', '.join(RELATIONS)}", code="invalid_relation")
    identity = cards.validate_identity(name=name, id_number=id_number, phone=phone)
    limit = deps.settings.family.max_members
    if not rules.has_room(await _active_count(account_id), limit=limit):
        raise Conflict(f"an account can link at most {limit} family members", code="family_full", limit=limit)
    id_hash = deps.pii.index(identity.id_number.value, field="id_number")
    existing = await cards.Card.get_or_none(id_hash=id_hash)
    if existing is not None:
        if existing.owner_id == account_id:
            raise Conflict("this is the account holder's own card", code="cannot_link_self")
        if await FamilyLink.exists(account_id=account_id, card_id=existing.id, removed_at__isnull=True):
            raise Conflict("this person is already a linked family member", code="already_linked")

    # The code goes to the phone given; for a card that exists, that must be its registered
    # phone (find_or_create_card refuses another with phone_mismatch): knowing a person's name and
    # ID number is not enough to link their card.
    await consume_code(deps=deps, phone=identity.phone, purpose="add_family", code=sms_code)
    card, _ = await cards.find_or_create_card(deps, identity, owner_id=None)
    if card.owner_id == account_id:
        raise Conflict("this is the account holder's own card", code="cannot_link_self")

    async with in_transaction() as conn:
        # Serialise adds per account so two at once cannot both take the 10th place.
        await Account.select_for_update().using_db(conn).get(id=account_id)
        if not rules.has_room(await _active_count(account_id, conn), limit=limit):
            raise Conflict(f"an account can link at most {limit} family members", code="family_full", limit=limit)
        try:
            link = await FamilyLink.create(
                account_id=account_id,
                card_id=card.id,
                active_card_id=card.id,
                relation=relation,
                linked_at=clock.now(),
                using_db=conn,
            )
        except IntegrityError:
            raise Conflict("this person is already a linked family member", code="already_linked") from None
        if card.owner_id is not None:
            # the owner is told of every new link, and can end it at once (cards.links)
            linker = await Account.get(id=account_id).using_db(conn)
            await notifications.enqueue(
                conn,
                account_id=card.owner_id,
                kind="card_linked",
                payload={
                    "account_masked": links.account_masked(linker),
                    "relation": relation,
                    "linked_at": iso(link.linked_at),
                },
            )
    link.card = card
    await cards.refresh_account_cards(deps, account_id)
    log.info("family member linked account=%s card=%s", account_id, card.id)
    return member_view(deps, link)


async def remove_member(*, deps, account_id: int, member_id: int) -> None:
    link = await FamilyLink.get_or_none(id=member_id, account_id=account_id, removed_at__isnull=True)
    if link is None:
        raise NotFound("no such family member")
    lock_days = deps.settings.family.removal_lock_days
    now = clock.now()
    if not rules.can_remove(link.linked_at, now=now, lock_days=lock_days):
        allowed = rules.removable_at(link.linked_at, lock_days=lock_days)
        raise Conflict(
            f"a family member can be removed only {lock_days} days after linking",
            code="removal_locked",
            removable_at=iso(allowed),
        )
    if not await links.end_link(deps, link, by="member"):
        raise NotFound("no such family member")
