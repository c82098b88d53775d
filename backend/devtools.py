"""Bulk residents for tests and benchmarks: accounts, cards and live sessions written straight
to the database and the hold store's caches (signing up thousands of people through SMS codes
would exercise nothing more)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from backend.cards.models import Card
from backend.cards.rules import check_digit
from backend.cards.service import OWNED_SENTINEL, account_cards_key
from backend.clock import clock, to_ms
from backend.identity import rules as identity_rules
from backend.identity.models import Account, Session


@dataclass
class BulkResident:
    account_id: int
    token: str
    card_id: str
    card_pk: int

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


def _id_number(n: int) -> str:
    born = date(1950, 1, 1) + timedelta(days=n // 999)
    body = f"420106{born:%Y%m%d}{n % 999 + 1:03d}"
    return body + check_digit(body)


async def bulk_residents(deps, n: int, *, batch: int = 1000) -> list[BulkResident]:
    now = clock.now()
    tag = secrets.token_hex(4)
    first_seq = secrets.randbelow(10**4) * 1000  # births 1950-1977: all valid
    accounts = [Account(openid=f"bulk{tag}{i}", created_at=now, last_login_at=now) for i in range(n)]
    await Account.bulk_create(accounts, batch_size=batch)
    accounts = await Account.filter(openid__startswith=f"bulk{tag}").order_by("id")
    name_enc = deps.pii.encrypt("张三", field="name")
    name_hash = deps.pii.index("张三", field="name")
    cards, tokens = [], []
    for i, account in enumerate(accounts):
        idn = _id_number(first_seq + i)
        phone = f"1{3 + i % 7}{(first_seq + i) % 10**9:09d}"
        cards.append(
            Card(
                card_id=secrets.token_hex(32),
                id_hash=deps.pii.index(idn, field="id_number"),
                id_enc=deps.pii.encrypt(idn, field="id_number"),
                name_hash=name_hash,
                name_enc=name_enc,
                phone_hash=deps.pii.index(phone, field="phone"),
                phone_enc=deps.pii.encrypt(phone, field="phone"),
                pii_ref=deps.pii.ref,
                owner_id=account.id,
                created_at=now,
                card_id_issued_at=now,
            )
        )
        tokens.append(identity_rules.new_token())
    await Card.bulk_create(cards, batch_size=batch)
    expires = now + timedelta(days=7)
    await Session.bulk_create(
        [
            Session(token_hash=identity_rules.token_hash(t), account_id=a.id, created_at=now, expires_at=expires)
            for t, a in zip(tokens, accounts)
        ],
        batch_size=batch,
    )
    stored = {c.owner_id: c for c in await Card.filter(owner_id__in=[a.id for a in accounts])}
    residents = [BulkResident(a.id, t, stored[a.id].card_id, stored[a.id].id) for t, a in zip(tokens, accounts)]
    ttl_ms = to_ms(expires) - to_ms(now)
    for start in range(0, len(residents), batch):
        pipe = deps.redis.pipeline(transaction=False)
        for r in residents[start : start + batch]:
            tok = deps.keys("tok", identity_rules.token_hash(r.token))
            pipe.hset(tok, mapping={"a": r.account_id, "e": to_ms(expires)})
            pipe.pexpire(tok, ttl_ms)
            pipe.hset(deps.keys("card", r.card_id), mapping={"pk": r.card_pk, "status": "active"})
            pipe.delete(account_cards_key(deps, r.account_id))
            pipe.hset(
                account_cards_key(deps, r.account_id), mapping={OWNED_SENTINEL: "1", r.card_id: f"{r.card_pk}|active"}
            )
        await pipe.execute()
    return residents
