"""All routes under /api/v1, domain by domain."""

from __future__ import annotations

from sanic import Blueprint

from backend.audit.views import bp as audit
from backend.booking.views import bp as booking
from backend.cards.views import bp as cards
from backend.catalog.views import bp as catalog
from backend.console.views import bp as console
from backend.family.views import bp as family
from backend.health import bp as health
from backend.his.views import bp as his
from backend.identity.views import bp as identity
from backend.inpatient.views import bp as inpatient
from backend.notifications.views import bp as notifications
from backend.operators.views import bp as operators
from backend.outpatient.views import admin_bp as console_charges
from backend.outpatient.views import bp as outpatient
from backend.outpatient.views import his_bp as his_charges
from backend.payments.views import bp as payments
from backend.qr.views import bp as qr
from backend.queueing.views import bp as queueing
from backend.queueing.views import display_bp as queue_display
from backend.releases.views import bp as releases
from backend.reports.views import bp as reports
from backend.reports.views import his_bp as reports_his
from backend.sms.views import bp as sms
from backend.staff.views import bp as staff


def api_v1(*, dev_helpers: bool) -> Blueprint:
    blueprints = [
        health,
        identity,
        sms,
        cards,
        family,
        qr,
        catalog,
        booking,
        payments,
        queueing,
        staff,
        audit,
        notifications,
    ]
    blueprints += [inpatient, his, operators, console, queue_display]
    blueprints += [reports, reports_his]
    blueprints += [outpatient, his_charges, console_charges]
    blueprints.append(releases)
    if dev_helpers:
        from backend.dev.views import bp as dev  # dev/test only: never loaded in production

        blueprints.append(dev)
    return Blueprint.group(*blueprints, url_prefix="/api/v1")
