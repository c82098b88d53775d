from tortoise import fields
from tortoise.models import Model


class Booking(Model):
    """A confirmed appointment (paid hold). The database is the last line of defence against
    oversell: `active_card_id` and `active_visit_number` are set while the booking stands and
    cleared when it is cancelled, so (schedule, active_card_id) and (schedule,
    active_visit_number) are unique among standing bookings while history is kept.
    """

    id = fields.IntField(primary_key=True)
    schedule = fields.ForeignKeyField("models.Schedule", related_name="bookings", on_delete=fields.CASCADE)
    card = fields.ForeignKeyField("models.Card", related_name="bookings", on_delete=fields.CASCADE)
    account = fields.ForeignKeyField("models.Account", related_name="bookings", on_delete=fields.CASCADE)
    hold_id = fields.CharField(max_length=32, unique=True)
    kind = fields.CharField(max_length=16, default="ordinary")  # ordinary | referral
    visit_number = fields.IntField()
    active_visit_number = fields.IntField(null=True)
    active_card_id = fields.IntField(null=True)
    status = fields.CharField(max_length=16, default="confirmed")  # confirmed | cancelled | suspended | no_show
    amount_fen = fields.IntField()
    visit_date = fields.DateField()
    created_at = fields.DatetimeField()
    cancelled_at = fields.DatetimeField(null=True)
    cancel_reason = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "bookings"
        unique_together = (("schedule", "active_card_id"), ("schedule", "active_visit_number"))
        indexes = (("card_id", "visit_date"), ("schedule_id", "status"))
