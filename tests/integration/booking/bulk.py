"""Many residents at once, written straight to the database and the token cache (signing up a
thousand people through SMS codes would test nothing more and take minutes)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from backend.cards.models import Card
from backend.cards.service import cache_card, refresh_account_cards
from backend.clock import clock, to_ms
from backend.identity import rules as identity_rules
from backend.identity.models import Account, Session
from backend.identity.service import cache_session
from tests.support import make_id_number, make_phone


class BulkResident:
    def __init__(self, account_id: int, token: str, card_id: str, card_pk: int):
        self.account_id, self.token, self.card_id, self.card_pk = account_id, token, card_id, card_pk

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


async def bulk_residents(deps, n: int) -> list[BulkResident]:
    now = clock.now()
    tag = secrets.token_hex(4)
    accounts = [Account(openid=f"bulk{tag}{i}", created_at=now, last_login_at=now) for i in range(n)]
    await Account.bulk_create(accounts, batch_size=500)
    accounts = await Account.filter(openid__startswith=f"bulk{tag}").order_by("id")
    cards, tokens = [], []
    for account in accounts:
        idn, phone = make_id_number(), make_phone()
        cards.append(Card(
            card_id=secrets.token_hex(32), id_hash=deps.pii.index(idn, field="id_number"),
            id_enc=deps.pii.encrypt(idn, field="id_number"), name_hash=deps.pii.index("张三", field="name"),
            name_enc=deps.pii.encrypt("张三", field="name"), phone_hash=deps.pii.index(phone, field="phone"),
            phone_enc=deps.pii.encrypt(phone, field="phone"), pii_ref=deps.pii.ref, owner_id=account.id,
            created_at=now, card_id_issued_at=now,
        ))
        tokens.append(identity_rules.new_token())
    await Card.bulk_create(cards, batch_size=500)
    expires = now + timedelta(days=7)
    await Session.bulk_create(
        [Session(token_hash=identity_rules.token_hash(t), account_id=a.id, created_at=now, expires_at=expires) for t, a in zip(tokens, accounts)],
        batch_size=500,
    )
    stored = {c.owner_id: c for c in await Card.filter(owner_id__in=[a.id for a in accounts])}
    residents = []
    for token, account in zip(tokens, accounts):
        card = stored[account.id]
        await cache_session(deps, th=identity_rules.token_hash(token), account_id=account.id, expires_ms=to_ms(expires))
        await cache_card(deps, card)
        await refresh_account_cards(deps, account.id)
        residents.append(BulkResident(account.id, token, card.card_id, card.id))
    return residents
