"""Mini-program login through wechatpy's real client (code2Session).

wechatpy is synchronous (requests); calls run in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import logging

from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

log = logging.getLogger("ehealth.wechat")

# errcodes of code2Session that mean "this code is no good", as opposed to "WeChat is down".
BAD_CODE_ERRCODES = {40029, 40163, 40226}


class LoginRejected(Exception):
    def __init__(self, errcode: int, errmsg: str):
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode


class LoginUnavailable(Exception):
    pass


class WeChatLogin:
    def __init__(self, *, appid: str, secret: str, api_base: str, access_token: str = "", timeout: float = 5.0):
        self.appid = appid
        self._secret = secret
        self._api_base = api_base.rstrip("/") + "/"
        self._access_token = access_token or None
        self._timeout = timeout

    @property
    def api_base(self) -> str:
        return self._api_base

    @property
    def secret(self) -> str:
        return self._secret

    def client(self, access_token: str | None = None) -> WeChatClient:
        # One client per call: requests.Session is not meant to be shared between threads. The
        # access token comes from backend.wechat.tokens (shared by all workers through Redis).
        client = WeChatClient(
            self.appid, self._secret, access_token=access_token or self._access_token, timeout=self._timeout
        )
        client.API_BASE_URL = self._api_base + "cgi-bin/"
        client.wxa.API_BASE_URL = self._api_base
        return client

    async def code_to_session(self, code: str, *, access_token: str | None = None) -> dict:
        def call() -> dict:
            return self.client(access_token=access_token).wxa.code_to_session(code)

        try:
            return await asyncio.to_thread(call)
        except WeChatClientException as exc:
            if exc.errcode in BAD_CODE_ERRCODES:
                raise LoginRejected(exc.errcode, exc.errmsg) from None
            log.warning("code2Session failed: errcode=%s", exc.errcode)
            raise LoginUnavailable(str(exc.errcode)) from None
        except Exception as exc:  # network and HTTP errors from requests
            log.warning("code2Session unreachable: %s", type(exc).__name__)
            raise LoginUnavailable(type(exc).__name__) from None
