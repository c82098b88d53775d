"""Reports (报告查询): residents' list, detail and PDF link; the signed PDF download; the
hospital systems' intake of reports and their PDFs."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sanic import Blueprint, Request, empty, json, raw
from sanic_ext import openapi

from backend.errors import AppError, NotFound, UnsupportedMediaType
from backend.his.guards import authenticate, hospital_system
from backend.http import DigitText, Input, body, query
from backend.identity.guards import resident
from backend.reports import rules, service

bp = Blueprint("reports", url_prefix="/reports")
his_bp = Blueprint("reports_his", url_prefix="/his")


class ReportsQuery(BaseModel):
    card_id: str | None = Field(default=None, min_length=1, max_length=64)
    kind: Literal[rules.KINDS] | None = None  # type: ignore[valid-type]


class PdfQuery(BaseModel):
    expires: int = Field(ge=0, le=2**40)
    signature: str = Field(pattern=r"^[0-9a-fA-F]{64}$")


def base_url(request: Request) -> str:
    """Where the client reached this service (the proxy's view when Sanic is told of one)."""
    return f"{request.scheme}://{request.host}"


@bp.get("")
@openapi.summary("Reports of the caller's own and linked cards (or of one card), newest first; filter by kind")
@resident
@query(ReportsQuery)
async def list_reports(request: Request, query: ReportsQuery):
    return json(await service.list_reports(account_id=request.ctx.account_id, card_id=query.card_id, kind=query.kind))


@bp.get("/<report_id:id>")
@openapi.summary("One report with its results (value, unit, reference range, flag; critical values marked)")
@resident
async def get_report(request: Request, report_id: int):
    return json(
        await service.get_report(deps=request.app.ctx.deps, account_id=request.ctx.account_id, report_id=report_id)
    )


@bp.post("/<report_id:id>/pdf-link")
@openapi.summary("A link to the report's PDF that needs no bearer and expires within 5 minutes (wx.downloadFile)")
@resident
async def pdf_link(request: Request, report_id: int):
    return json(
        await service.pdf_link(
            deps=request.app.ctx.deps,
            account_id=request.ctx.account_id,
            report_id=report_id,
            base_url=base_url(request),
        )
    )


@bp.get("/<report_id:id>/pdf")
@openapi.summary("The report's PDF through a signed link from pdf-link (no bearer; 404 once expired or altered)")
@openapi.response(200, {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}, description="the PDF")
@query(PdfQuery)
async def open_pdf(request: Request, report_id: int, query: PdfQuery):
    content, filename = await service.open_pdf(
        deps=request.app.ctx.deps, report_id=report_id, expires=query.expires, signature=query.signature
    )
    return raw(
        content,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- hospital systems ---------------------------------------------------------------------------


def _report_no(value: str) -> str:
    if not re.match(rules.REPORT_NO, value):
        raise NotFound("no such report at this hospital", code="report_not_found")
    return value


class ReportPush(Input):
    id_number: DigitText = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=40)
    kind: Literal[rules.KINDS]  # type: ignore[valid-type]
    code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:/-]{1,32}$", description="the test or study code")
    code_system: Literal["loinc", "local"] = Field(default="local", description="loinc when `code` is a LOINC code")
    title: str = Field(min_length=1, max_length=128)
    department: str = Field(min_length=1, max_length=64)
    doctor: str = Field(min_length=1, max_length=40, description="the ordering doctor")
    specimen: str | None = Field(default=None, max_length=64)
    ordered_at: dt.datetime | None = None
    collected_at: dt.datetime | None = None
    reported_at: dt.datetime
    status: Literal["preliminary", "final", "amended", "cancelled"]
    conclusion: str | None = Field(default=None, max_length=4000)
    sensitive: bool = False
    results: list[Any] = Field(
        default_factory=list,
        max_length=rules.MAX_RESULTS,
        description="result lines {code, loinc?, name, value (number or text), unit?, reference_range?, "
        "reference_low?, reference_high?, flag: normal|high|low|abnormal|critical}; any bad line refuses the "
        "whole push (422 invalid_results)",
    )

    @field_validator("ordered_at", "collected_at", "reported_at")
    @classmethod
    def _aware(cls, value):
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2026-11-20T09:30:00+08:00")
        if value is not None and not 2000 <= value.year <= 2100:
            raise ValueError("must be a time between the years 2000 and 2100")
        return value

    @field_validator("code_system")
    @classmethod
    def _loinc(cls, value, info):
        code = info.data.get("code")
        if value == "loinc" and code is not None and not rules.LOINC.match(code):
            raise ValueError("a LOINC code looks like 58410-2")
        return value


@his_bp.put("/<hospital_code:str>/reports/<report_no:str>")
@openapi.summary(
    "HIS: create or replace a report with its result lines (201 when new; 422 invalid_results lists bad lines)"
)
@hospital_system
@body(ReportPush)
async def put_report(request: Request, hospital_code: str, report_no: str, body: ReportPush):
    view, created = await service.put_report(
        deps=request.app.ctx.deps,
        hospital=request.ctx.hospital,
        report_no=_report_no(report_no),
        push=service.Push(**body.model_dump(exclude={"results"})),
        raw_results=body.results,
    )
    return json(view, status=201 if created else 200)


def signed_stream(handler):
    """hospital_system for a streamed body: the body is read first (at most MAX_PDF_BYTES, so
    Sanic's request size limit does not cut a 10 MB PDF), then the signature over it checked."""

    @functools.wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        chunks, size = [], 0
        while True:
            chunk = await request.stream.read()
            if chunk is None:
                break
            size += len(chunk)
            if size > rules.MAX_PDF_BYTES:
                raise AppError(
                    f"at most {rules.MAX_PDF_BYTES} bytes",
                    code="pdf_too_large",
                    status=413,
                    max_bytes=rules.MAX_PDF_BYTES,
                )
            chunks.append(chunk)
        request.body = b"".join(chunks)
        request.ctx.hospital = await authenticate(request, kwargs.get("hospital_code", ""))
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != "application/pdf":
            raise UnsupportedMediaType("send the PDF as application/pdf")
        return await handler(request, *args, **kwargs)

    return openapi.secured("hospital_system")(wrapper)


@his_bp.put("/<hospital_code:str>/reports/<report_no:str>/pdf", stream=True)
@openapi.summary("HIS: the report's PDF (application/pdf body, at most 10 MB; replaces an earlier one) -> 204")
@signed_stream
async def put_pdf(request: Request, hospital_code: str, report_no: str):
    await service.put_pdf(hospital=request.ctx.hospital, report_no=_report_no(report_no), content=request.body)
    return empty()
