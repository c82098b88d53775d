"""Patient: the caller's own card and the linked members' cards, identity masked as in the API
(no birth date or sex: both are read off the ID number the API masks)."""

from __future__ import annotations

from backend.cards import service as cards
from backend.fhir.registry import Caller, Provider, Search, SearchParam

CARD_SYSTEM = "urn:ehealth:card-id"


def patient_resource(card: dict) -> dict:
    return {
        "resourceType": "Patient",
        "id": card["card_id"],
        "identifier": [{"use": "secondary", "system": CARD_SYSTEM, "value": card["card_id"]}],
        "active": card["status"] == "active",
        "name": [{"use": "usual", "text": card["name_masked"]}],
        "telecom": [{"system": "phone", "value": card["phone_masked"], "use": "mobile"}],
    }


async def visible_cards(caller: Caller) -> list[dict]:
    return await cards.list_cards(deps=caller.deps, account_id=caller.account_id)


class PatientProvider(Provider):
    resource_type = "Patient"
    params = (SearchParam("_id", "token", "the card_id of one of the caller's own or linked cards"),)

    async def read(self, caller: Caller, resource_id: str) -> dict | None:
        found = [c for c in await visible_cards(caller) if c["card_id"] == resource_id]
        return patient_resource(found[0]) if found else None

    async def search(self, caller: Caller, search: Search) -> tuple[int, list[dict]]:
        found = await visible_cards(caller)
        if search.ids is not None:
            found = [c for c in found if c["card_id"] in search.ids]
        page = found[search.offset : search.offset + search.count]
        return len(found), [patient_resource(c) for c in page]
