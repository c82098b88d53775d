from tortoise import fields
from tortoise.models import Model


class FamilyLink(Model):
    """A link from an account to the card of a family member (家人用卡).

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

    class Meta:
        table = "family_links"
        unique_together = (("account", "active_card_id"),)
