from tortoise import fields
from tortoise.models import Model


class Charge(Model):
    """One outpatient order (处方, 检查/检验申请) the hospital system pushed, to be paid from the
    phone. The patient is named by the keyed hash of the ID number, like admissions, so the
    charge shows for the card whenever it exists (also when the card is claimed later).

    status (backend.outpatient.rules.ChargeStatus): unpaid -> paid -> acknowledged, paid ->
    rejected, paid | acknowledged -> refunded (all of it given back), unpaid -> voided (->
    unpaid when pushed again). `open_order` is the order being paid for it right now (at most
    one); `paid_order` the order that paid it. Items are kept as the hospital sent them (a
    charge is a handful of lines, replaced whole), quantities as decimal strings."""

    id = fields.IntField(primary_key=True)
    hospital = fields.ForeignKeyField("models.Hospital", related_name="charges", on_delete=fields.CASCADE)
    charge_no = fields.CharField(max_length=32)
    patient_id_hash = fields.CharField(max_length=64, db_index=True)
    id_enc = fields.TextField()
    name_enc = fields.TextField()
    pii_ref = fields.CharField(max_length=16)
    visit_no = fields.CharField(max_length=32, null=True)  # groups the charges of one visit (就诊号)
    department = fields.CharField(max_length=64)
    doctor = fields.CharField(max_length=40)
    ordered_at = fields.DatetimeField()
    items = fields.JSONField()
    total_fen = fields.BigIntField()
    pay_group = fields.CharField(max_length=32, null=True)
    insurance = fields.BooleanField(default=False)
    version = fields.IntField(default=1)
    status = fields.CharField(max_length=16, default="unpaid")
    open_order = fields.ForeignKeyField(
        "models.ChargeOrder", related_name="open_charges", null=True, on_delete=fields.SET_NULL
    )
    paid_order = fields.ForeignKeyField(
        "models.ChargeOrder", related_name="paid_charges", null=True, on_delete=fields.SET_NULL
    )
    paid_fen = fields.BigIntField(null=True)
    paid_at = fields.DatetimeField(null=True)
    transaction_id = fields.CharField(max_length=64, null=True)
    refunded_fen = fields.BigIntField(default=0)  # every refund asked for, on its way or done
    receipt_no = fields.CharField(max_length=64, null=True)
    guide = fields.CharField(max_length=200, null=True)  # where to take the drugs, where the exam is
    acknowledged_at = fields.DatetimeField(null=True)
    rejected_at = fields.DatetimeField(null=True)
    reject_reason = fields.CharField(max_length=200, null=True)
    voided_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "outpatient_charges"
        unique_together = (("hospital", "charge_no"),)
        indexes = (("hospital_id", "status", "paid_at"), ("status", "paid_at"))


class ChargeOrder(Model):
    """One WeChat Pay order for a selection of unpaid charges of one card at one hospital, the
    subject of the payment purpose "charges". Its lines fix the version of each charge it was
    made for: a charge changed or voided before the money arrives refuses the payment.

    status: open -> paid | closed | refused (paid, but a charge had changed: refunded whole)."""

    id = fields.IntField(primary_key=True)
    hospital = fields.ForeignKeyField("models.Hospital", related_name="charge_orders", on_delete=fields.CASCADE)
    card = fields.ForeignKeyField("models.Card", related_name="charge_orders", on_delete=fields.CASCADE)
    account = fields.ForeignKeyField("models.Account", related_name="charge_orders", on_delete=fields.CASCADE)
    amount_fen = fields.BigIntField()
    status = fields.CharField(max_length=16, default="open")
    out_trade_no = fields.CharField(max_length=32, null=True)
    note = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    paid_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outpatient_orders"


class ChargeOrderLine(Model):
    id = fields.IntField(primary_key=True)
    order = fields.ForeignKeyField("models.ChargeOrder", related_name="lines", on_delete=fields.CASCADE)
    charge = fields.ForeignKeyField("models.Charge", related_name="order_lines", on_delete=fields.CASCADE)
    version = fields.IntField()
    amount_fen = fields.BigIntField()

    class Meta:
        table = "outpatient_order_lines"
        unique_together = (("order", "charge"),)


class ChargeRefund(Model):
    """Money given back for one paid charge: the hospital rejected it (all of it) or refunded
    some of it (items not dispensed). `payment_refund_id` is the refund in payments' machinery
    that moves it; `refund_no` the hospital's own number, which makes a repeated request one.

    status: refunding -> refunded (WeChat reported success) | failed (needs an operator)."""

    id = fields.IntField(primary_key=True)
    charge = fields.ForeignKeyField("models.Charge", related_name="refunds", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=16)  # reject | refund
    amount_fen = fields.BigIntField()
    reason = fields.CharField(max_length=200)
    refund_no = fields.CharField(max_length=32, null=True)
    payment_refund_id = fields.IntField(null=True, db_index=True)
    status = fields.CharField(max_length=16, default="refunding")
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outpatient_refunds"
        unique_together = (("charge", "refund_no"),)
