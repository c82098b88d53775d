from tortoise import fields
from tortoise.models import Model


class Terminal(Model):
    """A scanning terminal of one hospital. Its secret is never stored: it is derived from the
    deployment's terminal master key, the terminal code and the credential version, and only
    its hash is kept (so a database copy holds no usable credential)."""

    id = fields.IntField(primary_key=True)
    hospital = fields.ForeignKeyField("models.Hospital", related_name="terminals", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=64)
    terminal_code = fields.CharField(max_length=32, unique=True)
    credential_version = fields.IntField(default=1)
    secret_hash = fields.CharField(max_length=64)
    status = fields.CharField(max_length=16, default="active")
    created_at = fields.DatetimeField()
    disabled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "terminals"
