"""The resource providers the FHIR interface serves; `register_all` is called once at start-up."""

from __future__ import annotations

from backend.fhir.registry import Registry


def register_all(registry: Registry) -> Registry:
    from backend.fhir.providers.care import AppointmentProvider, EncounterProvider
    from backend.fhir.providers.charges import ChargeItemProvider
    from backend.fhir.providers.patient import PatientProvider
    from backend.fhir.providers.reports import DiagnosticReportProvider, ObservationProvider

    for provider in (
        PatientProvider(),
        AppointmentProvider(),
        EncounterProvider(),
        DiagnosticReportProvider(),
        ObservationProvider(),
        ChargeItemProvider(),
    ):
        registry.register(provider)
    return registry
