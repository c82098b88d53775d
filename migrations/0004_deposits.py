from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_bills')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Deposit',
            name='account',
            field=fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='deposits', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Deposit',
            name='card',
            field=fields.ForeignKeyField('models.Card', source_field='card_id', null=True, db_constraint=True, to_field='id', related_name='deposits', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Deposit',
            name='refund_reason',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='Deposit',
            name='refunded_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
