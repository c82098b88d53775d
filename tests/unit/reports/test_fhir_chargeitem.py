"""ChargeItem from a resident's view of a charge (pure): R4 statuses, money in yuan from fen."""

import pytest
from fhir.resources.R4B.chargeitem import ChargeItem

from backend.fhir.providers.charges import CHARGE_STATUS, chargeitem_resource, yuan
from backend.outpatient.rules import ChargeStatus

R4_STATUSES = {"planned", "billable", "not-billable", "aborted", "billed", "entered-in-error", "unknown"}


@pytest.mark.parametrize(
    ("fen", "shown"), [(0, "0"), (1, "0.01"), (10, "0.1"), (3305, "33.05"), (2500, "25"), (123456789, "1234567.89")]
)
def test_yuan_is_exactly_fen_over_a_hundred(fen, shown):
    assert repr(yuan(fen)) == shown


def test_every_charge_status_has_an_r4_status():
    assert set(CHARGE_STATUS) == {s.value for s in ChargeStatus}
    assert set(CHARGE_STATUS.values()) <= R4_STATUSES


def test_a_charge_validates_as_r4_chargeitem():
    charge = {
        "charge_id": 7,
        "hospital_id": 3,
        "hospital_name": "市一医院",
        "charge_no": "CF_1",
        "department": "呼吸内科",
        "doctor": "王医生",
        "ordered_at": "2026-12-10T09:05:00+08:00",
        "items": [
            {
                "item_code": "D001",
                "name": "阿莫西林胶囊",
                "category": "drug",
                "unit": "盒",
                "quantity": 1.5,
                "unit_price_fen": 1250,
                "amount_fen": 1875,
            }
        ],
        "total_fen": 1875,
        "status": "refunded",
        "receipt_no": None,
        "guide": None,
        "reject_reason": None,
        "refunded_fen": 1875,
    }
    resource = chargeitem_resource(charge, "C123")
    ChargeItem.model_validate(resource)
    assert resource["status"] == "aborted" and resource["priceOverride"] == {"value": 18.75, "currency": "CNY"}
    assert [n["text"] for n in resource["note"]] == ["阿莫西林胶囊 1.5盒 × 12.50元 = 18.75元", "已退款 18.75元"]
