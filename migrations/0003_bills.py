from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_arch')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Admission',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('hospital', fields.ForeignKeyField('models.Hospital', source_field='hospital_id', db_constraint=True, to_field='id', related_name='admissions', on_delete=OnDelete.CASCADE)),
                ('admission_no', fields.CharField(max_length=32)),
                ('patient_id_hash', fields.CharField(db_index=True, max_length=64)),
                ('id_enc', fields.TextField(unique=False)),
                ('name_enc', fields.TextField(unique=False)),
                ('pii_ref', fields.CharField(max_length=16)),
                ('ward', fields.CharField(max_length=64)),
                ('bed', fields.CharField(max_length=16)),
                ('admitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('discharged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('deposit_fen', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'admissions', 'app': 'models', 'unique_together': (('hospital', 'admission_no'),), 'pk_attr': 'id', 'table_description': 'A hospital stay (住院) as reported by the hospital system. The patient is named by the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BillDay',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('admission', fields.ForeignKeyField('models.Admission', source_field='admission_id', db_constraint=True, to_field='id', related_name='days', on_delete=OnDelete.CASCADE)),
                ('date', fields.DateField()),
                ('item_count', fields.IntField()),
                ('subtotal_fen', fields.BigIntField()),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'bill_days', 'app': 'models', 'unique_together': (('admission', 'date'),), 'pk_attr': 'id', 'table_description': 'One day of charges of an admission. A day sent again replaces the row and its items.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BillItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.ForeignKeyField('models.BillDay', source_field='day_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('item_code', fields.CharField(max_length=32)),
                ('name', fields.CharField(max_length=128)),
                ('category', fields.CharField(max_length=16)),
                ('unit', fields.CharField(max_length=16)),
                ('quantity', fields.DecimalField(max_digits=12, decimal_places=3)),
                ('unit_price_fen', fields.BigIntField()),
                ('amount_fen', fields.BigIntField()),
            ],
            options={'table': 'bill_items', 'app': 'models', 'indexes': [Index(fields=['day_id', 'position'])], 'pk_attr': 'id', 'table_description': 'One charge line. A negative quantity is a return (退药, 退费) with a negative amount.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Deposit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('admission', fields.ForeignKeyField('models.Admission', source_field='admission_id', db_constraint=True, to_field='id', related_name='deposits', on_delete=OnDelete.CASCADE)),
                ('amount_fen', fields.BigIntField()),
                ('status', fields.CharField(default='created', max_length=16)),
                ('out_trade_no', fields.CharField(null=True, unique=True, max_length=32)),
                ('transaction_id', fields.CharField(null=True, unique=True, max_length=64)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('acknowledged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inpatient_deposits', 'app': 'models', 'indexes': [Index(fields=['status', 'acknowledged_at'])], 'pk_attr': 'id', 'table_description': 'An online deposit top-up (预缴金). Counts in prepaid_fen once paid, and is offered on'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IntakeSecret',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('hospital', fields.OneToOneField('models.Hospital', source_field='hospital_id', db_constraint=True, to_field='id', related_name='intake_secret', on_delete=OnDelete.CASCADE)),
                ('secret_enc', fields.TextField(unique=False)),
                ('version', fields.IntField(default=1)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'his_intake_secrets', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The intake secret of a hospital system (HIS), stored encrypted with the identity-data cipher'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Operator',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('password_hash', fields.CharField(max_length=255)),
                ('role', fields.CharField(max_length=16)),
                ('hospital', fields.ForeignKeyField('models.Hospital', source_field='hospital_id', null=True, db_constraint=True, to_field='id', related_name='operators', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(default='active', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'operators', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A console user: a platform operator (everything) or a hospital admin (one hospital).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OperatorSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('operator', fields.ForeignKeyField('models.Operator', source_field='operator_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'operator_sessions', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A console bearer token, of which only the SHA-256 is stored.'},
            bases=['Model'],
        ),
        # Existing doctors are active: added nullable, filled, then made NOT NULL (a Python-side
        # default alone does not fill existing rows).
        ops.AddField(
            model_name='Doctor',
            name='status',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.RunSQL(["UPDATE doctors SET status = 'active' WHERE status IS NULL"], reverse_sql=[]),
        ops.AlterField(
            model_name='Doctor',
            name='status',
            field=fields.CharField(default='active', max_length=16),
        ),
    ]
