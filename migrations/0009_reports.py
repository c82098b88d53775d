from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_outpatient')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Report',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('hospital', fields.ForeignKeyField('models.Hospital', source_field='hospital_id', db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.CASCADE)),
                ('report_no', fields.CharField(max_length=32)),
                ('patient_id_hash', fields.CharField(max_length=64)),
                ('id_enc', fields.TextField(unique=False)),
                ('name_enc', fields.TextField(unique=False)),
                ('pii_ref', fields.CharField(max_length=16)),
                ('kind', fields.CharField(max_length=16)),
                ('code', fields.CharField(null=True, max_length=32)),
                ('code_system', fields.CharField(null=True, max_length=8)),
                ('title', fields.CharField(max_length=128)),
                ('department', fields.CharField(max_length=64)),
                ('doctor', fields.CharField(max_length=40)),
                ('specimen', fields.CharField(null=True, max_length=64)),
                ('ordered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('collected_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reported_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('effective_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(max_length=16)),
                ('conclusion', fields.TextField(null=True, unique=False)),
                ('sensitive', fields.BooleanField(default=False)),
                ('has_critical', fields.BooleanField(default=False)),
                ('version', fields.IntField(default=1)),
                ('amended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('first_received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('received_on', fields.DateField()),
                ('visible_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_on', fields.DateField(null=True)),
            ],
            options={'table': 'reports', 'app': 'models', 'unique_together': (('hospital', 'report_no'),), 'indexes': [Index(fields=['patient_id_hash', 'status', 'reported_at']), Index(fields=['hospital_id', 'received_on'])], 'pk_attr': 'id', 'table_description': 'A lab, imaging, pathology or exam report (检验/检查报告) as the hospital system sent it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReportPdf',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('report', fields.OneToOneField('models.Report', source_field='report_id', db_constraint=True, to_field='id', related_name='pdf', on_delete=OnDelete.CASCADE)),
                ('content', fields.BinaryField()),
                ('size', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('uploaded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'report_pdfs', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The rendered report, kept in the database with the report: a restore of the database'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReportResult',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('report', fields.ForeignKeyField('models.Report', source_field='report_id', db_constraint=True, to_field='id', related_name='results', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('code', fields.CharField(max_length=32)),
                ('loinc', fields.CharField(null=True, max_length=10)),
                ('name', fields.CharField(max_length=128)),
                ('value_type', fields.CharField(max_length=8)),
                ('value', fields.CharField(max_length=512)),
                ('unit', fields.CharField(null=True, max_length=32)),
                ('reference_range', fields.CharField(null=True, max_length=64)),
                ('reference_low', fields.CharField(null=True, max_length=24)),
                ('reference_high', fields.CharField(null=True, max_length=24)),
                ('flag', fields.CharField(max_length=16)),
            ],
            options={'table': 'report_results', 'app': 'models', 'unique_together': (('report', 'position'),), 'pk_attr': 'id', 'table_description': 'One result line (OBX in HL7 v2 terms): a number with its unit and range, or a text.'},
            bases=['Model'],
        ),
    ]
