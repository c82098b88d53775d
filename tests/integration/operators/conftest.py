"""Operators logging in to the console: a platform operator and hospital admins."""

from __future__ import annotations

import itertools

import pytest

from tests.integration.conftest import ADMIN

_names = itertools.count(1)
PASSWORD = "correct horse 42"


class Console:
    def __init__(self, client, token: str, info: dict):
        self.client, self.token, self.info = client, token, info

    @property
    def headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    async def call(self, method: str, path: str, json=None, **kw):
        _, r = await self.client.request(
            method, "/api/v1" + path, json=json, headers={**self.headers, **kw.pop("headers", {})}, **kw
        )
        return r


@pytest.fixture
def operator_login(client):
    async def make(*, role: str = "platform", hospital_id: int | None = None) -> Console:
        username = f"op{next(_names)}"
        _, r = await client.post(
            "/api/v1/admin/operators",
            json={"username": username, "password": PASSWORD, "role": role, "hospital_id": hospital_id},
            headers=ADMIN,
        )
        assert r.status == 201, r.json
        _, r = await client.post("/api/v1/admin/login", json={"username": username, "password": PASSWORD})
        assert r.status == 200, r.json
        return Console(client, r.json["token"], r.json["operator"])

    return make
