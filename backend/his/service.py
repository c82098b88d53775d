"""Hospital systems' intake secrets: issue, rotate, read back for signature checks."""

from __future__ import annotations

import logging
import secrets

from tortoise.transactions import in_transaction

from backend.actions import service as actions
from backend.catalog.models import Hospital
from backend.clock import clock, iso
from backend.errors import NotFound
from backend.his.models import IntakeSecret

log = logging.getLogger("ehealth.his")

FIELD = "intake_secret"  # bound into the ciphertext: a value copied from another column fails


def dev_secret(hospital_code: str) -> str:
    """The fixed intake secret of a demo hospital in dev (SPEC: dev-his-<hospital code>)."""
    return f"dev-his-{hospital_code}"


async def store_secret(deps, *, hospital_id: int, secret: str) -> IntakeSecret:
    async with in_transaction() as conn:
        row = await IntakeSecret.select_for_update().using_db(conn).get_or_none(hospital_id=hospital_id)
        encrypted = deps.pii.encrypt(secret, field=FIELD)
        if row is None:
            row = await IntakeSecret.create(
                hospital_id=hospital_id, secret_enc=encrypted, issued_at=clock.now(), using_db=conn
            )
            action, change = "intake_secret.issue", {"version": [None, row.version]}
        else:
            change = {"version": [row.version, row.version + 1]}
            row.secret_enc, row.version, row.issued_at = encrypted, row.version + 1, clock.now()
            await row.save(using_db=conn, update_fields=["secret_enc", "version", "issued_at"])
            action = "intake_secret.rotate"
        # the version only: never the secret
        await actions.record(
            action, target=("hospital", hospital_id), hospital_id=hospital_id, change=change, using_db=conn
        )
    return row


async def issue_secret(*, deps, hospital_id: int) -> dict:
    """A new random secret for the hospital (the old one, if any, stops working at once).
    The answer is the only place it is ever shown."""
    hospital = await Hospital.get_or_none(id=hospital_id)
    if hospital is None:
        raise NotFound("no such hospital", code="hospital_not_found")
    secret = secrets.token_urlsafe(32)
    row = await store_secret(deps, hospital_id=hospital_id, secret=secret)
    log.info("intake secret issued hospital=%s version=%s", hospital_id, row.version)
    return {
        "hospital_id": hospital_id,
        "hospital_code": hospital.code,
        "secret": secret,
        "version": row.version,
        "issued_at": iso(row.issued_at),
    }


async def secret_of(deps, hospital_id: int) -> str | None:
    row = await IntakeSecret.get_or_none(hospital_id=hospital_id)
    return None if row is None else deps.pii.decrypt(row.secret_enc, field=FIELD)
