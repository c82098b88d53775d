"""The read-only FHIR R4 interface: every response parsed with fhir.resources' R4B models."""

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from fhir.resources.R4B import get_fhir_model_class

from backend.clock import clock
from tests.integration.conftest import at
from tests.integration.reports.conftest import PDF, blood_count, imaging
from tests.support import make_id_number

TODAY = date(2026, 12, 10)
FHIR = "/fhir/R4"


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(at(TODAY, "10:00"))


def validated(r, status: int = 200) -> dict:
    """The response as FHIR: right status and media type, and a resource the R4B models accept."""
    assert r.status == status, r.text
    assert r.headers["content-type"].startswith("application/fhir+json"), r.headers["content-type"]
    body = r.json
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    return body


async def fhir(resident, path: str, status: int = 200) -> dict:
    return validated(await resident.get(FHIR + path), status)


def ids(bundle: dict) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


async def test_metadata_lists_exactly_what_is_served(client):
    _, r = await client.get(FHIR + "/metadata")
    statement = validated(r)
    assert statement["fhirVersion"] == "4.0.1" and statement["format"] == ["json"]
    served = {res["type"]: res for res in statement["rest"][0]["resource"]}
    assert set(served) == {"Patient", "Appointment", "Encounter", "DiagnosticReport", "Observation", "ChargeItem"}
    assert {p["name"] for p in served["Observation"]["searchParam"]} == {
        "patient",
        "category",
        "code",
        "date",
        "_count",
        "_offset",
    }
    assert {p["name"] for p in served["ChargeItem"]["searchParam"]} == {"patient", "date", "code", "_count", "_offset"}
    assert all([i["code"] for i in res["interaction"]] == ["read", "search-type"] for res in served.values())


async def test_patients_are_the_callers_cards_masked(resident_with_card, login):
    me, other = await resident_with_card(), await resident_with_card("李四")
    bundle = await fhir(me, "/Patient")
    assert bundle["type"] == "searchset" and bundle["total"] == 1 and ids(bundle) == [me.card_id]
    patient = bundle["entry"][0]["resource"]
    assert patient["name"][0]["text"] == "张*" and "birthDate" not in patient
    assert me.id_number not in str(bundle) and me.phone not in str(bundle)
    assert (await fhir(me, f"/Patient/{me.card_id}"))["id"] == me.card_id
    outcome = await fhir(me, f"/Patient/{other.card_id}", 404)
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "not-found"
    assert (await fhir(me, f"/Patient?_id={other.card_id}"))["total"] == 0


async def _world(reports_his, resident_with_card, login):
    his, me = await reports_his(), await resident_with_card()
    family = await login()
    clock.advance(seconds=61)
    r = await family.add_member(name="张三", id_number=me.id_number, phone=me.phone, relation="parent")
    assert r.status == 201, r.json
    # five blood counts over five days, an imaging report with its PDF, a sensitive pathology report
    for day in range(5):
        when = clock.now() - timedelta(days=day, hours=1)
        await his.push_report(
            f"L{day}",
            blood_count(
                me.id_number,
                reported_at=when.isoformat(),
                collected_at=(when - timedelta(hours=1)).isoformat(),
                ordered_at=None,
            ),
        )
    await his.push_report("I1", imaging(me.id_number))
    await his.push_pdf("I1", PDF)
    await his.push_report("P1", imaging(me.id_number, kind="pathology", title="病理报告", sensitive=True))
    await his.push_report("X1", blood_count(make_id_number()))  # someone else's
    return his, me, family


async def test_diagnostic_reports_search_read_and_page(reports_his, resident_with_card, login, client):
    his, me, family = await _world(reports_his, resident_with_card, login)
    everything = await fhir(me, f"/DiagnosticReport?patient=Patient/{me.card_id}")
    assert everything["total"] == 7
    labs = await fhir(me, "/DiagnosticReport?category=LAB")
    assert labs["total"] == 5
    coded = await fhir(me, "/DiagnosticReport?code=http://loinc.org|58410-2")
    assert coded["total"] == 5
    assert (await fhir(me, "/DiagnosticReport?code=http://snomed.info/sct|58410-2"))["total"] == 0
    radiology = await fhir(me, "/DiagnosticReport?category=http://terminology.hl7.org/CodeSystem/v2-0074|RAD")
    report = radiology["entry"][0]["resource"]
    assert radiology["total"] == 1 and report["presentedForm"][0]["contentType"] == "application/pdf"
    _, pdf = await client.get(
        urlsplit(report["presentedForm"][0]["url"]).path + "?" + urlsplit(report["presentedForm"][0]["url"]).query
    )
    assert pdf.status == 200 and pdf.body == PDF
    # dates with prefixes, in Asia/Shanghai days: collected on the 8th, 9th and 10th
    window = await fhir(me, "/DiagnosticReport?category=LAB&date=ge2026-12-08&date=le2026-12-10")
    assert window["total"] == 3
    assert (await fhir(me, "/DiagnosticReport?category=LAB&date=2026-12-09"))["total"] == 1
    assert (await fhir(me, "/DiagnosticReport?category=LAB&date=lt2026-12-07"))["total"] == 1
    # paging: 7 reports in pages of 3, following the next links
    seen, url, pages = [], f"{FHIR}/DiagnosticReport?_count=3", 0
    while url:
        page = validated(await me.get(url))
        assert page["total"] == 7 and len(page["entry"]) <= 3
        assert next(x for x in page["link"] if x["relation"] == "self")
        seen += ids(page)
        following = [x["url"] for x in page["link"] if x["relation"] == "next"]
        url = urlsplit(following[0]).path + "?" + urlsplit(following[0]).query if following else None
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 7
    assert (await fhir(me, "/DiagnosticReport?_count=0"))["total"] == 7
    read = await fhir(me, f"/DiagnosticReport/{seen[0]}")
    assert read["id"] == seen[0] and read["subject"]["reference"] == f"Patient/{me.card_id}"
    # the linked account sees the same, less the sensitive report
    assert (await fhir(family, "/DiagnosticReport"))["total"] == 6
    sensitive = (await fhir(me, "/DiagnosticReport?category=PAT"))["entry"][0]["resource"]["id"]
    assert (await fhir(family, f"/DiagnosticReport/{sensitive}", 404))["resourceType"] == "OperationOutcome"
    assert (await fhir(family, "/Observation?category=laboratory"))["total"] == 15


async def test_observations_carry_values_ranges_and_interpretations(reports_his, resident_with_card, login):
    his, me, family = await _world(reports_his, resident_with_card, login)
    platelets = await fhir(me, "/Observation?code=http://loinc.org|777-3&date=ge2026-12-10")
    assert platelets["total"] == 1
    obs = platelets["entry"][0]["resource"]
    assert obs["valueQuantity"] == {"value": 18, "unit": "10*9/L"}
    assert obs["interpretation"][0]["coding"][0]["code"] == "AA"
    assert obs["referenceRange"][0]["low"]["value"] == 125 and obs["referenceRange"][0]["text"] == "125-350"
    assert (await fhir(me, f"/Observation/{obs['id']}"))["id"] == obs["id"]
    local = await fhir(me, "/Observation?code=urn:ehealth:hospital-code|WBC")
    assert local["total"] == 5 and local["entry"][0]["resource"]["valueQuantity"]["value"] == 11.2
    assert (await fhir(me, "/Observation?code=HGB&_count=2"))["total"] == 5
    text = await fhir(me, "/Observation?category=imaging")
    assert text["entry"][0]["resource"]["valueString"].startswith("双肺")
    other = await resident_with_card("李四")
    assert (await fhir(other, "/Observation"))["total"] == 0
    assert (await fhir(other, f"/Observation/{obs['id']}", 404))["issue"][0]["code"] == "not-found"
    assert (await fhir(other, f"/Observation?patient={me.card_id}"))["total"] == 0


async def test_appointments_and_encounters(catalog, resident_with_card, booked, reports_his):
    me = await resident_with_card()
    schedule = await catalog.schedule(day=clock.today() + timedelta(days=1))
    booking = await booked(me, schedule)
    appointments = await fhir(me, f"/Appointment?patient={me.card_id}")
    assert appointments["total"] == 1 and ids(appointments) == [str(booking["id"])]
    assert appointments["entry"][0]["resource"]["status"] == "booked"
    assert (await fhir(me, "/Appointment?date=ge2026-12-12"))["total"] == 0
    assert (await fhir(me, f"/Appointment/{booking['id']}"))["start"].startswith("2026-12-11T08:00")
    his = await reports_his()
    r = await his.admit("ZY_01", id_number=me.id_number, admitted=TODAY - timedelta(days=2))
    assert r.status == 201, r.json
    encounters = await fhir(me, "/Encounter")
    assert encounters["total"] == 1
    encounter = encounters["entry"][0]["resource"]
    assert encounter["status"] == "in-progress" and encounter["class"]["code"] == "IMP"
    assert (await fhir(me, f"/Encounter/{encounter['id']}"))["id"] == encounter["id"]
    assert (await fhir(me, "/Encounter?date=le2026-12-07"))["total"] == 0


async def test_refusals_are_operation_outcomes(resident_with_card, client):
    me = await resident_with_card()
    _, r = await client.get(FHIR + "/Patient")
    assert validated(r, 401)["issue"][0]["code"] == "login"
    for path, status, code in (
        ("/Patient?name=张", 400, "not-supported"),
        ("/DiagnosticReport?date=2026-13-01", 400, "invalid"),
        ("/DiagnosticReport?date=ap2026-12-01", 400, "invalid"),
        ("/DiagnosticReport?_count=1000", 400, "invalid"),
        ("/DiagnosticReport?_format=xml", 400, "not-supported"),
        ("/Medication", 404, "not-supported"),
        ("/DiagnosticReport/abc", 404, "not-found"),
        ("/DiagnosticReport/999999", 404, "not-found"),
        ("/Observation/1-x", 404, "not-found"),
    ):
        outcome = await fhir(me, path, status)
        assert outcome["issue"][0]["code"] == code, path
