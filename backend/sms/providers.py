"""SMS delivery. `TencentSender` sends through Tencent Cloud SMS with its official SDK
(tencentcloud-sdk-python-sms, TC3-HMAC-SHA256 signed requests), with the signature (签名) and
template (模板) registered in the Tencent Cloud console; the console provider writes the message
to the log for development (production refuses it, see backend.prod_checks)."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

log = logging.getLogger("ehealth.sms")


class SmsUnavailable(Exception):
    """The gateway did not take the message (down, refused, misconfigured). Never carries the
    number or the text."""


class SmsSender(Protocol):
    async def send(self, *, phone: str, text: str, params: list[str] | None = None) -> None: ...


class ConsoleSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, *, phone: str, text: str, params: list[str] | None = None) -> None:
        self.sent.append((phone, text))
        # the log scrubber masks the number; the text holds the code, which is the point in dev
        log.info("SMS to %s: %s", phone, text)


class TencentSender:
    """Tencent Cloud SMS (API 2021-01-11, SendSms). The template takes the code and its
    validity in minutes: e.g. "验证码{1}，{2}分钟内有效，请勿告诉他人。"."""

    API_VERSION = "2021-01-11"

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        template_id: str,
        region: str = "ap-guangzhou",
        endpoint: str = "",
        timeout_s: int = 5,
    ) -> None:
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        http = HttpProfile(reqTimeout=timeout_s)
        if endpoint:  # "host[:port]" or "http://host:port" (a local stand-in in tests)
            scheme, _, host = endpoint.rpartition("://")
            http.endpoint = host
            if scheme:
                http.protocol = http.scheme = scheme
        profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http)
        self._client = sms_client.SmsClient(credential.Credential(secret_id, secret_key), region, profile)
        self._sdk_app_id, self._sign_name, self._template_id = sdk_app_id, sign_name, template_id

    @classmethod
    def from_settings(cls, settings) -> "TencentSender":
        return cls(
            secret_id=settings.sms.tencent.secret_id,
            secret_key=settings.sms.tencent.secret_key,
            sdk_app_id=settings.sms.tencent.sdk_app_id,
            sign_name=settings.sms.tencent.sign_name,
            template_id=settings.sms.tencent.template_id,
            region=settings.sms.tencent.region,
            endpoint=settings.sms.tencent.endpoint,
        )

    def _send_sync(self, phone: str, params: list[str]) -> None:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.SmsSdkAppId = self._sdk_app_id
        request.SignName = self._sign_name
        request.TemplateId = self._template_id
        request.TemplateParamSet = params
        request.PhoneNumberSet = ["+86" + phone]
        try:
            response = self._client.SendSms(request)
        except TencentCloudSDKException as exc:
            raise SmsUnavailable(f"gateway error {exc.get_code()}") from None
        statuses = response.SendStatusSet or []
        if not statuses or statuses[0].Code != "Ok":
            raise SmsUnavailable(f"gateway refused: {statuses[0].Code if statuses else 'no status'}")

    async def send(self, *, phone: str, text: str, params: list[str] | None = None) -> None:
        # the SDK is synchronous (requests): a worker thread keeps the event loop serving
        await asyncio.to_thread(self._send_sync, phone, list(params or []))


def make_sender(name: str, settings=None) -> SmsSender:
    if name == "console":
        return ConsoleSender()
    if name == "tencent":
        return TencentSender.from_settings(settings)
    raise ValueError(f"unknown SMS provider {name!r}")
