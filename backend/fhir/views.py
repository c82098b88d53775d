"""The read-only HL7 FHIR R4 interface at /fhir/R4 (JSON, application/fhir+json): the
CapabilityStatement, read by id and search of every registered resource type, for a resident's
bearer token. Errors are OperationOutcome resources."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from sanic import Blueprint, Request
from sanic.response import JSONResponse
from sanic_ext import openapi

from backend.clock import clock, iso
from backend.errors import AppError
from backend.fhir import params
from backend.fhir.params import SearchError
from backend.fhir.providers import register_all
from backend.fhir.registry import COMMON_PARAMS, Caller, Registry, Search
from backend.identity import rules as identity_rules
from backend.identity import service as identity

FHIR_JSON = "application/fhir+json; charset=utf-8"
FHIR_VERSION = "4.0.1"
JSON_FORMATS = ("json", "application/json", "application/fhir+json")

registry = register_all(Registry())
bp = Blueprint("fhir", url_prefix="/fhir/R4")


def fhir_response(resource: dict, status: int = 200) -> JSONResponse:
    response = JSONResponse(resource, status=status, content_type=FHIR_JSON)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def outcome(status: int, code: str, diagnostics: str) -> JSONResponse:
    return fhir_response(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
        },
        status=status,
    )


ISSUE_OF_STATUS = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 409: "conflict", 429: "throttled"}


def fhir_errors(handler):
    """Every refusal as an OperationOutcome, with the status the API would give it."""

    @functools.wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        try:
            return await handler(request, *args, **kwargs)
        except SearchError as exc:
            return outcome(exc.status, exc.code, str(exc))
        except AppError as exc:
            status = exc.status
            return outcome(status, ISSUE_OF_STATUS.get(status, "processing"), exc.message)

    return wrapper


async def _caller(request: Request) -> Caller:
    token = identity_rules.bearer_token(request.headers.get("authorization"))
    account_id = await identity.authenticate(deps=request.app.ctx.deps, token=token)
    return Caller(deps=request.app.ctx.deps, account_id=account_id, origin=f"{request.scheme}://{request.host}")


def _provider(resource_type: str):
    provider = registry.get(resource_type)
    if provider is None:
        raise SearchError(
            f"{resource_type[:64]} is not served here (see /fhir/R4/metadata)", code="not-supported", status=404
        )
    return provider


def _format(request: Request) -> None:
    for value in request.args.getlist("_format", []):
        if value not in JSON_FORMATS:
            raise SearchError("only JSON is served (_format=json)", code="not-supported")


def parse_search(provider, args: dict[str, list[str]]) -> Search:
    """The query string as a Search; a parameter the provider does not take is refused, so a
    client never gets an unfiltered answer it thinks was filtered."""
    allowed = {p.name for p in provider.params} | set(COMMON_PARAMS)
    search = Search()
    for name, values in args.items():
        if name not in allowed:
            raise SearchError(
                f"{name[:40]} is not a search parameter of {provider.resource_type}", code="not-supported"
            )
        # a repeated parameter means "and" in FHIR; only date ranges (ge and le) need it here, so
        # other repeats are refused rather than read as "or" (a comma is "or")
        if name != "date" and len(values) > 1:
            raise SearchError(f"{name} given more than once (a comma separates alternatives)")
        joined = [v for value in values for v in value.split(",")]  # a comma is "or"
        if name == "_count":
            search.count = params.count(values[0])
        elif name == "_offset":
            search.offset = params.offset(values[0])
        elif name == "patient":
            search.patients = frozenset(params.reference_id(v, "Patient") for v in joined)
        elif name == "_id":
            search.ids = [params.reference_id(v, provider.resource_type) for v in joined]
        elif name == "category":
            search.categories += [params.token(v) for v in joined]
        elif name == "code":
            search.codes += [params.token(v) for v in joined]
        elif name == "date":
            for value in values:
                search.bounds += params.date_bounds(value)
    return search


def _page_url(caller: Caller, resource_type: str, args: dict[str, list[str]], *, offset: int, count: int) -> str:
    kept = [(k, v) for k, values in args.items() if k not in ("_offset", "_count") for v in values]
    kept += [("_count", str(count)), ("_offset", str(offset))]
    return f"{caller.base_url}/{resource_type}?{urlencode(kept)}"


def bundle(caller: Caller, resource_type: str, args, search: Search, total: int, resources: list[dict]) -> dict:
    links = [
        {"relation": "self", "url": _page_url(caller, resource_type, args, offset=search.offset, count=search.count)}
    ]
    if search.count and search.offset + search.count < total:
        links.append(
            {
                "relation": "next",
                "url": _page_url(caller, resource_type, args, offset=search.offset + search.count, count=search.count),
            }
        )
    if search.offset and search.count:
        links.append(
            {
                "relation": "previous",
                "url": _page_url(
                    caller, resource_type, args, offset=max(0, search.offset - search.count), count=search.count
                ),
            }
        )
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": iso(clock.now()),
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": caller.ref(r["resourceType"], r["id"]),
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def capability_statement(base_url: str, served: Registry = registry) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": iso(clock.now()),
        "publisher": "Regional e-health card service",
        "kind": "instance",
        "implementation": {"description": "Residents' health records, read-only", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read-only. Authorization: Bearer <resident token from POST /api/v1/auth/wx-login>; "
                "the caller sees their own card and the linked members' cards, as in the API (a sensitive "
                "report: the card's owner only). Paging: _count (at most 100, default 20) and the next link.",
                "security": {"description": "A resident's bearer token (the same as for /api/v1)."},
                "resource": [
                    {
                        "type": p.resource_type,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [
                            {"name": sp.name, "type": sp.type, "documentation": sp.documentation} for sp in p.params
                        ]
                        + [
                            {"name": "_count", "type": "number", "documentation": "page size, 0 to 100"},
                            {"name": "_offset", "type": "number", "documentation": "from the next link"},
                        ],
                    }
                    for p in served
                ],
            }
        ],
    }


def _documented(summary: str):
    def decorator(handler):
        handler = openapi.summary(summary)(handler)
        return openapi.tag("FHIR R4")(handler)

    return decorator


@bp.get("/metadata")
@_documented("FHIR: the CapabilityStatement (what this read-only R4 interface serves; no token needed)")
@fhir_errors
async def metadata(request: Request):
    _format(request)
    return fhir_response(capability_statement(f"{request.scheme}://{request.host}/fhir/R4"))


@bp.get("/<resource_type:str>")
@_documented("FHIR: search a resource type (searchset Bundle with total, self and next links)")
@openapi.secured("bearer")
@fhir_errors
async def search(request: Request, resource_type: str):
    provider = _provider(resource_type)
    caller = await _caller(request)
    args = {k: list(v) for k, v in request.args.items()}
    _format(request)
    found = parse_search(provider, args)
    total, resources = await provider.search(caller, found)
    return fhir_response(bundle(caller, resource_type, args, found, total, resources))


@bp.get("/<resource_type:str>/<resource_id:str>")
@_documented("FHIR: read one resource by id (404 OperationOutcome for one the caller may not see)")
@openapi.secured("bearer")
@fhir_errors
async def read(request: Request, resource_type: str, resource_id: str):
    provider = _provider(resource_type)
    caller = await _caller(request)
    _format(request)
    if not params.FHIR_ID.match(resource_id):
        raise SearchError("not a resource id", code="not-found")
    resource = await provider.read(caller, resource_id)
    if resource is None:
        raise SearchError(f"no {resource_type} {resource_id}", code="not-found")
    return fhir_response(resource)
