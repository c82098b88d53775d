"""One error shape for every 4xx: {"error": {"code", "message", ...details}}.

Domain code raises these; the handler installed by `install` turns them (and Sanic's own
exceptions) into that shape. Unexpected exceptions become a 500 with no detail for the client.
"""

from __future__ import annotations

import logging

from sanic import Sanic, json
from sanic.exceptions import SanicException
from tortoise.exceptions import ValidationError as OrmValidationError

log = logging.getLogger("ehealth.errors")


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, **details):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, **self.details}}


class BadRequest(AppError):
    status = 400
    code = "invalid_request"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class TooManyRequests(AppError):
    status = 429
    code = "limit_exceeded"


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


def error_response(status: int, code: str, message: str, **details):
    return json({"error": {"code": code, "message": message, **details}}, status=status)


def handle_exception(request, exc: Exception):
    if isinstance(exc, AppError):
        return json(exc.body(), status=exc.status)
    if isinstance(exc, OrmValidationError):
        # A value the model's own field rules refuse (too long, out of range) that a view let
        # through: still the client's input, so a 400, never a 500.
        log.warning("ORM refused a value on %s %s", request.method, request.path)
        return error_response(400, "invalid_request", "a value in the request is out of range")
    if isinstance(exc, SanicException) and 400 <= exc.status_code < 500:
        status = exc.status_code
        # Sanic's messages never carry request data, but keep them short and generic.
        message = str(exc.message or exc.args[0] if exc.args else "request refused")
        return error_response(status, _SANIC_CODES.get(status, "invalid_request"), message)
    log.exception("unhandled error on %s %s", request.method if request else "?", request.path if request else "?")
    return error_response(500, "internal", "internal error")


def install(app: Sanic) -> None:
    app.error_handler.add(Exception, handle_exception)
