from tortoise import fields
from tortoise.models import Model


class AccessLog(Model):
    """Every scan and identity view by a terminal, whatever its result. The card is referred to
    by its master index, never by identity data."""

    id = fields.IntField(primary_key=True)
    terminal = fields.ForeignKeyField(
        "models.Terminal", related_name="access_logs", null=True, on_delete=fields.SET_NULL
    )
    hospital = fields.ForeignKeyField(
        "models.Hospital", related_name="access_logs", null=True, on_delete=fields.SET_NULL
    )
    card = fields.ForeignKeyField("models.Card", related_name="access_logs", null=True, on_delete=fields.SET_NULL)
    action = fields.CharField(max_length=16)
    result = fields.CharField(max_length=32)
    at = fields.DatetimeField()

    class Meta:
        table = "access_logs"
        indexes = (("card_id", "at"), ("terminal_id", "at"))
