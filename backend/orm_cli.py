"""Config for Tortoise's migrations CLI (pyproject: [tool.tortoise]); only the CLI imports this.

tortoise makemigrations   # after changing models
tortoise migrate          # or: python -m backend migrate
"""

from backend.config import load_settings
from backend.db import tortoise_config

TORTOISE_ORM = tortoise_config(load_settings().database.url)
