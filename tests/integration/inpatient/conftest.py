"""A hospital system (HIS) that signs its requests with the hospital's intake secret."""

from __future__ import annotations

import json as jsonlib
from datetime import date, datetime

import pytest

from backend.clock import SHANGHAI, clock
from backend.staff.signing import sign


class HospitalSystem:
    def __init__(self, client, hospital: dict, secret: str):
        self.client, self.hospital, self.secret = client, hospital, secret
        self.code = hospital["code"]

    def headers(self, method: str, path: str, body: bytes, **overrides) -> dict:
        signed = sign("", self.secret, method, path, body, timestamp=int(clock.now().timestamp()))
        signed.pop("X-Terminal-Id")
        signed.update(overrides)
        return {**signed, "Content-Type": "application/json"}

    async def request(self, method: str, path: str, payload=None, *, raw: bytes | None = None, **overrides):
        body = (
            raw
            if raw is not None
            else (b"" if payload is None else jsonlib.dumps(payload, ensure_ascii=False).encode())
        )
        _, r = await self.client.request(
            method, path, content=body, headers=self.headers(method, path, body, **overrides)
        )
        return r

    def path(self, tail: str) -> str:
        return f"/api/v1/his/{self.code}{tail}"

    async def admit(
        self,
        admission_no: str,
        *,
        id_number: str,
        name: str = "张三",
        admitted: date | None = None,
        deposit_fen: int = 0,
        discharged_at: str | None = None,
        ward: str = "心内科一病区",
        bed: str = "12",
    ):
        admitted = admitted or clock.today()
        when = datetime(admitted.year, admitted.month, admitted.day, 9, 30, tzinfo=SHANGHAI).isoformat()
        return await self.request(
            "PUT",
            self.path(f"/admissions/{admission_no}"),
            {
                "id_number": id_number,
                "name": name,
                "ward": ward,
                "bed": bed,
                "admitted_at": when,
                "discharged_at": discharged_at,
                "deposit_fen": deposit_fen,
            },
        )

    async def push_day(self, admission_no: str, day: date, items: list):
        return await self.request(
            "PUT", self.path(f"/admissions/{admission_no}/days/{day.isoformat()}"), {"items": items}
        )


def item(code="X001", name="氯化钠注射液", category="drug", unit="瓶", quantity=1, price=350, amount=None) -> dict:
    from decimal import Decimal

    from backend.inpatient.rules import amount_fen

    return {
        "item_code": code,
        "name": name,
        "category": category,
        "unit": unit,
        "quantity": quantity,
        "unit_price_fen": price,
        "amount_fen": amount_fen(Decimal(str(quantity)), price) if amount is None else amount,
    }


@pytest.fixture
def his_for(catalog):
    async def make(hospital: dict | None = None) -> HospitalSystem:
        hospital = hospital or await catalog.hospital()
        r = await catalog.admin("POST", f"/admin/hospitals/{hospital['id']}/intake-secret")
        assert r.status == 201, r.json
        return HospitalSystem(catalog.client, hospital, r.json["secret"])

    return make
