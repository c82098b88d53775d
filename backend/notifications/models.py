from tortoise import fields
from tortoise.models import Model


class Notification(Model):
    """Outbox of messages to residents, and their inbox. Written in the same transaction as the
    change it reports; the dispatcher sends the pending ones as WeChat subscribe messages (when
    the resident allowed that template) and marks them. Every row is an inbox entry."""

    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="notifications", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=32)
    payload = fields.JSONField()
    # pending | sent | failed | refused (WeChat said no: errcode) | inbox (no template or no
    # allowance) | batched (folded into another message of the same kind)
    status = fields.CharField(max_length=16, default="pending")
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    # not sent before this moment: retry backoff, quiet hours, the hourly batch of reports
    not_before = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=128, null=True)
    errcode = fields.IntField(null=True)  # WeChat's refusal, when it refused
    # the same reminder never twice: one row per key (None: no dedup)
    dedup_key = fields.CharField(max_length=96, null=True, unique=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notifications"
        indexes = (("status", "not_before"), ("account_id", "id"), ("account_id", "read_at"))


class SubscriptionAllowance(Model):
    """How many subscribe messages of one template the resident still allows: one more per
    "accept" in the mini-program's request, one fewer per message sent (WeChat's one-time
    subscriptions). Counted per template id, as WeChat counts them."""

    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="allowances", on_delete=fields.CASCADE)
    template_id = fields.CharField(max_length=64)
    remaining = fields.IntField(default=0)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "subscription_allowances"
        unique_together = (("account", "template_id"),)
