"""Referrals (家庭医生转诊): a family doctor's referral lets a card reach a hospital's (or a
department's) referral slots, released earlier than ordinary ones; the hold store keeps each card's
rights so the hold path never reads the database for them."""

from __future__ import annotations

from datetime import date, timedelta

from tortoise.transactions import in_transaction

from backend.actions import service as actions
from backend.booking import store
from backend.booking.models import Referral
from backend.cards import service as cards
from backend.cards.models import Card
from backend.catalog.models import Department, Hospital
from backend.clock import clock, iso, local_datetime, to_ms
from backend.errors import BadRequest, NotFound


async def cache_referral(deps, referral: Referral) -> None:
    field = f"d:{referral.department_id}" if referral.department_id else f"h:{referral.hospital_id}"
    valid_to = local_datetime(referral.valid_until + timedelta(days=1), "00:00")
    await store.set_referral(
        deps, card_pk=referral.card_id, field=field, valid_to_ms=to_ms(valid_to), now_ms=clock.now_ms()
    )


async def issue_referral(
    *, deps, card_id: str, hospital_id: int, department_id: int | None, valid_until: date, issued_by: str
) -> dict:
    card = await Card.get_or_none(card_id=card_id) if cards.rules.is_card_id(card_id) else None
    if card is None:
        raise NotFound("no such card", code="card_not_found")
    if not await Hospital.exists(id=hospital_id):
        raise NotFound("no such hospital", code="hospital_not_found")
    if department_id is not None and not await Department.exists(id=department_id, hospital_id=hospital_id):
        raise NotFound("no such department in this hospital", code="department_not_found")
    if valid_until < clock.today():
        raise BadRequest("valid_until: is in the past", code="invalid_referral")
    async with in_transaction() as conn:
        referral = await Referral.create(
            card_id=card.id,
            hospital_id=hospital_id,
            department_id=department_id,
            issued_by=issued_by,
            valid_until=valid_until,
            created_at=clock.now(),
            using_db=conn,
        )
        await actions.record(
            "referral.issue",
            target=("referral", referral.id),
            hospital_id=hospital_id,
            using_db=conn,
            change={
                "card_id": card.card_id,
                "department_id": department_id,
                "valid_until": valid_until,
                "issued_by": issued_by,
            },
        )
    await cache_referral(deps, referral)
    return {
        "id": referral.id,
        "card_id": card.card_id,
        "hospital_id": hospital_id,
        "department_id": department_id,
        "valid_until": valid_until.isoformat(),
        "issued_by": issued_by,
    }


def referral_view(r: Referral) -> dict:
    return {
        "id": r.id,
        "card_id": r.card.card_id,
        "hospital_id": r.hospital_id,
        "department_id": r.department_id,
        "valid_until": r.valid_until.isoformat(),
        "issued_by": r.issued_by,
        "created_at": iso(r.created_at),
        "revoked_at": iso(r.revoked_at),
    }


async def list_referrals(*, hospital_id: int | None, limit: int, offset: int) -> list[dict]:
    query = Referral.all() if hospital_id is None else Referral.filter(hospital_id=hospital_id)
    return [referral_view(r) for r in await query.order_by("-id").offset(offset).limit(limit).select_related("card")]


async def revoke_referral(*, deps, referral_id: int) -> dict:
    """Withdraw a referral: the card's referral rights in the hold store are rebuilt from the
    referrals that remain."""
    referral = await Referral.get_or_none(id=referral_id).select_related("card")
    if referral is None:
        raise NotFound("no such referral", code="referral_not_found")
    if referral.revoked_at is None:
        referral.revoked_at = clock.now()
        async with in_transaction() as conn:
            await referral.save(using_db=conn, update_fields=["revoked_at"])
            await actions.record(
                "referral.revoke",
                target=("referral", referral.id),
                hospital_id=referral.hospital_id,
                change={"revoked_at": [None, referral.revoked_at]},
                using_db=conn,
            )
        await store.forget_referrals(deps, card_pk=referral.card_id)
        for other in await Referral.filter(
            card_id=referral.card_id, revoked_at__isnull=True, valid_until__gte=clock.today()
        ):
            await cache_referral(deps, other)
    return referral_view(referral)
