from tortoise import fields
from tortoise.models import Model


class Operator(Model):
    """A console user: a platform operator (everything) or a hospital admin (one hospital).
    Only an argon2id hash of the password is kept."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharField(max_length=16)  # platform | hospital_admin
    hospital = fields.ForeignKeyField("models.Hospital", related_name="operators", null=True, on_delete=fields.CASCADE)
    status = fields.CharField(max_length=16, default="active")  # active | retired
    created_at = fields.DatetimeField()
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "operators"


class OperatorSession(Model):
    """A console bearer token, of which only the SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    operator = fields.ForeignKeyField("models.Operator", related_name="sessions", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "operator_sessions"
