"""The OpenAPI document is complete: walked operation by operation, it fails
when one lacks its parameters' schemas, its body, its security or its responses."""

API = "/api/v1"
# operations anyone may call: everything else must name a security scheme
PUBLIC = {
    ("get", "/api/v1/ping"),
    ("get", "/api/v1/health"),
    ("get", "/api/v1/ready"),
    ("get", "/api/v1/hospitals"),
    ("get", "/api/v1/hospitals/{hospital_id}/departments"),
    ("get", "/api/v1/departments/{department_id}/schedules"),
    ("get", "/api/v1/schedules/{schedule_id}"),
    ("get", "/api/v1/schedules/{schedule_id}/queue"),
    ("get", "/api/v1/schedules/{schedule_id}/queue/stream"),
    ("post", "/api/v1/auth/wx-login"),
    ("post", "/api/v1/sms/codes"),
    ("post", "/api/v1/admin/login"),
    ("get", "/api/v1/releases/{hospital_id}/tickets/{ticket}"),  # the signed ticket is the credential
    ("post", "/api/v1/payments/wechat/notify"),
    ("get", "/api/v1/dev/clock"),
    ("post", "/api/v1/dev/clock"),
    ("post", "/api/v1/dev/payments/{out_trade_no}/complete"),
    # a signed link (report, PDF and expiry under the service's key) stands for the caller
    ("get", "/api/v1/reports/{report_id}/pdf"),
}
# writes that take no body (the path says it all)
BODYLESS = {
    "/api/v1/auth/logout",
    "/api/v1/admin/logout",
    "/api/v1/admin/stock/rebuild",
    "/api/v1/cards/{card_id}/reissue",
    "/api/v1/holds/{hold_id}/payment",
    "/api/v1/staff/schedules/{schedule_id}/call-next",
    "/api/v1/dev/payments/{out_trade_no}/complete",
    "/api/v1/admin/hospitals/{hospital_id}/intake-secret",
    "/api/v1/his/{hospital_code}/deposits/{deposit_id}/refund",
    "/api/v1/reports/{report_id}/pdf-link",
    "/api/v1/releases/{hospital_id}/tickets",
}
# writes whose body is a file, not JSON
BINARY_BODIES = {"/api/v1/his/{hospital_code}/reports/{report_no}/pdf": "application/pdf"}
BODYLESS_ENDINGS = ("/retire", "/revoke", "/enable", "/disable", "/rotate")
SIGNING_HEADERS = {
    "terminal": {"X-Terminal-Id", "X-Timestamp", "X-Nonce"},
    "hospital_system": {"X-Timestamp", "X-Nonce"},
}


def _resolve(spec, schema):
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _bounded(spec, schema, where, problems, depth=0):
    schema = _resolve(spec, schema)
    if depth > 6:
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            _bounded(spec, sub, where, problems, depth + 1)
    kind = schema.get("type")
    if kind == "integer" and ("maximum" not in schema or "minimum" not in schema):
        problems.append(f"{where}: integer without bounds")
    if kind == "string" and not ({"maxLength", "pattern", "enum", "format"} & set(schema)) and "const" not in schema:
        problems.append(f"{where}: string without a length, pattern or format")
    if kind == "array" and "maxItems" not in schema:
        problems.append(f"{where}: array without maxItems")
    for name, prop in schema.get("properties", {}).items():
        _bounded(spec, prop, f"{where}.{name}", problems, depth + 1)
    if isinstance(schema.get("items"), dict):
        _bounded(spec, schema["items"], f"{where}[]", problems, depth + 1)


async def test_every_operation_is_fully_described(client):
    _, r = await client.get("/docs/openapi.json")
    assert r.status == 200
    spec = r.json
    schemes = spec["components"]["securitySchemes"]
    assert {"bearer", "operator", "terminal", "hospital_system"} <= set(schemes)
    problems, operations = [], 0
    for path, ops in spec["paths"].items():
        if not path.startswith(API):
            continue
        for method, op in ops.items():
            operations += 1
            where = f"{method.upper()} {path}"
            params = op.get("parameters", [])
            # path parameters: each declared, typed, bounded
            for name in (seg[1:-1] for seg in path.split("/") if seg.startswith("{")):
                found = [p for p in params if p["in"] == "path" and p["name"] == name]
                if not found:
                    problems.append(f"{where}: path parameter {name} missing")
                    continue
                schema = found[0].get("schema", {})
                if name.endswith("_id") and name not in ("card_id", "hold_id") and schema.get("type") != "integer":
                    problems.append(f"{where}: {name} is not an integer")
                _bounded(spec, schema, f"{where} {name}", problems)
            for p in params:
                if "schema" not in p:
                    problems.append(f"{where}: parameter {p['name']} has no schema")
                elif p["in"] in ("query", "header"):
                    _bounded(spec, p["schema"], f"{where} {p['name']}", problems)
            # security: defined, with its signing headers
            security = [name for req in op.get("security", []) for name in req]
            if (method, path) not in PUBLIC and not security:
                problems.append(f"{where}: no security scheme")
            for name in security:
                if name not in schemes:
                    problems.append(f"{where}: security scheme {name} not defined")
                missing = SIGNING_HEADERS.get(name, set()) - {p["name"] for p in params if p["in"] == "header"}
                if missing:
                    problems.append(f"{where}: signing headers {sorted(missing)} not described")
            # body
            if method in ("post", "put", "patch") and path not in BODYLESS and not path.endswith(BODYLESS_ENDINGS):
                content = op.get("requestBody", {}).get("content", {})
                if path in BINARY_BODIES:
                    if BINARY_BODIES[path] not in content:
                        problems.append(f"{where}: no {BINARY_BODIES[path]} request body")
                elif "application/json" not in content:
                    problems.append(f"{where}: no JSON request body")
                else:
                    _bounded(spec, content["application/json"]["schema"], f"{where} body", problems)
            # responses: a success and the errors, each with a schema
            responses = op.get("responses", {})
            if "default" in responses or not any(s.startswith("2") for s in responses):
                problems.append(f"{where}: no success response (or only `default`)")
            for status, response in responses.items():
                if status != "204" and not response.get("content"):
                    problems.append(f"{where}: response {status} without a schema")
            errors = {s for s in responses if s[0] in "45"}
            if not {"400", "404"} <= errors:
                problems.append(f"{where}: error responses missing ({sorted(errors)})")
            if security and not {"401", "403"} <= errors:
                problems.append(f"{where}: 401/403 not documented")
            if "requestBody" in op and "415" not in errors:
                problems.append(f"{where}: 415 not documented")
            for status in errors:
                schema = _resolve(spec, responses[status]["content"]["application/json"]["schema"])
                if "error" not in schema.get("properties", {}):
                    problems.append(f"{where}: {status} is not the error envelope")
    assert operations >= 80
    assert not problems, f"{len(problems)} gaps:\n" + "\n".join(problems)


async def test_the_codes_a_view_declares_are_in_its_responses(client):
    spec = (await client.get("/docs/openapi.json"))[1].json
    hold = spec["paths"]["/api/v1/holds"]["post"]["responses"]
    assert (
        "sold_out"
        in hold["409"]["content"]["application/json"]["schema"]["properties"]["error"]["properties"]["code"]["enum"]
    )
    scan = spec["paths"]["/api/v1/staff/scan"]["post"]["responses"]
    assert {"bad_signature", "replayed_nonce"} <= set(
        scan["401"]["content"]["application/json"]["schema"]["properties"]["error"]["properties"]["code"]["enum"]
    )
    # the guards' 403s are listed beside the view's own
    assert (
        "terminal_disabled"
        in scan["403"]["content"]["application/json"]["schema"]["properties"]["error"]["properties"]["code"]["enum"]
    )
    import_schedules = spec["paths"]["/api/v1/admin/hospitals/{hospital_id}/schedules/import"]["post"]["responses"]
    assert {"outside_hospital"} <= set(
        import_schedules["403"]["content"]["application/json"]["schema"]["properties"]["error"]["properties"]["code"][
            "enum"
        ]
    )


async def test_the_docs_page_loads_nothing_from_another_host(client):
    # (one test, not parametrized: a second parameter next to the session's database parameter
    # makes pytest switch databases back and forth)
    _, r = await client.get("/docs")
    assert r.status == 200
    for src in __import__("re").findall(r'(?:src|href)="([^"]+)"', r.text):
        assert not src.startswith(("http://", "https://", "//")), src


async def test_the_fhir_interface_is_one_tagged_group_answering_fhir_json(client):
    _, r = await client.get("/docs/openapi.json")
    fhir = {path: ops for path, ops in r.json["paths"].items() if path.startswith("/fhir/R4")}
    assert set(fhir) == {"/fhir/R4/metadata", "/fhir/R4/{resource_type}", "/fhir/R4/{resource_type}/{resource_id}"}
    for ops in fhir.values():
        for op in ops.values():
            assert "FHIR R4" in op["tags"]
            assert all(set(resp["content"]) == {"application/fhir+json"} for resp in op["responses"].values())
