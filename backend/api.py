"""All routes under /api/v1, domain by domain."""

from __future__ import annotations

from sanic import Blueprint

from backend.cards.views import bp as cards
from backend.family.views import bp as family
from backend.health import bp as health
from backend.identity.views import bp as identity
from backend.sms.views import bp as sms


def api_v1(*, dev_helpers: bool) -> Blueprint:
    blueprints = [health, identity, sms, cards, family]
    if dev_helpers:
        from backend.dev.views import bp as dev

        blueprints.append(dev)
    return Blueprint.group(*blueprints, url_prefix="/api/v1")
