from tortoise import fields
from tortoise.models import Model


class Notification(Model):
    """Outbox of messages to residents (WeChat subscribe messages in production). Written in
    the same transaction as the change it reports, and a dispatcher sends and marks them."""

    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="notifications", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=32)
    payload = fields.JSONField()
    status = fields.CharField(max_length=16, default="pending")  # pending | sent | failed | inbox (no template)
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "notifications"
        indexes = (("status", "id"),)
