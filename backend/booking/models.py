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
    status = fields.CharField(max_length=16, default="confirmed")  # backend.booking.rules.BookingStatus
    amount_fen = fields.IntField()
    visit_date = fields.DateField()
    created_at = fields.DatetimeField()
    cancelled_at = fields.DatetimeField(null=True)
    cancel_reason = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "bookings"
        unique_together = (("schedule", "active_card_id"), ("schedule", "active_visit_number"))
        indexes = (("card_id", "visit_date"), ("schedule_id", "status"), ("status", "visit_date"))


class Ban(Model):
    """A card barred from booking until `until` (3 no-shows in 12 months, or 3 cancellations in a
    calendar month)."""

    id = fields.IntField(primary_key=True)
    card = fields.ForeignKeyField("models.Card", related_name="bans", on_delete=fields.CASCADE)
    rule = fields.CharField(max_length=32)  # no_show_ban | cancel_ban
    until = fields.DatetimeField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "booking_bans"


class Referral(Model):
    """A family-doctor referral (家庭医生转诊): lets the card take referral slots of the hospital
    (or only of one department) 10 days ahead, for visits up to `valid_until`."""

    id = fields.IntField(primary_key=True)
    card = fields.ForeignKeyField("models.Card", related_name="referrals", on_delete=fields.CASCADE)
    hospital = fields.ForeignKeyField("models.Hospital", related_name="referrals", on_delete=fields.CASCADE)
    department = fields.ForeignKeyField(
        "models.Department", related_name="referrals", null=True, on_delete=fields.CASCADE
    )
    issued_by = fields.CharField(max_length=128)
    valid_until = fields.DateField()
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "referrals"


class SweepMark(Model):
    """How far a periodic sweep has got (the no-show sweep: sessions ended up to `until` are
    done), so each run looks only at what happened since."""

    name = fields.CharField(max_length=32, primary_key=True)
    until = fields.DatetimeField()

    class Meta:
        table = "booking_sweeps"
