"""An in-process HTTP client for the app that starts it once.

sanic-testing's asgi_client re-runs the app's start-up on every request, which is slow and not
safe under concurrent requests; this client finalises the app once, then sends every request
through httpx's ASGI transport, so hundreds of requests can really run at the same time.
Responses keep sanic-testing's shape: `_, response = await client.get(...)`, `response.status`,
`response.json`.
"""

from __future__ import annotations

import httpx
from sanic import Sanic
from sanic_testing.testing import TestingResponse


class AppClient:
    def __init__(self, app: Sanic, *, client_ip: str = "127.0.0.1"):
        self.app = app
        self._client_ip = client_ip
        self._http: httpx.AsyncClient | None = None

    async def start(self) -> "AppClient":
        Sanic.test_mode = True
        self.app.asgi = True
        self.app.router.reset()
        self.app.signal_router.reset()
        await self.app._startup()
        await self.app._server_event("init", "before")
        await self.app._server_event("init", "after")
        transport = httpx.ASGITransport(app=self.app, client=(self._client_ip, 50000))
        self._http = httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60)
        return self

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    def from_ip(self, ip: str) -> "AppClient":
        """A second client on the same started app, as seen from another address."""
        other = AppClient(self.app, client_ip=ip)
        other._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=(ip, 50000)), base_url="http://testserver", timeout=60
        )
        return other

    async def request(self, method: str, url: str, **kwargs):
        response = await self._http.request(method, url, **kwargs)
        response.__class__ = TestingResponse
        return None, response

    async def get(self, url, **kw):
        return await self.request("GET", url, **kw)

    async def post(self, url, **kw):
        return await self.request("POST", url, **kw)

    async def put(self, url, **kw):
        return await self.request("PUT", url, **kw)

    async def delete(self, url, **kw):
        return await self.request("DELETE", url, **kw)
