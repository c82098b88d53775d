from tortoise import fields
from tortoise.models import Model


class Admission(Model):
    """A hospital stay (住院) as reported by the hospital system. The patient is named by the
    keyed hash of the ID number, the same index cards use, so the admission shows for the card
    whenever it exists (also when it is claimed after the admission). Identity data encrypted."""

    id = fields.IntField(primary_key=True)
    hospital = fields.ForeignKeyField("models.Hospital", related_name="admissions", on_delete=fields.CASCADE)
    admission_no = fields.CharField(max_length=32)
    patient_id_hash = fields.CharField(max_length=64, db_index=True)
    id_enc = fields.TextField()
    name_enc = fields.TextField()
    pii_ref = fields.CharField(max_length=16)
    ward = fields.CharField(max_length=64)
    bed = fields.CharField(max_length=16)
    admitted_at = fields.DatetimeField()
    discharged_at = fields.DatetimeField(null=True)
    deposit_fen = fields.BigIntField(default=0)  # what the hospital took itself, at its own desk
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "admissions"
        unique_together = (("hospital", "admission_no"),)


class BillDay(Model):
    """One day of charges of an admission. A day sent again replaces the row and its items."""

    id = fields.IntField(primary_key=True)
    admission = fields.ForeignKeyField("models.Admission", related_name="days", on_delete=fields.CASCADE)
    date = fields.DateField()
    item_count = fields.IntField()
    subtotal_fen = fields.BigIntField()
    received_at = fields.DatetimeField()

    class Meta:
        table = "bill_days"
        unique_together = (("admission", "date"),)


class BillItem(Model):
    """One charge line. A negative quantity is a return (退药, 退费) with a negative amount."""

    id = fields.BigIntField(primary_key=True)
    day = fields.ForeignKeyField("models.BillDay", related_name="items", on_delete=fields.CASCADE)
    position = fields.IntField()
    item_code = fields.CharField(max_length=32)
    name = fields.CharField(max_length=128)
    category = fields.CharField(max_length=16)
    unit = fields.CharField(max_length=16)
    quantity = fields.DecimalField(max_digits=12, decimal_places=3)
    unit_price_fen = fields.BigIntField()
    amount_fen = fields.BigIntField()

    class Meta:
        table = "bill_items"
        indexes = (("day_id", "position"),)


class Deposit(Model):
    """An online deposit top-up (预缴金). Counts in prepaid_fen once paid, and is offered on
    the deposit feed of the hospital until the hospital acknowledges it.

    status (backend.inpatient.rules.DepositStatus): created -> paid | closed (-> paid), paid ->
    refunding -> refunded. Paid through payments as the purpose "deposit" with the deposit's id
    as the subject (backend/inpatient/payment_purpose.py). `account` and `card` say who topped
    up for which card; both are empty for deposits recorded from a payment made elsewhere."""

    id = fields.IntField(primary_key=True)
    admission = fields.ForeignKeyField("models.Admission", related_name="deposits", on_delete=fields.CASCADE)
    account = fields.ForeignKeyField("models.Account", related_name="deposits", null=True, on_delete=fields.SET_NULL)
    card = fields.ForeignKeyField("models.Card", related_name="deposits", null=True, on_delete=fields.SET_NULL)
    amount_fen = fields.BigIntField()
    status = fields.CharField(max_length=16, default="created")
    out_trade_no = fields.CharField(max_length=32, null=True, unique=True)
    transaction_id = fields.CharField(max_length=64, null=True, unique=True)
    paid_at = fields.DatetimeField(null=True)
    acknowledged_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    refund_reason = fields.CharField(max_length=32, null=True)
    refunded_at = fields.DatetimeField(null=True)  # when the refund reached WeChat's success state

    class Meta:
        table = "inpatient_deposits"
        indexes = (("status", "acknowledged_at"),)
