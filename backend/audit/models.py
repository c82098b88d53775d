from tortoise import fields  # noqa: F401
from tortoise.models import Model  # noqa: F401
