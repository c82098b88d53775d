"""parse_notification: what WeChat Pay (here the stand-in) signs and encrypts is accepted, with
headers in any mapping; anything else raises InvalidNotification and nothing else."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from email.message import Message

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sanic.compat import Header

from backend.clock import SHANGHAI, clock
from backend.wechat.pay import InvalidNotification, PaymentNotification
from tests.unit.wechat.conftest import client_for

PAID_AT = datetime(2026, 3, 2, 13, 5, 7, tzinfo=SHANGHAI)


def transaction(standin, **changes) -> dict:
    resource = {
        "appid": standin.appid,
        "mchid": standin.mchid,
        "out_trade_no": "EH20260302130000abcdef",
        "transaction_id": "4200000000000000000000000001",
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "hold-1",
        "success_time": PAID_AT.isoformat(),
        "payer": {"openid": "o-payer"},
        "amount": {"total": 1500, "payer_total": 1500, "currency": "CNY", "payer_currency": "CNY"},
    }
    resource.update(changes)
    return resource


def notification(standin, resource=None, **encrypt) -> tuple[dict, bytes]:
    body = standin.encrypt_notification(resource or transaction(standin), notification_id="EV-1", **encrypt)
    return standin.sign_notification(body), body


def test_a_signed_encrypted_notification_is_accepted(pay, pay_standin):
    headers, body = notification(pay_standin)
    note = pay.parse_notification(headers, body)
    assert isinstance(note, PaymentNotification)
    assert note.id == "EV-1"
    assert note.event_type == "TRANSACTION.SUCCESS"
    assert note.out_trade_no == "EH20260302130000abcdef"
    assert note.transaction_id == "4200000000000000000000000001"
    assert note.trade_state == "SUCCESS"
    assert note.amount_fen == 1500 and note.payer_total_fen == 1500
    assert note.success_time == PAID_AT
    assert note.attach == "hold-1"
    assert note.openid == "o-payer"
    assert note.resource["bank_type"] == "OTHERS"


@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(dict, id="dict"),
        pytest.param(lambda h: {k.lower(): v for k, v in h.items()}, id="lowercase-dict"),
        pytest.param(lambda h: {k.upper(): v for k, v in h.items()}, id="uppercase-dict"),
        pytest.param(lambda h: Header({k.lower(): v for k, v in h.items()}), id="sanic-Header"),
        pytest.param(httpx.Headers, id="httpx-Headers"),
    ],
)
def test_headers_in_any_mapping_and_case(pay, pay_standin, wrap):
    headers, body = notification(pay_standin)
    assert pay.parse_notification(wrap(headers), body).out_trade_no == "EH20260302130000abcdef"


def test_stdlib_http_message_headers(pay, pay_standin):
    headers, body = notification(pay_standin)
    message = Message()
    for name, value in headers.items():
        message[name] = value
    assert pay.parse_notification(message, body).trade_state == "SUCCESS"


def test_body_as_str_or_bytes(pay, pay_standin):
    headers, body = notification(pay_standin)
    assert pay.parse_notification(headers, body.decode()).amount_fen == 1500
    assert pay.parse_notification(headers, bytearray(body)).amount_fen == 1500


def refused(pay, headers, body) -> str:
    with pytest.raises(InvalidNotification) as info:
        pay.parse_notification(headers, body)
    return str(info.value)


def flip(body: bytes, index: int) -> bytes:
    changed = bytearray(body)
    changed[index] ^= 0x01
    return bytes(changed)


def test_a_flipped_byte_anywhere_in_the_body_is_refused(pay, pay_standin):
    headers, body = notification(pay_standin)
    for index in (0, 5, len(body) // 3, len(body) // 2, len(body) - 40, len(body) - 1):
        refused(pay, headers, flip(body, index))


def test_a_flipped_byte_in_the_signature_is_refused(pay, pay_standin):
    headers, body = notification(pay_standin)
    signature = base64.b64decode(headers["Wechatpay-Signature"])
    bad = base64.b64encode(flip(signature, 10)).decode()
    assert "signature" in refused(pay, {**headers, "Wechatpay-Signature": bad}, body)
    refused(pay, {**headers, "Wechatpay-Signature": "not base64 !!"}, body)


def test_a_signature_by_another_key_is_refused(pay, pay_standin):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = pay_standin.encrypt_notification(transaction(pay_standin))
    headers = pay_standin.sign_notification(body, private_key=other)
    assert "signature" in refused(pay, headers, body)


def test_the_signature_covers_timestamp_and_nonce(pay, pay_standin):
    headers, body = notification(pay_standin)
    refused(pay, {**headers, "Wechatpay-Nonce": headers["Wechatpay-Nonce"] + "X"}, body)
    refused(pay, {**headers, "Wechatpay-Timestamp": str(int(headers["Wechatpay-Timestamp"]) - 1)}, body)


def test_an_unknown_serial_is_refused(pay, pay_standin):
    body = pay_standin.encrypt_notification(transaction(pay_standin))
    for serial in ("PUB_KEY_ID_0000999999999999999999999999", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"):
        assert "serial" in refused(pay, pay_standin.sign_notification(body, serial=serial), body).lower()
    refused(pay, {**pay_standin.sign_notification(body), "Wechatpay-Serial": ""}, body)


def test_a_resource_encrypted_with_another_apiv3_key_is_refused(pay, pay_standin):
    headers, body = notification(pay_standin, apiv3_key="0123456789abcdefghijklmnopqrstuv")
    assert "decrypt" in refused(pay, headers, body)


@pytest.mark.parametrize(
    "missing", ["Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial"]
)
def test_a_missing_header_is_refused(pay, pay_standin, missing):
    headers, body = notification(pay_standin)
    del headers[missing]
    assert missing in refused(pay, headers, body)


def test_no_headers_at_all_is_refused(pay, pay_standin):
    _, body = notification(pay_standin)
    refused(pay, {}, body)
    refused(pay, None, body)


def test_a_missing_signature_type_is_read_as_rsa_and_another_type_is_refused(pay, pay_standin):
    headers, body = notification(pay_standin)
    without = {k: v for k, v in headers.items() if k != "Wechatpay-Signature-Type"}
    assert pay.parse_notification(without, body).trade_state == "SUCCESS"
    refused(pay, {**headers, "Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"}, body)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="malformed-json"),
        pytest.param(b"[]", id="json-array"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff\xfe{}", id="not-utf8"),
        pytest.param(
            json.dumps({"id": "EV-2", "event_type": "TRANSACTION.SUCCESS", "resource_type": "plain"}).encode(),
            id="not-encrypted",
        ),
        pytest.param(
            json.dumps(
                {
                    "id": "EV-3",
                    "event_type": "TRANSACTION.SUCCESS",
                    "resource_type": "encrypt-resource",
                    "resource": {"algorithm": "AEAD_SM4_GCM", "nonce": "x", "ciphertext": "eA=="},
                }
            ).encode(),
            id="other-algorithm",
        ),
        pytest.param(
            json.dumps(
                {
                    "id": "EV-4",
                    "event_type": "TRANSACTION.SUCCESS",
                    "resource_type": "encrypt-resource",
                    "resource": {"algorithm": "AEAD_AES_256_GCM", "nonce": "abcdefabcdef", "ciphertext": "%%%"},
                }
            ).encode(),
            id="bad-base64",
        ),
    ],
)
def test_validly_signed_but_malformed_bodies_are_refused(pay, pay_standin, body):
    refused(pay, pay_standin.sign_notification(body), body)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"out_trade_no": None}, id="no-out_trade_no"),
        pytest.param({"amount": {"total": "1500"}}, id="amount-not-int"),
        pytest.param({"amount": None}, id="no-amount"),
        pytest.param({"transaction_id": None}, id="success-without-transaction_id"),
        pytest.param({"success_time": "yesterday"}, id="bad-success_time"),
        pytest.param({"success_time": "2026-03-02T13:05:07"}, id="success_time-without-offset"),
        pytest.param({"mchid": "1900000999"}, id="another-merchant"),
        pytest.param({"appid": "wxanotherapp"}, id="another-app"),
        pytest.param({"trade_state": None}, id="no-trade_state"),
    ],
)
def test_a_verified_notification_with_a_malformed_transaction_is_refused(pay, pay_standin, changes):
    resource = {k: v for k, v in transaction(pay_standin, **changes).items() if v is not None}
    headers, body = notification(pay_standin, resource)
    refused(pay, headers, body)


def test_a_decrypted_resource_that_is_not_json_is_refused(pay, pay_standin):
    import secrets

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = "abcdefghijkl"
    ciphertext = AESGCM(pay_standin.apiv3_key.encode()).encrypt(nonce.encode(), b"not json", b"transaction")
    body = json.dumps(
        {
            "id": "EV-" + secrets.token_hex(4),
            "event_type": "TRANSACTION.SUCCESS",
            "resource_type": "encrypt-resource",
            "resource": {
                "algorithm": "AEAD_AES_256_GCM",
                "nonce": nonce,
                "associated_data": "transaction",
                "ciphertext": base64.b64encode(ciphertext).decode(),
                "original_type": "transaction",
            },
        }
    ).encode()
    refused(pay, pay_standin.sign_notification(body), body)


def test_a_stale_or_future_timestamp_is_refused(pay, pay_standin):
    clock.set(datetime(2026, 3, 2, 13, 0, tzinfo=SHANGHAI), frozen=True)  # no second boundary mid-test
    body = pay_standin.encrypt_notification(transaction(pay_standin))
    now = int(clock.now().timestamp())
    assert "off" in refused(pay, pay_standin.sign_notification(body, timestamp=str(now - 301)), body)
    refused(pay, pay_standin.sign_notification(body, timestamp=str(now + 301)), body)
    refused(pay, pay_standin.sign_notification(body, timestamp="12ab"), body)
    assert pay.parse_notification(pay_standin.sign_notification(body, timestamp=str(now - 290)), body)


def test_the_timestamp_is_judged_by_the_service_clock(pay, pay_standin):
    clock.set(datetime(2026, 3, 2, 13, 0, tzinfo=SHANGHAI), frozen=True)
    headers, body = notification(pay_standin)  # stamped with the service clock
    assert pay.parse_notification(headers, body).trade_state == "SUCCESS"
    clock.advance(minutes=6)
    refused(pay, headers, body)
    # WeChat re-signs each retry: a late copy of the same notification is fresh again
    assert pay.parse_notification(pay_standin.sign_notification(body), body).id == "EV-1"


def test_the_freshness_check_can_be_turned_off(pay_standin):
    lenient = client_for(pay_standin, notification_max_skew_s=None)
    body = pay_standin.encrypt_notification(transaction(pay_standin))
    old = str(int((datetime.now(timezone.utc) - timedelta(days=2)).timestamp()))
    assert lenient.parse_notification(pay_standin.sign_notification(body, timestamp=old), body).amount_fen == 1500


def test_other_events_are_parsed_for_the_caller_to_ignore(pay, pay_standin):
    refund = {
        "mchid": pay_standin.mchid,
        "out_trade_no": "EH20260302130000abcdef",
        "transaction_id": "4200000000000000000000000001",
        "out_refund_no": "RF1",
        "refund_id": "50000000",
        "refund_status": "SUCCESS",
        "success_time": PAID_AT.isoformat(),
        "amount": {"total": 1500, "refund": 1500, "payer_total": 1500, "payer_refund": 1500},
    }
    headers, body = notification(
        pay_standin, refund, event_type="REFUND.SUCCESS", summary="退款成功", original_type="refund"
    )
    note = pay.parse_notification(headers, body)
    assert note.event_type == "REFUND.SUCCESS"
    assert note.trade_state is None
    assert note.resource["refund_status"] == "SUCCESS"


def test_a_client_with_another_platform_key_refuses_the_notification(pay_standin):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    from cryptography.hazmat.primitives import serialization

    pem = (
        other.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    wrong = client_for(pay_standin, public_key=pem)
    headers, body = notification(pay_standin)
    refused(wrong, headers, body)
