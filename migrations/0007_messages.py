from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_operator_actions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SubscriptionAllowance',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='allowances', on_delete=OnDelete.CASCADE)),
                ('template_id', fields.CharField(max_length=64)),
                ('remaining', fields.IntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'subscription_allowances', 'app': 'models', 'unique_together': (('account', 'template_id'),), 'pk_attr': 'id', 'table_description': 'How many subscribe messages of one template the resident still allows: one more per'},
            bases=['Model'],
        ),
        ops.RemoveIndex(
            model_name='Notification',
            name=None,
            fields=['status', 'id'],
        ),
        ops.AlterModelOptions(
            name='Notification',
            options={'table': 'notifications', 'app': 'models', 'indexes': [Index(fields=['status', 'not_before']), Index(fields=['account_id', 'id']), Index(fields=['account_id', 'read_at'])], 'pk_attr': 'id', 'table_description': 'Outbox of messages to residents, and their inbox. Written in the same transaction as the'},
        ),
        ops.AddField(
            model_name='Notification',
            name='dedup_key',
            field=fields.CharField(null=True, unique=True, max_length=96),
        ),
        ops.AddField(
            model_name='Notification',
            name='errcode',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Notification',
            name='not_before',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Notification',
            name='read_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=Index(fields=['status', 'not_before']),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=Index(fields=['account_id', 'id']),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=Index(fields=['account_id', 'read_at']),
        ),
    ]
