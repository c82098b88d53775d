from tortoise import fields
from tortoise.models import Model


class IntakeSecret(Model):
    """The intake secret of a hospital system (HIS), stored encrypted with the identity-data cipher
    (the service must read it back to check signatures, so a hash would not do). Shown once when
    issued. Rotating replaces it at once."""

    id = fields.IntField(primary_key=True)
    hospital = fields.OneToOneField("models.Hospital", related_name="intake_secret", on_delete=fields.CASCADE)
    secret_enc = fields.TextField()
    version = fields.IntField(default=1)
    issued_at = fields.DatetimeField()

    class Meta:
        table = "his_intake_secrets"
