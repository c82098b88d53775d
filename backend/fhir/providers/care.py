"""Appointment (bookings) and Encounter (inpatient admissions), from their domains' services.
An account holds few of either, so these page in memory over the service's list."""

from __future__ import annotations

from datetime import datetime

from backend.booking import service as booking
from backend.clock import SHANGHAI
from backend.fhir import params
from backend.fhir.providers.patient import visible_cards
from backend.fhir.registry import DATE, PATIENT, Caller, Provider, Search
from backend.inpatient import service as inpatient

APPOINTMENT_STATUS = {
    "confirmed": "booked",
    "checked_in": "checked-in",
    "called": "arrived",
    "no_show": "noshow",
    "cancelled": "cancelled",
    "suspended": "cancelled",
}


def _page(items: list, search: Search) -> list:
    return items[search.offset : search.offset + search.count]


def _local(day: str, hh_mm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hh_mm}:00").replace(tzinfo=SHANGHAI)


def appointment_resource(b: dict) -> dict:
    s = b["schedule"]
    start, end = _local(s["date"], s["start"]), _local(s["date"], s["end"])
    resource = {
        "resourceType": "Appointment",
        "id": str(b["id"]),
        "status": APPOINTMENT_STATUS.get(b["status"], "booked"),
        "serviceType": [{"text": s["department"]["name"]}],
        "description": f"{s['hospital']['name']} {s['department']['name']} {s['doctor']['name']}",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "created": b["created_at"],
        "participant": [
            {"actor": {"reference": f"Patient/{b['card_id']}"}, "status": "accepted"},
            {"actor": {"display": f"{s['doctor']['name']} {s['doctor']['title']}"}, "status": "accepted"},
            {"actor": {"display": s["hospital"]["name"]}, "status": "accepted"},
        ],
    }
    if b.get("visit_number") is not None:
        resource["identifier"] = [{"system": "urn:ehealth:visit-number", "value": str(b["visit_number"])}]
    if b["status"] in ("cancelled", "suspended"):
        resource["cancelationReason"] = {"text": "停诊" if b["status"] == "suspended" else "退号"}
    return resource


class AppointmentProvider(Provider):
    resource_type = "Appointment"
    params = (PATIENT, DATE)

    async def _all(self, caller: Caller, search: Search) -> list[dict]:
        found = await booking.list_bookings(deps=caller.deps, account_id=caller.account_id)
        if search.patients is not None:
            found = [b for b in found if b["card_id"] in search.patients]
        resources = [appointment_resource(b) for b in found]
        return [r for r in resources if params.in_bounds(datetime.fromisoformat(r["start"]), search.bounds)]

    async def read(self, caller: Caller, resource_id: str) -> dict | None:
        found = [r for r in await self._all(caller, Search()) if r["id"] == resource_id]
        return found[0] if found else None

    async def search(self, caller: Caller, search: Search) -> tuple[int, list[dict]]:
        found = await self._all(caller, search)
        return len(found), _page(found, search)


def encounter_id(hospital_id: int, admission_no: str) -> str:
    # FHIR ids allow [A-Za-z0-9.-]; admission numbers [A-Za-z0-9_-], so "_" is written "."
    return f"{hospital_id}-{admission_no.replace('_', '.')}"


def encounter_resource(a: dict, card_id: str) -> dict:
    resource = {
        "resourceType": "Encounter",
        "id": encounter_id(a["hospital_id"], a["admission_no"]),
        "identifier": [{"system": f"urn:ehealth:hospital:{a['hospital_id']}:admission", "value": a["admission_no"]}],
        "status": "finished" if a["discharged"] else "in-progress",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "IMP",
            "display": "inpatient encounter",
        },
        "subject": {"reference": f"Patient/{card_id}"},
        "period": {"start": a["admitted_at"], **({"end": a["discharged_at"]} if a["discharged_at"] else {})},
        "location": [{"location": {"display": f"{a['ward']} {a['bed']}床"}}],
        "serviceProvider": {"display": a["hospital_name"]},
    }
    return resource


class EncounterProvider(Provider):
    resource_type = "Encounter"
    params = (PATIENT, DATE)

    async def _all(self, caller: Caller, search: Search) -> list[dict]:
        resources = []
        for card in await visible_cards(caller):
            if search.patients is not None and card["card_id"] not in search.patients:
                continue
            for a in await inpatient.list_admissions(
                deps=caller.deps, account_id=caller.account_id, card_id=card["card_id"]
            ):
                resources.append(encounter_resource(a, card["card_id"]))
        resources.sort(key=lambda r: r["period"]["start"], reverse=True)
        return [r for r in resources if params.in_bounds(datetime.fromisoformat(r["period"]["start"]), search.bounds)]

    async def read(self, caller: Caller, resource_id: str) -> dict | None:
        found = [r for r in await self._all(caller, Search()) if r["id"] == resource_id]
        return found[0] if found else None

    async def search(self, caller: Caller, search: Search) -> tuple[int, list[dict]]:
        found = await self._all(caller, search)
        return len(found), _page(found, search)
