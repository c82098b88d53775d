from tortoise import fields
from tortoise.models import Model


class Account(Model):
    """The account of a resident: one WeChat openid (per mini-program appid)."""

    id = fields.IntField(primary_key=True)
    openid = fields.CharField(max_length=64, unique=True)
    unionid = fields.CharField(max_length=64, null=True)
    status = fields.CharField(max_length=16, default="active")
    created_at = fields.DatetimeField()
    last_login_at = fields.DatetimeField()

    class Meta:
        table = "accounts"


class Session(Model):
    """A bearer token, of which only the SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    account = fields.ForeignKeyField("models.Account", related_name="sessions", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sessions"
