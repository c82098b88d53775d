"""The HTTP edge of the domain errors: one table from refusal kind to status, and the handler
that renders every 4xx as {"error": {"code", "message", ...details}}. Sanic's own exceptions get
the same shape; anything unexpected becomes a 500 with no detail for the client."""

from __future__ import annotations

import logging

from sanic import Sanic, json
from sanic.exceptions import SanicException
from tortoise.exceptions import ValidationError as OrmValidationError

from backend import errors
from backend.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    IllegalTransition,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unavailable,
    Unprocessable,
    UnsupportedMediaType,
    UpstreamFailed,
)

log = logging.getLogger("ehealth.errors")

# The one place a domain refusal becomes an HTTP status (most specific class first wins, by MRO).
STATUS_OF = {
    AppError: 400,
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    IllegalTransition: 409,
    Gone: 410,
    UnsupportedMediaType: 415,
    Unprocessable: 422,
    TooManyRequests: 429,
    UpstreamFailed: 502,
    Unavailable: 503,
}

_SANIC_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
}


def status_of(exc: AppError) -> int:
    if exc.explicit_status:
        return exc.explicit_status
    return _status_of_kind(type(exc))


def _status_of_kind(kind: type[AppError]) -> int:
    for cls in kind.__mro__:
        # a subclass that names its own status (`status = 422`, the former style) keeps it
        own = cls.__dict__.get("status")
        if isinstance(own, int):
            return own
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


errors.status_lookup = status_of


def error_response(status: int, code: str, message: str, **details):
    return json({"error": {"code": code, "message": message, **details}}, status=status)


def handle_exception(request, exc: Exception):
    if isinstance(exc, AppError):
        response = json(exc.body(), status=status_of(exc))
        retry_after = exc.details.get("retry_after")
        if isinstance(retry_after, int):  # a rate limit says when: HTTP clients read the header
            response.headers["Retry-After"] = str(retry_after)
        return response
    if isinstance(exc, OrmValidationError):
        # A value the model's own field rules refuse (too long, out of range) that a view let
        # through: still the client's input, so a 400, never a 500.
        log.warning("ORM refused a value on %s %s", request.method, request.path)
        return error_response(400, "invalid_request", "a value in the request is out of range")
    outage = _outage(exc)
    if outage is not None:
        # prooffaults: Redis or PostgreSQL unreachable (restart, failover, lost connection) is
        # the deployment's trouble, not a bug: a clean 503 the client may retry, no 500.
        log.warning(
            "%s unavailable on %s %s: %s",
            outage,
            request.method if request else "?",
            request.path if request else "?",
            type(exc).__name__,
        )
        code = "store_unavailable" if outage == "store" else "database_unavailable"
        response = error_response(503, code, "the service is briefly unavailable, try again shortly")
        response.headers["Retry-After"] = "2"
        return response
    if isinstance(exc, SanicException) and 400 <= exc.status_code < 500:
        status = exc.status_code
        # Sanic's messages never carry request data, but keep them short and generic.
        message = str(exc.message or exc.args[0] if exc.args else "request refused")
        return error_response(status, _SANIC_CODES.get(status, "invalid_request"), message)
    log.exception("unhandled error on %s %s", request.method if request else "?", request.path if request else "?")
    return error_response(500, "internal", "internal error")


def _outage(exc: BaseException) -> str | None:
    """'store' when Redis, 'database' when PostgreSQL cannot be reached; None otherwise."""
    import redis.exceptions as redis_errors
    from tortoise.exceptions import DBConnectionError

    if isinstance(
        exc,
        (
            redis_errors.ConnectionError,
            redis_errors.TimeoutError,
            redis_errors.BusyLoadingError,
            redis_errors.ClusterDownError,
            redis_errors.TryAgainError,
        ),
    ):  # a cluster failing over
        return "store"
    if isinstance(exc, DBConnectionError):
        return "database"
    try:
        import asyncpg
    except ImportError:  # SQLite-only installs
        return None
    lost = (
        asyncpg.exceptions.PostgresConnectionError,  # class 08: connection failures
        asyncpg.exceptions.OperatorInterventionError,  # class 57: terminated, shutting down
        asyncpg.exceptions.ConnectionDoesNotExistError,  # the socket closed under a query
        asyncpg.exceptions.TooManyConnectionsError,
        asyncpg.exceptions.InternalClientError,
    )  # a query sent on a connection being torn down
    if isinstance(exc, lost):
        return "database"
    if isinstance(exc, (ConnectionRefusedError, ConnectionResetError)):  # no server at the address yet
        return "database"
    return None


def install(app: Sanic) -> None:
    app.error_handler.add(Exception, handle_exception)


def refuses(kinds: dict[type[AppError], tuple[str, ...] | list[str]]):
    """Document in the OpenAPI description which error codes an operation can answer, grouped
    by the status the table above gives their kind: `@refuses({Conflict: ("sold_out",)})`."""
    from sanic_ext import openapi

    by_status: dict[int, list[str]] = {}
    for kind, codes in kinds.items():
        by_status.setdefault(_status_of_kind(kind), []).extend(codes)

    def decorator(handler):
        handler.__refusals__ = {status: sorted(set(codes)) for status, codes in by_status.items()}
        for status, codes in sorted(handler.__refusals__.items()):
            schema = {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {"code": {"type": "string", "enum": codes}, "message": {"type": "string"}},
                        "required": ["code", "message"],
                    }
                },
            }
            handler = openapi.response(
                status, {"application/json": schema}, description="error codes: " + ", ".join(codes)
            )(handler)
        return handler

    return decorator
