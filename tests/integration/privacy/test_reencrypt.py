"""Key rotation: cards written with the old key are rewritten with the new one, readable as before."""

import os

from backend.cards.models import Card
from backend.cards.reencrypt import reencrypt_cards
from backend.privacy.crypto import from_settings


async def test_rotation_rewrites_every_card_with_the_active_key(deps, database, resident_with_card):
    people = [await resident_with_card() for _ in range(3)]
    old_ring = deps.settings.crypto.keys
    new_version = max(old_ring) + 1
    rotated = deps.settings.with_overrides(
        crypto={"keys": {**old_ring, new_version: os.urandom(32)}, "active_version": new_version}
    )
    pii = from_settings(rotated)
    before = {c.id: (c.id_enc, c.name_enc, c.phone_enc) for c in await Card.all()}
    assert all(not v[0].startswith(f"aes.{new_version}.") for v in before.values())

    assert await reencrypt_cards(pii, batch=2) == {"checked": 3, "rewritten": 3}
    for card in await Card.all():
        assert card.id_enc.startswith(f"aes.{new_version}.") and card.pii_ref == f"aes/{new_version}"
        old_pii = deps.pii
        assert pii.decrypt(card.id_enc, field="id_number") == old_pii.decrypt(before[card.id][0], field="id_number")
        assert pii.decrypt(card.name_enc, field="name") == old_pii.decrypt(before[card.id][1], field="name")
    assert {p.id_number for p in people} == {pii.decrypt(c.id_enc, field="id_number") for c in await Card.all()}
    assert await reencrypt_cards(pii) == {"checked": 3, "rewritten": 0}  # nothing left: the old key may go
