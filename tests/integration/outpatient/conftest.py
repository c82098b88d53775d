"""A hospital system pushing outpatient charges, and residents paying them through the stand-in."""

from __future__ import annotations

from datetime import datetime

import pytest

from backend.clock import SHANGHAI, clock
from tests.integration.inpatient.conftest import HospitalSystem, item

__all__ = ["item", "charge_body", "his_for"]


def charge_body(id_number: str, items: list | None = None, *, total_fen=None, **extra) -> dict:
    items = items if items is not None else [item("D001", name="阿莫西林胶囊", quantity=2, price=1250)]
    now = clock.now().astimezone(SHANGHAI)
    body = {
        "id_number": id_number,
        "name": "张三",
        "department": "呼吸内科",
        "doctor": "王医生",
        "ordered_at": datetime(now.year, now.month, now.day, 9, 5, tzinfo=SHANGHAI).isoformat(),
        "items": items,
        "total_fen": sum(i.get("amount_fen", 0) for i in items) if total_fen is None else total_fen,
    }
    body.update(extra)
    return body


class ChargingHospital(HospitalSystem):
    async def push(self, charge_no: str, id_number: str, items: list | None = None, **extra):
        return await self.request("PUT", self.path(f"/charges/{charge_no}"), charge_body(id_number, items, **extra))

    async def void(self, charge_no: str):
        return await self.request("DELETE", self.path(f"/charges/{charge_no}"))

    async def feed(self, after: str | None = None):
        return await self.request("GET", self.path("/charges/paid" + (f"?after={after}" if after else "")))

    async def ack(self, *entries: dict):
        return await self.request("POST", self.path("/charges/ack"), {"charges": list(entries)})

    async def reject(self, charge_no: str, reason: str = "医保结算失败"):
        return await self.request("POST", self.path(f"/charges/{charge_no}/reject"), {"reason": reason})

    async def refund(self, charge_no: str, amount_fen: int, reason: str = "未发药", refund_no: str | None = None):
        payload = {"amount_fen": amount_fen, "reason": reason}
        if refund_no is not None:
            payload["refund_no"] = refund_no
        return await self.request("POST", self.path(f"/charges/{charge_no}/refund"), payload)


@pytest.fixture
def his_for(catalog):
    async def make(hospital: dict | None = None) -> ChargingHospital:
        hospital = hospital or await catalog.hospital()
        r = await catalog.admin("POST", f"/admin/hospitals/{hospital['id']}/intake-secret")
        assert r.status == 201, r.json
        return ChargingHospital(catalog.client, hospital, r.json["secret"])

    return make
