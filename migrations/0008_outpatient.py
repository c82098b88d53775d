from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_messages')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ChargeOrder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('hospital', fields.ForeignKeyField('models.Hospital', source_field='hospital_id', db_constraint=True, to_field='id', related_name='charge_orders', on_delete=OnDelete.CASCADE)),
                ('card', fields.ForeignKeyField('models.Card', source_field='card_id', db_constraint=True, to_field='id', related_name='charge_orders', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='charge_orders', on_delete=OnDelete.CASCADE)),
                ('amount_fen', fields.BigIntField()),
                ('status', fields.CharField(default='open', max_length=16)),
                ('out_trade_no', fields.CharField(null=True, max_length=32)),
                ('note', fields.CharField(null=True, max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outpatient_orders', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One WeChat Pay order for a selection of unpaid charges of one card at one hospital, the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Charge',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('hospital', fields.ForeignKeyField('models.Hospital', source_field='hospital_id', db_constraint=True, to_field='id', related_name='charges', on_delete=OnDelete.CASCADE)),
                ('charge_no', fields.CharField(max_length=32)),
                ('patient_id_hash', fields.CharField(db_index=True, max_length=64)),
                ('id_enc', fields.TextField(unique=False)),
                ('name_enc', fields.TextField(unique=False)),
                ('pii_ref', fields.CharField(max_length=16)),
                ('visit_no', fields.CharField(null=True, max_length=32)),
                ('department', fields.CharField(max_length=64)),
                ('doctor', fields.CharField(max_length=40)),
                ('ordered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('items', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('total_fen', fields.BigIntField()),
                ('pay_group', fields.CharField(null=True, max_length=32)),
                ('insurance', fields.BooleanField(default=False)),
                ('version', fields.IntField(default=1)),
                ('status', fields.CharField(default='unpaid', max_length=16)),
                ('open_order', fields.ForeignKeyField('models.ChargeOrder', source_field='open_order_id', null=True, db_constraint=True, to_field='id', related_name='open_charges', on_delete=OnDelete.SET_NULL)),
                ('paid_order', fields.ForeignKeyField('models.ChargeOrder', source_field='paid_order_id', null=True, db_constraint=True, to_field='id', related_name='paid_charges', on_delete=OnDelete.SET_NULL)),
                ('paid_fen', fields.BigIntField(null=True)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('transaction_id', fields.CharField(null=True, max_length=64)),
                ('refunded_fen', fields.BigIntField(default=0)),
                ('receipt_no', fields.CharField(null=True, max_length=64)),
                ('guide', fields.CharField(null=True, max_length=200)),
                ('acknowledged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('rejected_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reject_reason', fields.CharField(null=True, max_length=200)),
                ('voided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outpatient_charges', 'app': 'models', 'unique_together': (('hospital', 'charge_no'),), 'indexes': [Index(fields=['hospital_id', 'status', 'paid_at']), Index(fields=['status', 'paid_at'])], 'pk_attr': 'id', 'table_description': 'One outpatient order (处方, 检查/检验申请) the hospital system pushed, to be paid from the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChargeOrderLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.ChargeOrder', source_field='order_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('charge', fields.ForeignKeyField('models.Charge', source_field='charge_id', db_constraint=True, to_field='id', related_name='order_lines', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField()),
                ('amount_fen', fields.BigIntField()),
            ],
            options={'table': 'outpatient_order_lines', 'app': 'models', 'unique_together': (('order', 'charge'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChargeRefund',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('charge', fields.ForeignKeyField('models.Charge', source_field='charge_id', db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('amount_fen', fields.BigIntField()),
                ('reason', fields.CharField(max_length=200)),
                ('refund_no', fields.CharField(null=True, max_length=32)),
                ('payment_refund_id', fields.IntField(null=True, db_index=True)),
                ('status', fields.CharField(default='refunding', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outpatient_refunds', 'app': 'models', 'unique_together': (('charge', 'refund_no'),), 'pk_attr': 'id', 'table_description': 'Money given back for one paid charge: the hospital rejected it (all of it) or refunded'},
            bases=['Model'],
        ),
    ]
