"""DiagnosticReport and Observation: reports and their result lines, with the same access
rules as the API (sensitive reports included); searched and paged by the database."""

from __future__ import annotations

from decimal import Decimal

from backend.fhir.params import SearchError
from backend.fhir.registry import DATE, PATIENT, Caller, Provider, Search, SearchParam
from backend.reports import service as reports

LOINC = "http://loinc.org"
LOCAL = "urn:ehealth:hospital-code"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

# report kind -> DiagnosticReport category (HL7 v2 table 0074, diagnostic service section)
REPORT_CATEGORY = {
    "lab": ("LAB", "Laboratory"),
    "imaging": ("RAD", "Radiology"),
    "pathology": ("PAT", "Pathology (gross & histopath, not surgical)"),
    "exam": ("OTH", "Other"),
}
# report kind -> Observation category
LINE_CATEGORY = {
    "lab": ("laboratory", "Laboratory"),
    "pathology": ("laboratory", "Laboratory"),
    "imaging": ("imaging", "Imaging"),
    "exam": ("exam", "Exam"),
}
FLAG_INTERPRETATION = {
    "normal": ("N", "Normal"),
    "high": ("H", "High"),
    "low": ("L", "Low"),
    "abnormal": ("A", "Abnormal"),
    "critical": ("AA", "Critical abnormal"),
}
SYSTEMS = {LOINC: "loinc", LOCAL: "local"}


def _kinds(categories, table: dict, system: str) -> tuple[str, ...] | None:
    if not categories:
        return None
    kinds = set()
    for token in categories:
        if token.system not in (None, system):
            continue
        kinds |= {kind for kind, (code, _) in table.items() if code == token.code}
    return tuple(sorted(kinds))


def _codes(tokens) -> tuple[tuple[str | None, str], ...] | None:
    if not tokens:
        return None
    codes = []
    for token in tokens:
        if token.system is None:
            codes.append((None, token.code))
        elif token.system in SYSTEMS:
            codes.append((SYSTEMS[token.system], token.code))
        # another system: it names nothing here
    return tuple(codes)


def _report_search(search: Search, table: dict, system: str, report_id: int | None = None) -> reports.ReportSearch:
    return reports.ReportSearch(
        card_ids=search.patients,
        kinds=_kinds(search.categories, table, system),
        codes=_codes(search.codes),
        bounds=tuple(search.bounds),
        report_id=report_id,
    )


def _category(kind: str, table: dict, system: str) -> list[dict]:
    code, display = table[kind]
    return [{"coding": [{"system": system, "code": code, "display": display}]}]


def _status(status: str) -> str:
    return "amended" if status == "amended" else "final"


def _number(text: str | None):
    if text is None:
        return None
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() and "." not in text else float(value)


def report_resource(caller: Caller, r: dict, pdf_url: str | None) -> dict:
    coding = []
    if r["code"]:
        coding.append({"system": LOINC if r["code_system"] == "loinc" else LOCAL, "code": r["code"]})
    resource = {
        "resourceType": "DiagnosticReport",
        "id": str(r["report_id"]),
        "identifier": [{"system": f"urn:ehealth:hospital:{r['hospital_id']}:report", "value": r["report_no"]}],
        "status": _status(r["status"]),
        "category": _category(r["kind"], REPORT_CATEGORY, V2_0074),
        "code": {**({"coding": coding} if coding else {}), "text": r["title"]},
        "subject": {"reference": f"Patient/{r['card_id']}"},
        "effectiveDateTime": r["effective_at"],
        "issued": r["reported_at"],
        "performer": [{"display": f"{r['hospital_name']} {r['department']}"}],
        "result": [{"reference": f"Observation/{r['report_id']}-{line['position']}"} for line in r["results"]],
    }
    if r["specimen"]:
        resource["specimen"] = [{"display": r["specimen"]}]
    if r["conclusion"]:
        resource["conclusion"] = r["conclusion"]
    if pdf_url:
        # a link that expires within 5 minutes, like the API's: the PDF itself is never inline
        resource["presentedForm"] = [{"contentType": "application/pdf", "url": pdf_url, "title": r["title"]}]
    if not resource["result"]:
        del resource["result"]
    return resource


def observation_resource(report: dict, line: dict) -> dict:
    coding = []
    if line["loinc"]:
        coding.append({"system": LOINC, "code": line["loinc"]})
    coding.append({"system": LOCAL, "code": line["code"]})
    code, display = FLAG_INTERPRETATION[line["flag"]]
    resource = {
        "resourceType": "Observation",
        "id": f"{report['report_id']}-{line['position']}",
        "status": _status(report["status"]),
        "category": _category(report["kind"], LINE_CATEGORY, OBSERVATION_CATEGORY),
        "code": {"coding": coding, "text": line["name"]},
        "subject": {"reference": f"Patient/{report['card_id']}"},
        "effectiveDateTime": report["effective_at"],
        "issued": report["reported_at"],
        "performer": [{"display": report["hospital_name"]}],
        "interpretation": [{"coding": [{"system": INTERPRETATION, "code": code, "display": display}]}],
    }
    if line["value_type"] == "number":
        quantity = {"value": _number(line["value"])}
        if line["unit"]:
            quantity["unit"] = line["unit"]
        resource["valueQuantity"] = quantity
    else:
        resource["valueString"] = line["value"]
    reference = {}
    for bound in ("low", "high"):
        if line[bound] is not None:
            reference[bound] = {"value": _number(line[bound]), **({"unit": line["unit"]} if line["unit"] else {})}
    if line["reference_range"]:
        reference["text"] = line["reference_range"]
    if reference:
        resource["referenceRange"] = [reference]
    return resource


def _report_id(resource_id: str) -> int | None:
    return (
        int(resource_id) if resource_id.isascii() and resource_id.isdigit() and 0 < int(resource_id) < 2**31 else None
    )


class DiagnosticReportProvider(Provider):
    resource_type = "DiagnosticReport"
    params = (
        PATIENT,
        SearchParam("category", "token", f"{V2_0074}|LAB, RAD, PAT or OTH"),
        SearchParam("code", "token", f"the report's code: {LOINC}|<code> or {LOCAL}|<code>"),
        DATE,
    )

    async def _resources(self, caller: Caller, found: list[dict]) -> list[dict]:
        return [
            report_resource(
                caller,
                r,
                await reports.signed_pdf_url(deps=caller.deps, report_id=r["report_id"], base_url=caller.origin)
                if r["has_pdf"]
                else None,
            )
            for r in found
        ]

    async def read(self, caller: Caller, resource_id: str) -> dict | None:
        report_id = _report_id(resource_id)
        if report_id is None:
            return None
        _, found = await reports.search_reports(
            deps=caller.deps,
            account_id=caller.account_id,
            search=reports.ReportSearch(report_id=report_id),
            offset=0,
            limit=1,
        )
        return (await self._resources(caller, found))[0] if found else None

    async def search(self, caller: Caller, search: Search) -> tuple[int, list[dict]]:
        total, found = await reports.search_reports(
            deps=caller.deps,
            account_id=caller.account_id,
            search=_report_search(search, REPORT_CATEGORY, V2_0074),
            offset=search.offset,
            limit=search.count,
        )
        return total, await self._resources(caller, found)


class ObservationProvider(Provider):
    resource_type = "Observation"
    params = (
        PATIENT,
        SearchParam("category", "token", f"{OBSERVATION_CATEGORY}|laboratory, imaging or exam"),
        SearchParam("code", "token", f"{LOINC}|<code> (where the hospital sent it) or {LOCAL}|<code>"),
        DATE,
    )

    async def read(self, caller: Caller, resource_id: str) -> dict | None:
        report_part, _, position = resource_id.partition("-")
        report_id = _report_id(report_part)
        if report_id is None or not (position.isascii() and position.isdigit() and len(position) <= 4):
            return None
        _, found = await reports.search_results(
            deps=caller.deps,
            account_id=caller.account_id,
            search=reports.ReportSearch(report_id=report_id),
            position=int(position),
            offset=0,
            limit=1,
        )
        return observation_resource(found[0]["report"], found[0]["result"]) if found else None

    async def search(self, caller: Caller, search: Search) -> tuple[int, list[dict]]:
        if search.ids is not None:
            raise SearchError("_id is not a search parameter of Observation", code="not-supported")
        total, found = await reports.search_results(
            deps=caller.deps,
            account_id=caller.account_id,
            search=_report_search(search, LINE_CATEGORY, OBSERVATION_CATEGORY),
            offset=search.offset,
            limit=search.count,
        )
        return total, [observation_resource(f["report"], f["result"]) for f in found]
