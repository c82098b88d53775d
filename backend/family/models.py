"""The family link is stored with cards (backend.cards.models.FamilyLink): it decides who may
use a card, which every domain asks. Re-exported here for the family package's callers."""

from backend.cards.models import FamilyLink

__all__ = ["FamilyLink"]
