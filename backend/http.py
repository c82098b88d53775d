"""Request parsing shared by every Blueprint: pydantic validation and the OpenAPI description.

sanic-ext's own @validate puts pydantic's full error text (which quotes the input, an ID number
say) into the response; here only field paths and rule messages go back to the client.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from sanic import Request
from sanic_ext import openapi

from backend.errors import BadRequest

M = TypeVar("M", bound=BaseModel)


class Input(BaseModel):
    """Base of request bodies: unknown fields are refused, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _describe(exc: ValidationError) -> tuple[str, list[dict]]:
    fields = []
    for err in exc.errors(include_input=False, include_url=False, include_context=False):
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        fields.append({"field": loc, "message": msg})
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
    return summary, fields


def validate_model(model: type[M], data: Any) -> M:
    if data is None:
        raise BadRequest("a JSON object body is required")
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        summary, fields = _describe(exc)
        raise BadRequest(summary, fields=fields) from None


def json_body(request: Request) -> Any:
    if not request.body:
        return None
    try:
        return request.json
    except Exception:  # Sanic raises BadRequest on malformed JSON; keep our message
        raise BadRequest("the body is not valid JSON") from None


def body(model: type[BaseModel]) -> Callable:
    """Validate the JSON body with `model`; the handler gets it as `body`."""

    def decorator(handler):
        @functools.wraps(handler)
        async def wrapper(request: Request, *args, **kwargs):
            kwargs["body"] = validate_model(model, json_body(request))
            return await handler(request, *args, **kwargs)

        return openapi.body({"application/json": model.model_json_schema()})(wrapper)

    return decorator


def query(model: type[BaseModel]) -> Callable:
    """Validate query-string arguments with `model`; the handler gets it as `query`."""

    def decorator(handler):
        @functools.wraps(handler)
        async def wrapper(request: Request, *args, **kwargs):
            data = {k: v[0] if len(v) == 1 else v for k, v in request.args.items()}
            kwargs["query"] = validate_model(model, data)
            return await handler(request, *args, **kwargs)

        for name, field in model.model_fields.items():
            wrapper = openapi.parameter(name, str, "query", required=field.is_required())(wrapper)
        return wrapper

    return decorator


def behind_proxy(app) -> bool:
    """Whether the deployment told Sanic about its proxy (SANIC_PROXIES_COUNT, SANIC_REAL_IP_HEADER
    or SANIC_FORWARDED_SECRET); only then are forwarding headers believed."""
    config = app.config
    return bool(config.PROXIES_COUNT or config.REAL_IP_HEADER or config.FORWARDED_SECRET)


def client_ip(request: Request) -> str:
    # Without a proxy the peer is the client, and the forwarding headers (which anyone can send)
    # are not even parsed: this runs on every hold.
    if request.app.ctx.behind_proxy:
        return request.remote_addr or request.ip or "unknown"
    return request.ip or "unknown"
