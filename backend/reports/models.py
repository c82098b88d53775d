from tortoise import fields
from tortoise.models import Model


class Report(Model):
    """A lab, imaging, pathology or exam report (检验/检查报告) as the hospital system sent it.
    The patient is named by the keyed hash of the ID number, as admissions are, so the report
    shows for the card whenever it exists. A push of the same report number replaces the row
    and its results; `version` counts the pushes, `amended_at` is set when a report residents
    could already see was replaced."""

    id = fields.IntField(primary_key=True)
    hospital = fields.ForeignKeyField("models.Hospital", related_name="reports", on_delete=fields.CASCADE)
    report_no = fields.CharField(max_length=32)
    patient_id_hash = fields.CharField(max_length=64)
    id_enc = fields.TextField()
    name_enc = fields.TextField()
    pii_ref = fields.CharField(max_length=16)
    kind = fields.CharField(max_length=16)  # lab | imaging | pathology | exam
    code = fields.CharField(max_length=32, null=True)  # the hospital's code of the test or study
    code_system = fields.CharField(max_length=8, null=True)  # "loinc" or "local"
    title = fields.CharField(max_length=128)
    department = fields.CharField(max_length=64)
    doctor = fields.CharField(max_length=40)
    specimen = fields.CharField(max_length=64, null=True)
    ordered_at = fields.DatetimeField(null=True)
    collected_at = fields.DatetimeField(null=True)
    reported_at = fields.DatetimeField()
    effective_at = fields.DatetimeField()  # collected_at, or reported_at without a collection: what FHIR dates search
    status = fields.CharField(max_length=16)  # preliminary | final | amended | cancelled (backend.reports.rules)
    conclusion = fields.TextField(null=True)
    sensitive = fields.BooleanField(default=False)
    has_critical = fields.BooleanField(default=False)
    version = fields.IntField(default=1)
    amended_at = fields.DatetimeField(null=True)
    received_at = fields.DatetimeField()  # the latest push
    first_received_at = fields.DatetimeField()
    received_on = fields.DateField()  # business date of the first push (console figures)
    visible_at = fields.DatetimeField(null=True)  # when residents could first see it (final/amended)
    delivered_at = fields.DatetimeField(null=True)  # first opened by an account allowed to see it
    delivered_on = fields.DateField(null=True)

    class Meta:
        table = "reports"
        unique_together = (("hospital", "report_no"),)
        indexes = (("patient_id_hash", "status", "reported_at"), ("hospital_id", "received_on"))


class ReportResult(Model):
    """One result line (OBX in HL7 v2 terms): a number with its unit and range, or a text."""

    id = fields.BigIntField(primary_key=True)
    report = fields.ForeignKeyField("models.Report", related_name="results", on_delete=fields.CASCADE)
    position = fields.IntField()
    code = fields.CharField(max_length=32)
    loinc = fields.CharField(max_length=10, null=True)
    name = fields.CharField(max_length=128)
    value_type = fields.CharField(max_length=8)  # number | text
    value = fields.CharField(max_length=512)  # a number exactly as the decimal sent (never a float)
    unit = fields.CharField(max_length=32, null=True)
    reference_range = fields.CharField(max_length=64, null=True)
    reference_low = fields.CharField(max_length=24, null=True)
    reference_high = fields.CharField(max_length=24, null=True)
    flag = fields.CharField(max_length=16)  # normal | high | low | abnormal | critical

    class Meta:
        table = "report_results"
        unique_together = (("report", "position"),)


class ReportPdf(Model):
    """The rendered report, kept in the database with the report: a restore of the database
    restores it too, and a replaced report's PDF goes with it (docs/architecture.md)."""

    id = fields.IntField(primary_key=True)
    report = fields.OneToOneField("models.Report", related_name="pdf", on_delete=fields.CASCADE)
    content = fields.BinaryField()
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    uploaded_at = fields.DatetimeField()

    class Meta:
        table = "report_pdfs"
