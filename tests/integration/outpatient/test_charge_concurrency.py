"""Two family members paying the same charges at the same moment, on real PostgreSQL row locks."""

import asyncio
from datetime import date

import pytest

from backend.clock import clock
from backend.outpatient.models import Charge, ChargeOrder
from backend.payments.models import Payment
from tests.integration.conftest import at
from tests.integration.outpatient.conftest import item

pytestmark = [pytest.mark.postgres_only]


async def test_two_family_members_paying_the_same_charges_at_once_make_exactly_one_order(
    his_for, resident_with_card, login, client
):
    clock.freeze(at(date(2026, 12, 10), "10:00"))
    his = await his_for()
    me = await resident_with_card()
    family = []
    for relation in ("parent", "child", "spouse"):
        member = await login()
        clock.advance(seconds=61)
        r = await member.add_member(name="张三", id_number=me.id_number, phone=me.phone, relation=relation)
        assert r.status == 201, r.json
        family.append(member)
    for n in range(3):
        assert (await his.push(f"CC{n}", me.id_number, [item(f"D{n}", quantity=1, price=1000 + n)])).status == 201
    charges = (await me.get(f"/api/v1/outpatient/charges?card_id={me.card_id}&status=unpaid")).json
    body = {
        "hospital_id": his.hospital["id"],
        "card_id": me.card_id,
        "charge_ids": [c["charge_id"] for c in charges],
        "versions": [c["version"] for c in charges],
    }
    # overlapping selections too: one charge alone, and all three
    lone = {**body, "charge_ids": body["charge_ids"][:1], "versions": body["versions"][:1]}

    async def pay(who, payload):
        _, r = await client.post("/api/v1/outpatient/payments", json=payload, headers=who.headers)
        return r

    for _ in range(3):  # several rounds: the winner of one is cleared away before the next
        results = await asyncio.gather(pay(me, body), pay(family[0], body), pay(family[1], lone), pay(family[2], body))
        statuses = sorted(r.status for r in results)
        assert statuses == [201, 409, 409, 409], [(r.status, r.text[:120]) for r in results]
        assert {r.json["error"]["code"] for r in results if r.status == 409} == {"charge_in_payment"}
        assert await ChargeOrder.filter(status="open").count() == 1
        assert await Payment.filter(purpose="charges", status="created").count() == 1
        opened = await ChargeOrder.get(status="open")
        assert await Charge.filter(open_order_id=opened.id).count() == len(
            next(r for r in results if r.status == 201).json["charge_ids"]
        )
        # the open order is closed by hand so the next round races for the same charges again
        await ChargeOrder.filter(id=opened.id).update(status="closed")
        await Charge.filter(open_order_id=opened.id).update(open_order_id=None)
        await Payment.filter(purpose="charges", status="created").update(status="closed")
