"""Request parsing shared by every Blueprint: pydantic validation and the OpenAPI description.

sanic-ext's own @validate puts pydantic's full error text (which quotes the input, an ID number
say) into the response; here only field paths and rule messages go back to the client.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import types
import typing
from typing import Annotated, Any, Callable, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from sanic import Request
from sanic_ext import openapi
from sanic_ext.extensions.openapi.builders import OperationStore

from backend.errors import BadRequest, UnsupportedMediaType
from backend.text import MAX_REPORTED, NotAsciiDigits, first_surrogate_path, fold_digits

M = TypeVar("M", bound=BaseModel)


class Input(BaseModel):
    """Base of request bodies: unknown fields are refused, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Bounds every input shares, whatever the model says. Integers fit 64 bits (the
# widest column); text has no control or lone surrogate characters (never stored, never a 500 when
# encoded); times and dates lie within the years the service can compute with (no year 9999, which
# overflows at the first time-zone conversion); an object has at most MAX_FIELDS fields and an
# error lists at most MAX_ERRORS of them (400,000 unknown fields once answered 25 MB).
MAX_FIELDS = 200
MAX_ERRORS = MAX_REPORTED
MAX_DEPTH = 8
INT_BOUND = 2**63
YEARS = (2000, 2100)


def _refuse(where: str, message: str) -> None:
    raise BadRequest(f"{where}: {message}", fields=[{"field": where, "message": message}])


# Unicode categories Cc (C0, DEL, C1) and Cs (lone surrogates), as one compiled class: every
# string of every body passes here, and a per-character category look-up cost more than the rest
# of a scan's validation
CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _bounded_raw(value: Any, where: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        _refuse(where, "nested too deeply")
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -INT_BOUND <= value < INT_BOUND:
            _refuse(where, "integer out of range")
    elif isinstance(value, str):
        if CONTROL_OR_SURROGATE.search(value):
            _refuse(where, "may not contain control characters")
    elif isinstance(value, dict):
        if len(value) > MAX_FIELDS:
            _refuse(where, f"more than {MAX_FIELDS} fields")
        for key, item in value.items():
            _bounded_raw(key, where, depth + 1)
            _bounded_raw(item, f"{key}" if where == "body" else f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _bounded_raw(item, f"{where}.{i}", depth + 1)


def _bounded_times(model: BaseModel) -> None:
    for name, value in model:
        if isinstance(value, (dt.date, dt.datetime)) and not YEARS[0] <= value.year <= YEARS[1]:
            _refuse(name, f"must be a date between the years {YEARS[0]} and {YEARS[1]}")
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            try:
                value.astimezone(dt.timezone.utc)
            except OverflowError:
                _refuse(name, "out of range")


def _describe(exc: ValidationError) -> tuple[str, list[dict]]:
    fields = []
    for err in exc.errors(include_input=False, include_url=False, include_context=False)[:MAX_ERRORS]:
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        fields.append({"field": loc, "message": msg})
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
    return summary, fields


class _Digits:
    """Marks a text field read as digits though it has no pattern (an ID number, a phone)."""

    def __repr__(self) -> str:
        return "DIGITS"


DIGITS = _Digits()
# Text holding digits whose shape a domain parser checks (cards.rules.parse_id_number, ...)
DigitText = Annotated[str, DIGITS]


def _reads_digits(annotation: Any, metadata: list) -> bool:
    """Whether a field is read as a number, code, date or time: anything but free text (a plain
    `str` without a pattern). Such a field gets the service's digit rule (backend.text)."""
    if any(m is DIGITS or getattr(m, "pattern", None) for m in metadata):
        return True
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        inner, *extra = typing.get_args(annotation)
        return _reads_digits(inner, list(extra))
    if origin in (typing.Union, types.UnionType):
        return any(_reads_digits(a, []) for a in typing.get_args(annotation) if a is not type(None))
    if origin in (list, tuple, set, frozenset):
        return any(_reads_digits(a, []) for a in typing.get_args(annotation) if a is not Ellipsis)
    if origin is not None or annotation in (str, Any, bool) or annotation is type(None):
        return False  # free text, mappings, literals of words
    return not (isinstance(annotation, type) and issubclass(annotation, BaseModel))


@functools.cache
def _digit_fields(model: type[BaseModel]) -> frozenset[str]:
    """The keys (aliases where set) of the model's fields that follow the digit rule."""
    keys = set()
    for name, field in model.model_fields.items():
        if _reads_digits(field.annotation, list(field.metadata)):
            keys.add(field.alias or name)
    return frozenset(keys)


def _folded(value: Any, where: str) -> Any:
    if isinstance(value, str):
        try:
            return fold_digits(value)
        except NotAsciiDigits as exc:
            _refuse(where, str(exc))
    if isinstance(value, list):
        return [_folded(item, f"{where}.{i}") for i, item in enumerate(value)]
    return value


def fold_digit_fields(model: type[BaseModel], data: dict) -> dict:
    """The service's one rule for digits (backend.text), applied to every field of `model` read
    as a number, code, date or time: NFKC, then ASCII digits only."""
    keys = _digit_fields(model) & data.keys()
    if not keys:
        return data
    return {**data, **{key: _folded(data[key], key) for key in keys}}


def validate_model(model: type[M], data: Any) -> M:
    if data is None:
        raise BadRequest("a JSON object body is required")
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    _bounded_raw(data, "body")
    data = fold_digit_fields(model, data)
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        summary, fields = _describe(exc)
        more = {"more_errors": exc.error_count() - len(fields)} if exc.error_count() > len(fields) else {}
        raise BadRequest(summary, fields=fields, **more) from None
    _bounded_times(validated)
    return validated


JSON_TYPES = ("application/json",)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


def json_body(request: Request) -> Any:
    if not request.body:
        return None
    if not _is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType("send the body as application/json")
    try:
        data = request.json
    except Exception:  # Sanic raises BadRequest on malformed JSON; keep our message
        raise BadRequest("the body is not valid JSON") from None
    # Lone surrogates are refused here, once for every JSON body (values and keys, at any depth):
    # no view, parser or error message downstream ever holds one. They can only come from a
    # \uD800-style escape, so bodies without one skip the walk.
    if _SURROGATE_ESCAPE.search(request.body):
        where = first_surrogate_path(data)
        if where is not None:
            _refuse(where[:200], "may not contain lone surrogates (text that is not valid Unicode)")
    return data


def documents_body(schema: dict) -> Callable:
    """Describe the JSON request body in the OpenAPI document. sanic-ext's `openapi.body` does
    the same but also wraps the handler in one more coroutine run on every request (to validate,
    which `body` below does itself); this only records the description."""

    def decorator(handler):
        OperationStore()[handler].body({"application/json": schema})
        return handler

    return decorator


def body(model: type[BaseModel]) -> Callable:
    """Validate the JSON body with `model`; the handler gets it as `body`."""

    def decorator(handler):
        @functools.wraps(handler)
        async def wrapper(request: Request, *args, **kwargs):
            kwargs["body"] = validate_model(model, json_body(request))
            return await handler(request, *args, **kwargs)

        wrapper.__body_model__ = model  # read by backend.openapi_doc
        return documents_body(model.model_json_schema())(wrapper)

    return decorator


def query(model: type[BaseModel]) -> Callable:
    """Validate query-string arguments with `model`; the handler gets it as `query`."""

    def decorator(handler):
        @functools.wraps(handler)
        async def wrapper(request: Request, *args, **kwargs):
            data = {k: v[0] if len(v) == 1 else v for k, v in request.args.items()}
            kwargs["query"] = validate_model(model, data)
            return await handler(request, *args, **kwargs)

        wrapper.__query_model__ = model  # read by backend.openapi_doc

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
