from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('openid', fields.CharField(unique=True, max_length=64)),
                ('unionid', fields.CharField(null=True, max_length=64)),
                ('status', fields.CharField(default='active', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_login_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'accounts', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The account of a resident: one WeChat openid (per mini-program appid).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Card',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('card_id', fields.CharField(unique=True, max_length=64)),
                ('id_hash', fields.CharField(unique=True, max_length=64)),
                ('id_enc', fields.TextField(unique=False)),
                ('name_hash', fields.CharField(max_length=64)),
                ('name_enc', fields.TextField(unique=False)),
                ('phone_hash', fields.CharField(db_index=True, max_length=64)),
                ('phone_enc', fields.TextField(unique=False)),
                ('pii_ref', fields.CharField(max_length=16)),
                ('status', fields.CharField(default='active', max_length=16)),
                ('owner', fields.OneToOneField('models.Account', source_field='owner_id', null=True, db_constraint=True, to_field='id', related_name='own_card', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('card_id_issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'cards', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The electronic health card of one person, whose primary key is the master index (主索引).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FamilyLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='family_links', on_delete=OnDelete.CASCADE)),
                ('card', fields.ForeignKeyField('models.Card', source_field='card_id', db_constraint=True, to_field='id', related_name='family_links', on_delete=OnDelete.CASCADE)),
                ('active_card_id', fields.IntField(null=True)),
                ('relation', fields.CharField(max_length=16)),
                ('linked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'family_links', 'app': 'models', 'unique_together': (('account', 'active_card_id'),), 'pk_attr': 'id', 'table_description': 'A link from an account to the card of a family member (家人用卡).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RevokedCardId',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('old_card_id', fields.CharField(unique=True, max_length=64)),
                ('card', fields.ForeignKeyField('models.Card', source_field='card_id', db_constraint=True, to_field='id', related_name='revoked_ids', on_delete=OnDelete.CASCADE)),
                ('revoked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'revoked_card_ids', 'app': 'models', 'pk_attr': 'id', 'table_description': 'card_ids replaced by a reissue: their static codes are answered as revoked, not unknown.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sessions', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A bearer token, of which only the SHA-256 is stored.'},
            bases=['Model'],
        ),
    ]
