"""Refusals the domains raise. Nothing here knows HTTP: `backend.edge` maps each class to its
status (one table) and renders {"error": {"code", "message", ...details}}.

The class says what kind of refusal it is, the `code` says which one (the API's error code).
`AppError(message, code=..., status=...)` with an explicit status stays as the edge's generic
form for a refusal no class fits.
"""

from __future__ import annotations

from typing import Callable

# Installed by backend.edge (the HTTP layer), so that code written against the former
# `exc.status` attribute keeps working; domain code never reads a status.
status_lookup: Callable[["AppError"], int] | None = None


class AppError(Exception):
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, **details):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.explicit_status = status
        self.details = details

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, **self.details}}

    @property
    def status(self) -> int:
        return status_lookup(self) if status_lookup else (self.explicit_status or 400)


class BadRequest(AppError):
    """The input breaks a rule of its own (format, range, a date in the past)."""

    code = "invalid_request"


class Unauthorized(AppError):
    """The caller could not be identified (token, signature)."""

    code = "unauthorized"


class Forbidden(AppError):
    """The caller is known but not allowed, or not yet (slots not released)."""

    code = "forbidden"


class NotFound(AppError):
    """Nothing the caller may see goes by that name."""

    code = "not_found"


class Conflict(AppError):
    """The thing is in a state that refuses the request (sold out, already checked in)."""

    code = "conflict"


class Gone(AppError):
    """It existed but can no longer be used (an expired or replaced code)."""

    code = "gone"


class Unprocessable(AppError):
    """Well-formed, but its content does not hold up (a code that does not verify)."""

    code = "unprocessable"


class TooManyRequests(AppError):
    """A rate or anti-scalper limit refused it."""

    code = "limit_exceeded"


class Unavailable(AppError):
    """A service this deployment depends on is off or not answering (WeChat, payments)."""

    code = "unavailable"


class UpstreamFailed(AppError):
    """A provider answered with a failure (WeChat Pay refused to create an order)."""

    code = "upstream_failed"


class UnsupportedMediaType(AppError):
    """The body comes in a format the endpoint does not read (JSON endpoints take only JSON)."""

    code = "unsupported_media_type"


class IllegalTransition(Conflict):
    """A status change its domain's transition table does not allow."""

    code = "illegal_transition"

    def __init__(
        self, message: str, *, code: str | None = None, current: str | None = None, wanted: str | None = None, **details
    ):
        super().__init__(message, code=code, **details)
        self.current = current
        self.wanted = wanted
