"""Codes sent through Tencent Cloud SMS's official SDK to a local stand-in that checks its signed
requests; a gateway failure is a clear 503 and costs the number none of its sends."""

import pytest

from backend.sms.providers import SmsUnavailable, TencentSender
from tests.standins.tencent_sms import TencentSmsStandIn
from tests.support import make_phone


@pytest.fixture(scope="module")
def tencent():
    server = TencentSmsStandIn().start()
    yield server
    server.stop()


def sender_for(server, **changes) -> TencentSender:
    config = dict(
        secret_id=server.secret_id,
        secret_key=server.secret_key,
        sdk_app_id=server.sdk_app_id,
        sign_name=server.sign_name,
        template_id=server.template_id,
        endpoint=server.endpoint,
    )
    config.update(changes)
    return TencentSender(**config)


@pytest.fixture
def via_tencent(deps, tencent):
    tencent.fail_with = None
    deps.sms = sender_for(tencent)
    yield tencent
    tencent.fail_with = None


async def test_the_sdk_request_is_signed_and_carries_template_and_signature(tencent):
    phone = make_phone()
    await sender_for(tencent).send(phone=phone, text="ignored by templates", params=["123456", "5"])
    sent = tencent.messages[-1]
    assert sent["PhoneNumberSet"] == ["+86" + phone] and sent["TemplateParamSet"] == ["123456", "5"]
    assert sent["SignName"] == "电子健康卡" and sent["TemplateId"] == tencent.template_id


async def test_a_wrong_secret_key_fails_the_signature_check(tencent):
    with pytest.raises(SmsUnavailable, match="AuthFailure.SignatureFailure"):
        await sender_for(tencent, secret_key="not-the-key").send(phone=make_phone(), text="", params=["1", "5"])
    assert tencent.refusals[-1] == "AuthFailure.SignatureFailure"


async def test_an_unapproved_template_is_refused(tencent):
    with pytest.raises(SmsUnavailable):
        await sender_for(tencent, template_id="999").send(phone=make_phone(), text="", params=["1", "5"])


async def test_the_resident_gets_the_code_that_the_gateway_delivered(client, deps, database, via_tencent, login):
    resident = await login()
    phone = make_phone()
    r = await resident.post("/api/v1/sms/codes", {"phone": phone, "purpose": "claim_card"})
    assert r.status == 202
    assert via_tencent.codes_for(phone) == [r.json["dev_code"]]


@pytest.mark.parametrize("failure", ["LimitExceeded.PhoneNumberDailyLimit", "http500"])
async def test_a_gateway_failure_is_a_503_and_does_not_use_up_the_quota(
    client, deps, database, via_tencent, login, failure
):
    resident = await login()
    phone = make_phone()
    via_tencent.fail_with = failure
    for _ in range(deps.settings.sms.daily_limit_per_phone + 2):
        r = await resident.post("/api/v1/sms/codes", {"phone": phone, "purpose": "claim_card"})
        assert r.status == 503 and r.json["error"]["code"] == "sms_unavailable", r.json
        assert phone not in r.text
    via_tencent.fail_with = None
    # neither the 60-second interval nor the daily count moved: the next send goes out at once
    r = await resident.post("/api/v1/sms/codes", {"phone": phone, "purpose": "claim_card"})
    assert r.status == 202, r.json
    code = r.json["dev_code"]
    # and the failed sends left no usable code behind
    assert via_tencent.codes_for(phone) == [code]
    r = await resident.post("/api/v1/sms/codes", {"phone": phone, "purpose": "claim_card"})
    assert r.status == 429 and r.json["error"]["rule"] == "sms_resend_interval"
