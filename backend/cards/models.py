from tortoise import fields
from tortoise.models import Model


class Card(Model):
    """The electronic health card of one person, whose primary key is the master index (主索引).

    Identity data is stored only encrypted (`*_enc`) with keyed hashes (`*_hash`) for look-ups;
    `pii_ref` notes the suite/key version the record was last written with.
    """

    id = fields.IntField(primary_key=True)
    card_id = fields.CharField(max_length=64, unique=True)
    id_hash = fields.CharField(max_length=64, unique=True)
    id_enc = fields.TextField()
    name_hash = fields.CharField(max_length=64)
    name_enc = fields.TextField()
    phone_hash = fields.CharField(max_length=64, db_index=True)
    phone_enc = fields.TextField()
    pii_ref = fields.CharField(max_length=16)
    status = fields.CharField(max_length=16, default="active")
    owner = fields.OneToOneField("models.Account", related_name="own_card", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField()
    card_id_issued_at = fields.DatetimeField()

    class Meta:
        table = "cards"


class RevokedCardId(Model):
    """card_ids replaced by a reissue: their static codes are answered as revoked, not unknown."""

    id = fields.IntField(primary_key=True)
    old_card_id = fields.CharField(max_length=64, unique=True)
    card = fields.ForeignKeyField("models.Card", related_name="revoked_ids", on_delete=fields.CASCADE)
    revoked_at = fields.DatetimeField()

    class Meta:
        table = "revoked_card_ids"


class FamilyLink(Model):
    """A link from an account to the card of a family member (家人用卡). It lives with cards
    because it decides who may use a card; backend.family manages the links.

    `active_card_id` equals `card_id` while the link is live and is NULL once removed, so the
    unique pair (account, active_card_id) allows one live link per card but keeps history.
    """

    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="family_links", on_delete=fields.CASCADE)
    card = fields.ForeignKeyField("models.Card", related_name="family_links", on_delete=fields.CASCADE)
    active_card_id = fields.IntField(null=True)
    relation = fields.CharField(max_length=16)
    linked_at = fields.DatetimeField()
    removed_at = fields.DatetimeField(null=True)
    ended_by = fields.CharField(max_length=8, null=True)  # "member" (the linking account) or "owner"

    class Meta:
        table = "family_links"
        unique_together = (("account", "active_card_id"),)
