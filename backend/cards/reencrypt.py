"""Re-encryption after a key rotation: every card's identity fields rewritten with the active key
(CRYPTO_ACTIVE_VERSION), in batches, while the service runs.

    python -m backend reencrypt        # prints {"checked": n, "rewritten": m}

Rotation: add the new key to CRYPTO_KEYS (keeping the old one), make it active, restart, run
this; once it reports nothing left to rewrite, the old key can leave CRYPTO_KEYS. Each row is
written only if it still holds the ciphertext that was read (a concurrent claim that rewrote it
wins), so running it twice, or on two hosts, is harmless.
"""

from __future__ import annotations

from backend.cards.models import Card

FIELDS = (("id_enc", "id_number"), ("name_enc", "name"), ("phone_enc", "phone"))


async def reencrypt_cards(pii, *, batch: int = 500) -> dict:
    checked = rewritten = 0
    last_id = 0
    while True:
        rows = await Card.filter(id__gt=last_id).order_by("id").limit(batch).values("id", *(f for f, _ in FIELDS))
        if not rows:
            break
        for row in rows:
            checked += 1
            if not any(pii.needs_rewrap(row[f]) for f, _ in FIELDS):
                continue
            updates = {f: pii.encrypt(pii.decrypt(row[f], field=label), field=label) for f, label in FIELDS}
            updates["pii_ref"] = pii.ref
            if await Card.filter(id=row["id"], **{f: row[f] for f, _ in FIELDS}).update(**updates):
                rewritten += 1
        last_id = rows[-1]["id"]
    return {"checked": checked, "rewritten": rewritten}
