"""The FHIR interface as a registry of resource providers: each provider serves one resource
type (read by id and search) from its domain's services, and says which search parameters it
takes; the CapabilityStatement is built from the registry, so it lists exactly what is served.
A new resource type is one more provider registered at start-up (backend/fhir/providers)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SearchParam:
    name: str
    type: str  # FHIR search parameter type: token | reference | date | string
    documentation: str


@dataclass
class Search:
    """A parsed search: what the views understood of the query string."""

    patients: frozenset[str] | None = None  # card ids; None: every patient the caller may see
    categories: list = field(default_factory=list)  # params.Token
    codes: list = field(default_factory=list)  # params.Token
    bounds: list[tuple[str, datetime]] = field(default_factory=list)
    ids: list[str] | None = None  # _id
    count: int = 20
    offset: int = 0


@dataclass
class Caller:
    deps: object
    account_id: int
    origin: str  # scheme://host as the client reached the service

    @property
    def base_url(self) -> str:
        return f"{self.origin}/fhir/R4"

    def ref(self, resource_type: str, resource_id: str) -> str:
        return f"{self.base_url}/{resource_type}/{resource_id}"


class Provider(ABC):
    """One resource type. `search` answers (total, resources of the page)."""

    resource_type: str = ""
    params: tuple[SearchParam, ...] = ()
    profile: str | None = None

    @abstractmethod
    async def read(self, caller: Caller, resource_id: str) -> dict | None:
        """The resource with this id if the caller may see it, else None (the views answer 404)."""

    @abstractmethod
    async def search(self, caller: Caller, search: Search) -> tuple[int, list[dict]]:
        """(how many match, the resources of the requested page)."""


class Registry:
    def __init__(self) -> None:
        self._providers: dict[str, Provider] = {}

    def register(self, provider: Provider) -> None:
        if provider.resource_type in self._providers:
            raise ValueError(f"{provider.resource_type} has a provider already")
        self._providers[provider.resource_type] = provider

    def get(self, resource_type: str) -> Provider | None:
        return self._providers.get(resource_type)

    def __iter__(self):
        return iter(sorted(self._providers.values(), key=lambda p: p.resource_type))


COMMON_PARAMS = ("_count", "_offset", "_format")
PATIENT = SearchParam("patient", "reference", "Patient/<card_id>: one of the caller's own or linked cards")
DATE = SearchParam(
    "date", "date", "prefixes eq (default), ge, le, gt, lt; YYYY, YYYY-MM, YYYY-MM-DD (Asia/Shanghai) or a time"
)
