"""The OpenAPI document lists the error codes an operation can answer, under the status the
edge table gives them, and those statuses are what the API really answers."""

from __future__ import annotations

from backend.edge import STATUS_OF, status_of
from backend.errors import Conflict, IllegalTransition, NotFound


def _codes(doc, path, method, status):
    response = doc["paths"][path][method]["responses"][str(status)]
    return set(response["content"]["application/json"]["schema"]["properties"]["error"]["properties"]["code"]["enum"])


async def test_operations_list_their_error_codes(deps, database, make_client):
    from backend.app import create_app

    # its own app: sanic-ext builds the document in a process-wide singleton at start-up
    client = await make_client(create_app(deps=deps))
    _, r = await client.get("/docs/openapi.json")
    doc = r.json
    assert {"sold_out", "already_held"} <= _codes(doc, "/api/v1/holds", "post", 409)
    assert _codes(doc, "/api/v1/holds", "post", 403) == {"not_released", "not_admitted"}
    assert _codes(doc, "/api/v1/holds", "post", 429) == {"limit_exceeded"}
    assert {"booking_checked_in", "cancel_deadline_passed"} <= _codes(
        doc, "/api/v1/bookings/{booking_id}", "delete", 409
    )
    assert {"qr_reused", "already_checked_in"} <= _codes(doc, "/api/v1/staff/checkins", "post", 409)
    assert {"bad_signature", "stale_timestamp", "replayed_nonce"} <= _codes(doc, "/api/v1/staff/checkins", "post", 401)
    assert _codes(doc, "/api/v1/family/{member_id}", "delete", 409) == {"removal_locked"}
    assert "payment_unavailable" in _codes(doc, "/api/v1/holds/{hold_id}/payment", "post", 503)


def test_the_edge_table_decides_statuses_by_kind():
    assert status_of(IllegalTransition("x", code="booking_checked_in")) == 409
    assert status_of(NotFound("x")) == 404
    assert status_of(Conflict("x", code="c", status=422)) == 422  # the generic form keeps its explicit status
    assert all(400 <= s < 600 for s in STATUS_OF.values())


def test_the_former_status_attribute_and_class_statuses_still_work():
    from backend.errors import AppError

    class Legacy(AppError):
        status = 422
        code = "legacy"

    assert NotFound("x").status == 404 and Conflict("x", code="c", status=410).status == 410
    assert status_of(Legacy("x")) == 422
