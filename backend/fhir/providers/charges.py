"""ChargeItem: outpatient charges as the resident sees them in the API (own and linked cards;
voided charges are gone there, so here too). A card holds few charges: paged in memory."""

from __future__ import annotations

from datetime import datetime

from backend.errors import NotFound
from backend.fhir import params
from backend.fhir.providers.patient import visible_cards
from backend.fhir.registry import DATE, PATIENT, Caller, Provider, Search, SearchParam
from backend.outpatient import service as outpatient

# charge status -> R4 ChargeItem status (planned | billable | not-billable | aborted | billed |
# entered-in-error | unknown): the money taken is "billed" whether or not the hospital booked it
# yet; a charge the hospital gave all the money back for is "aborted".
CHARGE_STATUS = {
    "unpaid": "billable",
    "paid": "billed",
    "acknowledged": "billed",
    "rejected": "aborted",
    "refunded": "aborted",
    "voided": "entered-in-error",
}
CURRENCY = "CNY"

CODE = SearchParam(
    "code",
    "token",
    "a hospital item code on the charge (`code` or urn:ehealth:hospital:<hospital id>:item|code)",
)


def item_system(hospital_id: int) -> str:
    # item codes are each hospital's own, so the system names the hospital
    return f"urn:ehealth:hospital:{hospital_id}:item"


def yuan(fen: int) -> int | float:
    """An amount in integer fen as yuan: a whole number when it is one; otherwise fen/100, whose
    shortest decimal form (what JSON writes) is exactly the two-decimal amount."""
    return fen // 100 if fen % 100 == 0 else fen / 100


def money(fen: int) -> dict:
    return {"value": yuan(fen), "currency": CURRENCY}


def _quantity(value: float) -> int | float:
    return int(value) if value == int(value) else value


def _item_line(item: dict) -> str:
    return (
        f"{item['name']} {_quantity(item['quantity'])}{item['unit']} × {yuan(item['unit_price_fen']):.2f}元"
        f" = {yuan(item['amount_fen']):.2f}元"
    )


def chargeitem_resource(c: dict, card_id: str) -> dict:
    notes = [{"text": _item_line(item)} for item in c["items"]]
    if c["receipt_no"]:
        notes.append({"text": f"收据号 {c['receipt_no']}"})
    if c["guide"]:
        notes.append({"text": c["guide"]})
    if c["reject_reason"]:
        notes.append({"text": f"医院未能结算：{c['reject_reason']}"})
    if c["refunded_fen"]:
        notes.append({"text": f"已退款 {yuan(c['refunded_fen']):.2f}元"})
    system = item_system(c["hospital_id"])
    resource = {
        "resourceType": "ChargeItem",
        "id": str(c["charge_id"]),
        "identifier": [{"system": f"urn:ehealth:hospital:{c['hospital_id']}:charge", "value": c["charge_no"]}],
        "status": CHARGE_STATUS.get(c["status"], "unknown"),
        # the charge's lines as codings of its code, so that a search by item code finds what it shows
        "code": {
            "coding": [{"system": system, "code": item["item_code"], "display": item["name"]} for item in c["items"]],
            "text": f"{c['department']} 门诊缴费 {c['charge_no']}",
        },
        "subject": {"reference": f"Patient/{card_id}"},
        "occurrenceDateTime": c["ordered_at"],
        "performingOrganization": {"display": c["hospital_name"]},
        "enterer": {"display": c["doctor"]},
        "enteredDate": c["ordered_at"],
        "priceOverride": money(c["total_fen"]),
        "note": notes,
    }
    return resource


def _has_code(c: dict, tokens) -> bool:
    if not tokens:
        return True
    system = item_system(c["hospital_id"])
    codes = {item["item_code"] for item in c["items"]}
    return any(token.code in codes and token.system in (None, system) for token in tokens)


class ChargeItemProvider(Provider):
    resource_type = "ChargeItem"
    params = (PATIENT, DATE, CODE)

    async def _all(self, caller: Caller, search: Search) -> list[dict]:
        found: list[tuple[dict, str]] = []
        for card in await visible_cards(caller):
            if search.patients is not None and card["card_id"] not in search.patients:
                continue
            try:
                charges = await outpatient.list_charges(
                    account_id=caller.account_id, card_id=card["card_id"], status=None
                )
            except NotFound:  # a card the charges service will not show: none of its charges either
                continue
            found += [(c, card["card_id"]) for c in charges]
        found = [
            (c, card_id)
            for c, card_id in found
            if _has_code(c, search.codes) and params.in_bounds(datetime.fromisoformat(c["ordered_at"]), search.bounds)
        ]
        found.sort(key=lambda pair: (datetime.fromisoformat(pair[0]["ordered_at"]), pair[0]["charge_id"]), reverse=True)
        return [chargeitem_resource(c, card_id) for c, card_id in found]

    async def read(self, caller: Caller, resource_id: str) -> dict | None:
        found = [r for r in await self._all(caller, Search()) if r["id"] == resource_id]
        return found[0] if found else None

    async def search(self, caller: Caller, search: Search) -> tuple[int, list[dict]]:
        found = await self._all(caller, search)
        return len(found), found[search.offset : search.offset + search.count]
