from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_reports')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReleaseRoom',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('hospital', fields.OneToOneField('models.Hospital', source_field='hospital_id', db_constraint=True, to_field='id', related_name='release_room', on_delete=OnDelete.CASCADE)),
                ('enabled', fields.BooleanField(default=True)),
                ('rate_per_s', fields.IntField()),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'release_rooms', 'app': 'models', 'pk_attr': 'id', 'table_description': "A hospital's waiting-room settings (the room itself lives in Redis: backend/releases/lua)."},
            bases=['Model'],
        ),
    ]
