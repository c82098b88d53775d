from tortoise import fields
from tortoise.models import Model


class OperatorAction(Model):
    """One change made from the console or the command line: who (the operator, and `actor`,
    their username or "cli", kept even if the account goes), where (the hospital, none for
    platform-wide actions), what (`action` like "schedule.suspend", on `target_kind` +
    `target_id`), the fields changed (old -> new; never a secret, identity data only masked) and
    the reason given. Written in the same transaction as the change where it has one."""

    id = fields.IntField(primary_key=True)
    at = fields.DatetimeField()
    operator = fields.ForeignKeyField("models.Operator", related_name="actions", null=True, on_delete=fields.SET_NULL)
    actor = fields.CharField(max_length=80)
    hospital = fields.ForeignKeyField(
        "models.Hospital", related_name="operator_actions", null=True, on_delete=fields.SET_NULL
    )
    action = fields.CharField(max_length=48)
    target_kind = fields.CharField(max_length=24)
    target_id = fields.CharField(max_length=64)
    change = fields.JSONField(default=dict)
    reason = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "operator_actions"
        indexes = (("hospital_id", "at"), ("target_kind", "target_id"), ("operator_id", "at"), ("action", "at"))
