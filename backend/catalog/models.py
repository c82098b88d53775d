from tortoise import fields
from tortoise.models import Model


class Hospital(Model):
    """A member hospital. `release_time` is when ordinary slots open, 7 days ahead (Asia/Shanghai)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=128)
    release_time = fields.CharField(max_length=5, default="13:00")
    status = fields.CharField(max_length=16, default="active")
    created_at = fields.DatetimeField()

    class Meta:
        table = "hospitals"


class Department(Model):
    id = fields.IntField(primary_key=True)
    hospital = fields.ForeignKeyField("models.Hospital", related_name="departments", on_delete=fields.CASCADE)
    code = fields.CharField(max_length=32)
    name = fields.CharField(max_length=128)
    status = fields.CharField(max_length=16, default="active")

    class Meta:
        table = "departments"
        unique_together = (("hospital", "code"),)


class Doctor(Model):
    id = fields.IntField(primary_key=True)
    hospital = fields.ForeignKeyField("models.Hospital", related_name="doctors", on_delete=fields.CASCADE)
    department = fields.ForeignKeyField("models.Department", related_name="doctors", on_delete=fields.CASCADE)
    code = fields.CharField(max_length=32)
    name = fields.CharField(max_length=64)
    title = fields.CharField(max_length=64, default="")
    status = fields.CharField(max_length=16, default="active")  # active | retired

    class Meta:
        table = "doctors"
        unique_together = (("hospital", "code"),)


class Schedule(Model):
    """One doctor session on a date (half-hour precision), with its stock and release times.

    `release_at`/`referral_release_at` are fixed when the schedule is created from the hospital
    release time, so a later change of that time does not move slots already announced.
    """

    id = fields.IntField(primary_key=True)
    hospital = fields.ForeignKeyField("models.Hospital", related_name="schedules", on_delete=fields.CASCADE)
    department = fields.ForeignKeyField("models.Department", related_name="schedules", on_delete=fields.CASCADE)
    doctor = fields.ForeignKeyField("models.Doctor", related_name="schedules", on_delete=fields.CASCADE)
    external_id = fields.CharField(max_length=64, null=True)
    date = fields.DateField()
    start = fields.CharField(max_length=5)
    end = fields.CharField(max_length=5)
    capacity = fields.IntField()
    referral_quota = fields.IntField(default=0)
    fee_fen = fields.IntField()
    status = fields.CharField(max_length=16, default="open")  # backend.catalog.rules.ScheduleStatus (stored)
    release_at = fields.DatetimeField()
    referral_release_at = fields.DatetimeField()
    created_at = fields.DatetimeField()
    suspended_at = fields.DatetimeField(null=True)
    suspend_reason = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "schedules"
        unique_together = (("hospital", "external_id"),)
        indexes = (("department_id", "date"), ("date", "end"))
