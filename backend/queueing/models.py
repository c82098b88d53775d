from tortoise import fields
from tortoise.models import Model


class ScheduleQueue(Model):
    """The calling state of one session: the number being called and its place in the queue."""

    id = fields.IntField(primary_key=True)
    schedule = fields.OneToOneField("models.Schedule", related_name="queue", on_delete=fields.CASCADE)
    called_number = fields.IntField(null=True)
    called_rank = fields.IntField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "schedule_queues"


class QueueEntry(Model):
    """A checked-in booking waiting for (or past) its call. `rank` orders the queue."""

    id = fields.IntField(primary_key=True)
    booking = fields.OneToOneField("models.Booking", related_name="queue_entry", on_delete=fields.CASCADE)
    schedule = fields.ForeignKeyField("models.Schedule", related_name="queue_entries", on_delete=fields.CASCADE)
    rank = fields.IntField()
    status = fields.CharField(max_length=16, default="waiting")  # waiting | called | done
    checked_in_at = fields.DatetimeField()
    called_at = fields.DatetimeField(null=True)

    class Meta:
        table = "queue_entries"
        unique_together = (("schedule", "rank"),)
