from tortoise import fields
from tortoise.models import Model


class Payment(Model):
    """One WeChat Pay order for one `subject` of one `purpose` (backend.payments.purposes).

    status (backend.payments.rules.PaymentStatus): created -> paid | refund_pending (-> refunded
    via Refund) | closed. `hold_id`, `schedule`, `kind` and `booking` belong to the booking
    purpose (the hold's details are copied here so that a paid hold can still be honoured, or
    refunded, if Redis lost it); other purposes leave them empty.
    """

    id = fields.IntField(primary_key=True)
    out_trade_no = fields.CharField(max_length=32, unique=True)
    purpose = fields.CharField(max_length=16, default="booking")
    subject = fields.CharField(max_length=64)
    hold_id = fields.CharField(max_length=32, unique=True, null=True)
    account = fields.ForeignKeyField("models.Account", related_name="payments", on_delete=fields.CASCADE)
    card = fields.ForeignKeyField("models.Card", related_name="payments", null=True, on_delete=fields.CASCADE)
    schedule = fields.ForeignKeyField("models.Schedule", related_name="payments", null=True, on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=16, default="ordinary")
    amount_fen = fields.IntField()
    hold_expires_at = fields.DatetimeField()
    status = fields.CharField(max_length=16, default="created")
    transaction_id = fields.CharField(max_length=64, null=True)
    paid_fen = fields.IntField(null=True)
    paid_at = fields.DatetimeField(null=True)
    booking = fields.OneToOneField("models.Booking", related_name="payment", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField()
    note = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "payments"
        unique_together = (("purpose", "subject"),)
        indexes = (("status", "hold_expires_at"),)


class Refund(Model):
    """A refund to the original payment. WeChat answers refunds asynchronously, so the poller asks
    until the state is final (callbacks alone are not trusted).

    status: pending (not yet accepted by WeChat) -> processing -> success | closed | abnormal
    """

    id = fields.IntField(primary_key=True)
    out_refund_no = fields.CharField(max_length=64, unique=True)
    payment = fields.ForeignKeyField("models.Payment", related_name="refunds", on_delete=fields.CASCADE)
    amount_fen = fields.IntField()
    reason = fields.CharField(max_length=32)
    status = fields.CharField(max_length=16, default="pending")
    refund_id = fields.CharField(max_length=64, null=True)
    attempts = fields.IntField(default=0)
    next_poll_at = fields.DatetimeField()
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=128, null=True)

    class Meta:
        table = "refunds"
        indexes = (("status", "next_poll_at"),)
