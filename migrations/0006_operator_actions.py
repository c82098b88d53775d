from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_trust')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OperatorAction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('operator', fields.ForeignKeyField('models.Operator', source_field='operator_id', null=True, db_constraint=True, to_field='id', related_name='actions', on_delete=OnDelete.SET_NULL)),
                ('actor', fields.CharField(max_length=80)),
                ('hospital', fields.ForeignKeyField('models.Hospital', source_field='hospital_id', null=True, db_constraint=True, to_field='id', related_name='operator_actions', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharField(max_length=48)),
                ('target_kind', fields.CharField(max_length=24)),
                ('target_id', fields.CharField(max_length=64)),
                ('change', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reason', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'operator_actions', 'app': 'models', 'indexes': [Index(fields=['hospital_id', 'at']), Index(fields=['target_kind', 'target_id']), Index(fields=['operator_id', 'at']), Index(fields=['action', 'at'])], 'pk_attr': 'id', 'table_description': 'One change made from the console or the command line: who (the operator, and `actor`,'},
            bases=['Model'],
        ),
    ]
