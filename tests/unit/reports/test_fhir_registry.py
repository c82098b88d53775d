"""The FHIR interface is a registry of providers: one more provider is one more served type,
listed in the CapabilityStatement with its search parameters (how ChargeItem joined)."""

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from backend.fhir.providers import register_all
from backend.fhir.registry import PATIENT, Provider, Registry, SearchParam
from backend.fhir.views import capability_statement


class Coverages(Provider):
    resource_type = "Coverage"
    params = (PATIENT, SearchParam("status", "token", "active, cancelled"))

    async def read(self, caller, resource_id):
        return None

    async def search(self, caller, search):
        return 0, []


def test_a_new_provider_is_served_and_listed():
    registry = register_all(Registry())
    registry.register(Coverages())
    statement = capability_statement("http://x/fhir/R4", registry)
    CapabilityStatement.model_validate(statement)
    served = {r["type"]: [p["name"] for p in r["searchParam"]] for r in statement["rest"][0]["resource"]}
    assert served["Coverage"] == ["patient", "status", "_count", "_offset"]
    assert set(served) == {
        "Patient",
        "Appointment",
        "Encounter",
        "DiagnosticReport",
        "Observation",
        "ChargeItem",
        "Coverage",
    }
    with pytest.raises(ValueError):
        registry.register(Coverages())
