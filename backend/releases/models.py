from tortoise import fields
from tortoise.models import Model


class ReleaseRoom(Model):
    """A hospital's waiting-room settings (the room itself lives in Redis: backend/releases/lua).
    No row: the room is on, at the configured default rate."""

    id = fields.IntField(primary_key=True)
    hospital = fields.OneToOneField("models.Hospital", related_name="release_room", on_delete=fields.CASCADE)
    enabled = fields.BooleanField(default=True)
    rate_per_s = fields.IntField()  # tickets admitted per second once the release opens
    updated_at = fields.DatetimeField()

    class Meta:
        table = "release_rooms"
