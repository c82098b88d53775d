"""Fixtures shared by the integration tests: catalog set-up through the operator API, residents
with cards, paying through the WeChat Pay stand-in, and terminals that sign their requests."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest

from backend.clock import SHANGHAI, clock
from tests.support import make_id_number, make_phone

ADMIN = {"Authorization": "Bearer dev-admin-token"}
_codes = itertools.count(1)


class Catalog:
    """Sets up hospitals and sessions through the operator API, as an operator would."""

    def __init__(self, client):
        self.client = client

    async def admin(self, method: str, path: str, json=None):
        _, r = await self.client.request(method, "/api/v1" + path, json=json, headers=ADMIN)
        return r

    async def hospital(self, *, release_time: str = "13:00") -> dict:
        n = next(_codes)
        r = await self.admin(
            "POST", "/admin/hospitals", {"code": f"H{n}", "name": f"第{n}人民医院", "release_time": release_time}
        )
        assert r.status == 201, r.json
        return r.json

    async def department(self, hospital: dict) -> dict:
        n = next(_codes)
        r = await self.admin(
            "POST", f"/admin/hospitals/{hospital['id']}/departments", {"code": f"D{n}", "name": f"科室{n}"}
        )
        assert r.status == 201, r.json
        dept = r.json
        r = await self.admin(
            "POST",
            f"/admin/hospitals/{hospital['id']}/doctors",
            {"code": f"DR{n}", "name": f"医生{n}", "title": "主任医师", "department_code": dept["code"]},
        )
        assert r.status == 201, r.json
        dept["doctor_code"] = r.json["code"]
        return dept

    async def schedule(
        self,
        *,
        hospital=None,
        department=None,
        day: date | None = None,
        start="08:00",
        end="08:30",
        capacity=10,
        referral_quota=0,
        fee_fen=1500,
    ) -> dict:
        hospital = hospital or await self.hospital()
        department = department or await self.department(hospital)
        day = day or clock.today() + timedelta(days=7)
        item = {
            "department_code": department["code"],
            "doctor_code": department["doctor_code"],
            "date": day.isoformat(),
            "start": start,
            "end": end,
            "capacity": capacity,
            "referral_quota": referral_quota,
            "fee_fen": fee_fen,
        }
        r = await self.admin("POST", f"/admin/hospitals/{hospital['id']}/schedules/import", {"schedules": [item]})
        assert r.status == 201, r.json
        _, s = await self.client.get(f"/api/v1/schedules/{r.json['schedule_ids'][0]}")
        return {**s.json, "hospital": hospital, "department": department}


@pytest.fixture
def catalog(client):
    return Catalog(client)


@pytest.fixture
def resident_with_card(login):
    async def make(name: str = "张三"):
        me = await login()
        me.id_number, me.phone = make_id_number(), make_phone()
        r = await me.claim(name=name, id_number=me.id_number, phone=me.phone)
        assert r.status == 201, r.json
        me.card_id = r.json["card_id"]
        return me

    return make


def at(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=SHANGHAI)


class Payer:
    """Drives WeChat Pay as the mini-program and WeChat would: start the payment, pay in the
    stand-in, deliver the signed notification to the notify endpoint."""

    def __init__(self, client, deps):
        self.client, self.deps = client, deps

    @property
    def standin(self):
        return self.deps.standin.pay

    async def start(self, resident, hold_id: str):
        return await resident.post(f"/api/v1/holds/{hold_id}/payment")

    async def deliver(self, headers: dict, body: bytes):
        _, r = await self.client.post(
            "/api/v1/payments/wechat/notify", content=body, headers={**headers, "Content-Type": "application/json"}
        )
        return r

    async def pay(self, resident, hold_id: str):
        started = await self.start(resident, hold_id)
        assert started.status == 200, started.json
        headers, body = self.standin.complete_payment(started.json["out_trade_no"])
        r = await self.deliver(headers, body)
        assert r.status == 204, r.json
        return started.json["out_trade_no"]


@pytest.fixture
def payer(client, deps):
    return Payer(client, deps)


class Terminal:
    """A clinic terminal: registered by the operator API, signing every request (timestamps
    from the service clock, which the tests move)."""

    def __init__(self, client, registered: dict):
        self.client = client
        self.id = registered["id"]
        self.code = registered["terminal_code"]
        self.secret = registered["secret"]
        self.hospital_id = registered["hospital_id"]

    def headers(self, method: str, path: str, body: bytes, **overrides) -> dict:
        from backend.staff.signing import sign

        signed = sign(self.code, self.secret, method, path, body, timestamp=int(clock.now().timestamp()))
        signed.update(overrides)
        return {**signed, "Content-Type": "application/json"}

    async def post(self, path: str, payload=None, **overrides):
        import json as jsonlib

        body = b"" if payload is None else jsonlib.dumps(payload).encode()
        _, r = await self.client.post(path, content=body, headers=self.headers("POST", path, body, **overrides))
        return r

    async def scan(self, payload: str, purpose: str = "identify"):
        return await self.post("/api/v1/staff/scan", {"payload": payload, "purpose": purpose})

    async def check_in(self, payload: str, booking_id: int):
        return await self.post("/api/v1/staff/checkins", {"payload": payload, "booking_id": booking_id})

    async def call_next(self, schedule_id: int):
        return await self.post(f"/api/v1/staff/schedules/{schedule_id}/call-next")


@pytest.fixture
def terminal_for(catalog):
    async def make(hospital: dict, name: str = "门诊一楼自助机") -> Terminal:
        r = await catalog.admin("POST", "/admin/terminals", {"hospital_id": hospital["id"], "name": name})
        assert r.status == 201, r.json
        return Terminal(catalog.client, r.json)

    return make


async def dynamic_code(resident, card_id: str | None = None) -> str:
    r = await resident.get(f"/api/v1/cards/{card_id or resident.card_id}/qrcode?kind=dynamic")
    assert r.status == 200, r.json
    return r.json["payload"]


@pytest.fixture
def booked(catalog, payer):
    """A resident with a paid booking for `schedule`: returns the booking as the API shows it."""

    async def make(resident, schedule: dict) -> dict:
        r = await resident.post("/api/v1/holds", {"schedule_id": schedule["id"], "card_id": resident.card_id})
        assert r.status == 201, r.json
        otn = await payer.pay(resident, r.json["hold_id"])
        listed = (await resident.get("/api/v1/bookings")).json
        return next(b for b in listed if b["out_trade_no"] == otn)

    return make
