"""The complete OpenAPI document, generated rather than written per route.

sanic-ext builds the document from the routes and the `openapi` decorators; this module fills in
what those leave out, from what the code already knows:
- path parameters from the route's type (`id` -> integer 1..2^31-1, `ymd` -> date, `str` -> a
  bounded string);
- query parameters and request bodies from the pydantic models of `backend.http.query` / `body`
  (their bounds included), hoisted into `components/schemas`;
- the security schemes: resident bearer, operator bearer, the terminal signature (four headers)
  and the hospital-system signature (three headers), with the signing headers as parameters;
- responses: the success status, and every error status with the error envelope; the codes
  `backend.edge.refuses` declared are listed as an enum.

It runs when an app has started, once per set of routes in a process (see `install`)."""

from __future__ import annotations

import copy
import functools
import inspect
import json as jsonlib
import re

from sanic import Sanic, json

ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
STRING_SEGMENT = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9_.-]+$"}
PATH_TYPES = {
    "id": ID_SCHEMA,
    "ymd": {"type": "string", "format": "date"},
    "int": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}

SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A resident's session token from `POST /auth/wx-login`.",
    },
    "operator": {
        "type": "http",
        "scheme": "bearer",
        "description": "An operator's console token from `POST /admin/login` (in dev and test also `dev-admin-token`).",
    },
    "terminal": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Signature",
        "description": "A clinic terminal signs every request: X-Terminal-Id (its code), X-Timestamp (unix "
        "seconds, within "
        "300 s of the service clock), X-Nonce (16-64 of [A-Za-z0-9_-], never reused) and X-Signature = hex "
        "HMAC-SHA256(secret, METHOD\\npath-with-query\\ntimestamp\\nnonce\\nhex SHA-256 of the body). See "
        "backend/staff/signing.py.",
    },
    "hospital_system": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Signature",
        "description": "A hospital system (HIS) signs like a terminal, with its hospital's intake secret and "
        "three headers: "
        "X-Timestamp, X-Nonce, X-Signature (no X-Terminal-Id; the hospital is named in the path).",
    },
}

SIGNING_HEADERS = {
    "X-Terminal-Id": {"type": "string", "pattern": r"^T[0-9A-F]{16}$"},
    "X-Timestamp": {"type": "string", "pattern": r"^[0-9]{1,12}$"},
    "X-Nonce": {"type": "string", "pattern": r"^[A-Za-z0-9_-]{16,64}$"},
}
HEADERS_OF = {"terminal": ("X-Terminal-Id", "X-Timestamp", "X-Nonce"), "hospital_system": ("X-Timestamp", "X-Nonce")}

# the codes every caller of a scheme can meet when it is not let in
UNAUTHORIZED_CODES = {
    "bearer": ["invalid_token"],
    "operator": ["unauthorized"],
    "terminal": ["terminal_unauthenticated", "bad_signature", "stale_timestamp", "replayed_nonce"],
    "hospital_system": ["his_unauthenticated", "bad_signature", "stale_timestamp", "replayed_nonce"],
}
FORBIDDEN_CODES = {
    "operator": ["forbidden", "outside_hospital", "platform_only"],
    "terminal": ["terminal_disabled", "forbidden"],
    "hospital_system": ["hospital_retired"],
}
GENERIC_CODES = {
    400: ["invalid_request"],
    404: ["not_found"],
    413: ["payload_too_large"],
    415: ["unsupported_media_type"],
}
# refusals of public operations that name a caller without a scheme
EXTRA = {
    ("POST", "/api/v1/auth/wx-login"): {401: ["invalid_wx_code", "account_disabled"]},
    ("POST", "/api/v1/admin/login"): {401: ["invalid_credentials"]},
    ("POST", "/api/v1/payments/wechat/notify"): {401: ["invalid_notification"]},
}
# statuses any operation may answer: refusals of its input or its object, and a dependency that is down
ALWAYS = (400, 404, 409, 422, 429, 503)


_ROW = {
    "type": "object",
    "properties": {
        "department_code": {"type": "string", "maxLength": 32},
        "doctor_code": {"type": "string", "maxLength": 32},
        "date": {"type": "string", "format": "date"},
        "start": {"type": "string", "pattern": r"^[0-2][0-9]:[0-5][0-9]$"},
        "end": {"type": "string", "pattern": r"^[0-2][0-9]:[0-5][0-9]$"},
        "capacity": {"type": "integer", "minimum": 1, "maximum": 500},
        "referral_quota": {"type": "integer", "minimum": 0, "maximum": 500},
        "fee_fen": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
        "external_id": {"type": "string", "maxLength": 64},
    },
}
_IMPORT = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["schedules"],
            "properties": {"schedules": {"type": "array", "maxItems": 2000, "items": _ROW}},
        }
    }
}
# Bodies a view reads itself (several formats, or a provider's format), described here
BODIES = {
    ("POST", "/api/v1/admin/hospitals/{hospital_id}/schedules/import"): {
        **_IMPORT,
        "text/csv": {"schema": {"type": "string", "description": "a header line, then one session per line"}},
    },
    ("POST", "/api/v1/his/{hospital_code}/schedules/import"): _IMPORT,
    ("PUT", "/api/v1/his/{hospital_code}/admissions/{admission_no}/days/{day}"): {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["items"],
                "properties": {
                    "items": {
                        "type": "array",
                        "maxItems": 2000,
                        "items": {
                            "type": "object",
                            "required": [
                                "item_code",
                                "name",
                                "category",
                                "unit",
                                "quantity",
                                "unit_price_fen",
                                "amount_fen",
                            ],
                            "properties": {
                                "item_code": {"type": "string", "maxLength": 32},
                                "name": {"type": "string", "maxLength": 128},
                                "category": {"type": "string", "maxLength": 16},
                                "unit": {"type": "string", "maxLength": 16},
                                "quantity": {
                                    "type": "number",
                                    "description": "at most 3 decimals; negative for a return",
                                },
                                "unit_price_fen": {"type": "integer", "minimum": 0, "maximum": 10**9},
                                "amount_fen": {
                                    "type": "integer",
                                    "description": "quantity x unit_price_fen rounded half up",
                                    "minimum": -(10**11),
                                    "maximum": 10**11,
                                },
                            },
                        },
                    }
                },
            }
        }
    },
    ("POST", "/api/v1/payments/wechat/notify"): {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "WeChat Pay's signed notification (Wechatpay-* headers), as WeChat sends it",
                "properties": {
                    "id": {"type": "string", "maxLength": 64},
                    "event_type": {"type": "string", "maxLength": 64},
                    "resource": {"type": "object"},
                },
            }
        }
    },
}

# Bodies that are not JSON: the report PDF a hospital system sends
BODIES[("PUT", "/api/v1/his/{hospital_code}/reports/{report_no}/pdf")] = {
    "application/pdf": {"schema": {"type": "string", "format": "binary", "maxLength": 10 * 1024 * 1024}}
}
# Successes that are not JSON
SUCCESS_MEDIA = {
    ("GET", "/api/v1/reports/{report_id}/pdf"): {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}
# The FHIR interface answers application/fhir+json: resources, Bundles and OperationOutcomes
FHIR_PREFIX = "/fhir/"
FHIR_RESOURCE = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {"resourceType": {"type": "string", "maxLength": 64}},
}


def _fhir_media(operation: dict) -> None:
    operation.setdefault("tags", ["FHIR R4"])
    for status, response in operation.get("responses", {}).items():
        if "content" in response:
            response["content"] = {"application/fhir+json": {"schema": copy.deepcopy(FHIR_RESOURCE)}}
            if not status.startswith("2"):
                response["description"] = "an OperationOutcome"


def _unwrap(handler):
    seen = handler
    while getattr(seen, "__wrapped__", None) is not None:
        seen = seen.__wrapped__
    return seen


def _success_status(handler) -> int:
    try:
        source = inspect.getsource(_unwrap(handler))
    except (OSError, TypeError):
        return 200
    for status in (201, 202, 204):
        if f"status={status}" in source:
            return status
    if "empty()" in source:
        return 204
    return 200


def _openapi_path(uri: str) -> str:
    uri = "/" + uri.lstrip("/")
    return re.sub(r"<([^:>]+)(?::[^>]+)?>", r"{\1}", uri)


def _hoist(schema: dict, components: dict) -> dict:
    """A pydantic JSON schema with its $defs moved into components/schemas."""
    schema = copy.deepcopy(schema)
    for name, sub in schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    text = jsonlib.dumps(schema)
    return jsonlib.loads(text.replace('"#/$defs/', '"#/components/schemas/'))


def _fix_refs(components: dict) -> None:
    for name, sub in list(components.items()):
        components[name] = jsonlib.loads(jsonlib.dumps(sub).replace('"#/$defs/', '"#/components/schemas/'))


def _model_schema(model, components: dict) -> dict:
    schema = _hoist(model.model_json_schema(by_alias=True), components)
    name = model.__name__
    components[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def _query_parameters(model, components: dict) -> list[dict]:
    schema = _hoist(model.model_json_schema(by_alias=True), components)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k not in ("title",)}
        params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    return params


def _error_response(status: int, codes: list[str] | None) -> dict:
    schema = copy.deepcopy(ERROR)
    if codes:
        schema["properties"]["error"]["properties"]["code"] = {"type": "string", "enum": sorted(set(codes))}
        description = "error codes: " + ", ".join(sorted(set(codes)))
    else:
        description = "a refusal"
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def complete(spec: dict, app: Sanic) -> dict:
    spec = copy.deepcopy(spec)
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    components["securitySchemes"] = {**components.get("securitySchemes", {}), **SECURITY_SCHEMES}
    schemas["Error"] = ERROR
    paths = spec.get("paths", {})
    for route in app.router.routes:
        path = _openapi_path(route.path)
        if path not in paths:
            continue
        for method in route.methods:
            operation = paths[path].get(method.lower())
            if operation is None:
                continue
            if (method, path) in BODIES:
                operation["requestBody"] = {"required": True, "content": copy.deepcopy(BODIES[(method, path)])}
            _complete_operation(operation, route, route.handler, schemas, EXTRA.get((method, path), {}))
            if (method, path) in SUCCESS_MEDIA:
                operation["responses"]["200"]["content"] = copy.deepcopy(SUCCESS_MEDIA[(method, path)])
            if path.startswith(FHIR_PREFIX):
                _fhir_media(operation)
    _fix_refs(schemas)
    return spec


def _complete_operation(operation: dict, route, handler, schemas: dict, extra: dict) -> None:
    # --- parameters ---
    params = [p for p in operation.get("parameters", []) if p.get("in") not in ("path",)]
    for param in route.params.values():
        schema = PATH_TYPES.get(param.label, STRING_SEGMENT)
        params.append({"name": param.name, "in": "path", "required": True, "schema": dict(schema)})
    query_model = getattr(handler, "__query_model__", None)
    if query_model is not None:
        params = [p for p in params if p.get("in") != "query"] + _query_parameters(query_model, schemas)
    else:
        for p in params:
            if p.get("in") == "query":
                p["schema"] = _bounded_string(p.get("schema", {}))
    schemes = [name for requirement in operation.get("security", []) for name in requirement]
    for scheme in schemes:
        for header in HEADERS_OF.get(scheme, ()):
            if not any(p["name"] == header for p in params):
                params.append(
                    {"name": header, "in": "header", "required": True, "schema": dict(SIGNING_HEADERS[header])}
                )
    operation["parameters"] = params
    # --- body ---
    body_model = getattr(handler, "__body_model__", None)
    has_body = body_model is not None or "requestBody" in operation
    if body_model is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _model_schema(body_model, schemas)}},
        }
    elif "requestBody" in operation:
        for media in operation["requestBody"].get("content", {}).values():
            if "schema" in media:
                media["schema"] = _hoist(media["schema"], schemas)
    # --- responses ---
    declared = {**getattr(handler, "__refusals__", {})}
    for status, codes in extra.items():
        declared[status] = sorted(set(declared.get(status, [])) | set(codes))
    responses = {}
    success = _success_status(handler)
    if success == 204:
        responses["204"] = {"description": "done"}
    elif path_is_stream(route):
        responses["200"] = {
            "description": "server-sent events",
            "content": {
                "text/event-stream": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "event": {"type": "string"},
                            "data": {"type": "string"},
                            "retry": {"type": ["integer", "string"]},
                        },
                    }
                }
            },
        }
    else:
        responses[str(success)] = {
            "description": "success",
            "content": {"application/json": {"schema": {"type": ["object", "array"]}}},
        }
    statuses = set(ALWAYS) | set(declared)
    if has_body:
        statuses |= {413, 415}
    if schemes:
        statuses |= {401, 403}
    for status in sorted(statuses):
        # codes are enumerated where they are known in full: those the view declared with
        # `refuses` (plus the generic one of its status) and the authentication refusals
        if status == 401:
            codes = (
                sorted(set(declared.get(401, [])) | {c for s in schemes for c in UNAUTHORIZED_CODES.get(s, [])}) or None
            )
        elif status == 403 and (403 in declared or all(s in FORBIDDEN_CODES for s in schemes)):
            # the guards' refusals (a disabled terminal, a hospital admin outside their hospital)
            # beside the view's own
            codes = sorted(set(declared.get(403, [])) | {c for s in schemes for c in FORBIDDEN_CODES.get(s, [])})
        elif status in declared:
            codes = sorted(set(declared[status]) | set(GENERIC_CODES.get(status, [])))
        else:
            codes = None
        responses[str(status)] = _error_response(status, codes)
    operation["responses"] = responses


def path_is_stream(route) -> bool:
    return route.path.endswith("/stream")


def _bounded_string(schema: dict) -> dict:
    schema = dict(schema)
    if schema.get("type") == "string":
        schema.setdefault("maxLength", 64)
    return schema


def install(app: Sanic) -> None:
    """Serve the completed document at /docs/openapi.json (the route sanic-ext registered).

    sanic-ext keeps one document per process (a singleton filled when an app starts), so each
    app completes and keeps its own as soon as it has started."""
    from sanic_ext.extensions.openapi.builders import SpecificationBuilder

    async def spec(request):
        return json(request.app.ctx.openapi_doc)

    @app.before_server_start
    async def take_over_spec_route(app):
        for route in app.router.routes:
            if route.path.rstrip("/").endswith("docs/openapi.json"):
                route.handler = spec

    @app.after_server_start
    async def complete_document(app):
        key = _routes_key(app)
        if key not in _documents:
            _documents[key] = complete(SpecificationBuilder().build(app).serialize(), app)
        app.ctx.openapi_doc = _documents[key]


# Documents built in this process, by the routes they describe: the document is a function of the
# routes and their handlers alone, and building it is about half a second of CPU. A production
# worker builds one; a test process, which starts many apps with the same routes, builds each
# kind of app's once.
_documents: dict[tuple, dict] = {}


def _routes_key(app: Sanic) -> tuple:
    return tuple(
        sorted((route.path, tuple(sorted(route.methods)), _name(route.handler)) for route in app.router.routes)
    )


def _name(handler) -> str:
    while isinstance(handler, functools.partial):
        handler = handler.func
    return f"{getattr(handler, '__module__', '')}.{getattr(handler, '__qualname__', type(handler).__name__)}"
