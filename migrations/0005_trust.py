from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_deposits')]

    initial = False

    operations = [
        ops.AddField(
            model_name='FamilyLink',
            name='ended_by',
            field=fields.CharField(null=True, max_length=8),
        ),
    ]
