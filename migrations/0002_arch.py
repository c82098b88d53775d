from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SweepMark',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'booking_sweeps', 'app': 'models', 'pk_attr': 'name', 'table_description': 'How far a periodic sweep has got (the no-show sweep: sessions ended up to `until` are'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Booking',
            index=Index(fields=['status', 'visit_date']),
        ),
        ops.AlterModelOptions(
            name='FamilyLink',
            options={'table': 'family_links', 'app': 'models', 'unique_together': (('account', 'active_card_id'),), 'pk_attr': 'id', 'table_description': 'A link from an account to the card of a family member (家人用卡). It lives with cards'},
        ),
        ops.AlterModelOptions(
            name='Payment',
            options={'table': 'payments', 'app': 'models', 'unique_together': (('purpose', 'subject'),), 'indexes': [Index(fields=['status', 'hold_expires_at'])], 'pk_attr': 'id', 'table_description': 'One WeChat Pay order for one `subject` of one `purpose` (backend.payments.purposes).'},
        ),
        ops.AlterField(
            model_name='Payment',
            name='card',
            field=fields.ForeignKeyField('models.Card', source_field='card_id', null=True, db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='Payment',
            name='hold_id',
            field=fields.CharField(null=True, unique=True, max_length=32),
        ),
        ops.AlterField(
            model_name='Payment',
            name='schedule',
            field=fields.ForeignKeyField('models.Schedule', source_field='schedule_id', null=True, db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.CASCADE),
        ),
        # Existing rows are all bookings: their purpose is booking and their subject their hold.
        # Added nullable, filled, then made NOT NULL (hand-written: a Python-side default alone
        # does not fill existing rows).
        ops.AddField(
            model_name='Payment',
            name='purpose',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='Payment',
            name='subject',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.RunSQL(
            [
                "UPDATE payments SET purpose = 'booking', subject = hold_id WHERE subject IS NULL",
                # a paid booking's payment was stored as 'booked'; payments now says 'paid' for every purpose
                "UPDATE payments SET status = 'paid' WHERE status = 'booked'",
                # bookings stayed 'confirmed' after check-in; their queue entry says what they are
                "UPDATE bookings SET status = 'checked_in' WHERE status = 'confirmed'"
                " AND id IN (SELECT booking_id FROM queue_entries)",
                "UPDATE bookings SET status = 'called' WHERE status = 'checked_in'"
                " AND id IN (SELECT booking_id FROM queue_entries WHERE status IN ('called', 'done'))",
            ],
            reverse_sql=["UPDATE payments SET status = 'booked' WHERE status = 'paid' AND purpose = 'booking'"],
        ),
        ops.AlterField(
            model_name='Payment',
            name='purpose',
            field=fields.CharField(default='booking', max_length=16),
        ),
        ops.AlterField(
            model_name='Payment',
            name='subject',
            field=fields.CharField(max_length=64),
        ),
        ops.AddIndex(
            model_name='Payment',
            index=Index(fields=['status', 'hold_expires_at']),
        ),
        ops.AddConstraint(
            model_name='Payment',
            constraint=UniqueConstraint(fields=('purpose', 'subject'), name=None),
        ),
        ops.AddIndex(
            model_name='Schedule',
            index=Index(fields=['date', 'end']),
        ),
    ]
