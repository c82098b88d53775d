"""Who uses a card: its owner sees every account linked to it and ends any link at once.

The 45-day lock on removing a family member binds the linking account (an anti-scalper rule);
the person whose card it is may end a link whenever they like. Ending a link, by either side,
goes through `end_link`, which runs the hooks the composition root registered (booking releases
that account's unpaid holds on the card) and tells the linking account when the owner ended it."""

from __future__ import annotations

import logging

from tortoise.transactions import in_transaction

from backend.cards import rules
from backend.cards.models import Card, FamilyLink
from backend.cards.service import refresh_account_cards
from backend.clock import clock, iso
from backend.errors import NotFound
from backend.identity.models import Account
from backend.notifications import service as notifications

log = logging.getLogger("ehealth.cards")


def account_masked(account: Account) -> str:
    """What an owner is shown of an account linked to their card: enough to tell two apart,
    nothing that finds the person (the openid is pseudonymous and only its tail is shown)."""
    return f"微信用户 ****{account.openid[-4:]}"


def link_view(link: FamilyLink) -> dict:
    return {
        "link_id": link.id,
        "account_masked": account_masked(link.account),
        "relation": link.relation,
        "linked_at": iso(link.linked_at),
    }


async def _owned_card(account_id: int, card_id: str) -> Card:
    """The caller's own card, else the same 404 as a card that does not exist."""
    if not rules.is_card_id(card_id):
        raise NotFound("no such card")
    card = await Card.get_or_none(card_id=card_id, owner_id=account_id)
    if card is None:
        raise NotFound("no such card")
    return card


async def list_links(*, account_id: int, card_id: str) -> list[dict]:
    card = await _owned_card(account_id, card_id)
    links = (
        await FamilyLink.filter(card_id=card.id, removed_at__isnull=True)
        .order_by("linked_at", "id")
        .select_related("account")
    )
    return [link_view(link) for link in links]


async def end_link(deps, link: FamilyLink, *, by: str) -> bool:
    """End a live link (by "owner" or "member"); False if it had ended already. The linking
    account loses the card at once: its Redis view is rewritten and the hooks release what it
    held on the card but had not paid for. Paid bookings stay with the card."""
    now = clock.now()
    async with in_transaction() as conn:
        ended = (
            await FamilyLink.filter(id=link.id, removed_at__isnull=True)
            .using_db(conn)
            .update(removed_at=now, active_card_id=None, ended_by=by)
        )
        if ended and by == "owner":
            await notifications.enqueue(
                conn,
                account_id=link.account_id,
                kind="card_link_ended",
                payload={"relation": link.relation, "ended_by": by, "ended_at": iso(now)},
            )
    if not ended:
        return False
    await refresh_account_cards(deps, link.account_id)
    for hook in deps.link_ended:
        await hook(deps, account_id=link.account_id, card_pk=link.card_id)
    log.info("family link %s ended by %s account=%s card=%s", link.id, by, link.account_id, link.card_id)
    return True


async def end_link_as_owner(*, deps, account_id: int, card_id: str, link_id: int) -> None:
    card = await _owned_card(account_id, card_id)
    link = await FamilyLink.get_or_none(id=link_id, card_id=card.id, removed_at__isnull=True)
    if link is None or not await end_link(deps, link, by="owner"):
        raise NotFound("no such link", code="link_not_found")
