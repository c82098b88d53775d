"""Reports (报告查询): lab and imaging reports pushed by hospital systems, read by residents for
their own and linked members' cards, the PDF through a short-lived signed link.

Who may see a report: an account that may use the card (own or a live family link), the
report being final or amended; a report the hospital marked `sensitive` only the card's owner
- or, while the card has no owner (a child's card), the accounts linked to it. Everything else
is the same 404 as a report that does not exist."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from backend.cards import rules as card_rules
from backend.cards.models import Card, FamilyLink
from backend.catalog.models import Hospital
from backend.clock import SHANGHAI, clock, iso
from backend.errors import AppError, BadRequest, NotFound
from backend.notifications import service as notifications
from backend.privacy.masking import mask_name
from backend.reports import rules
from backend.reports.models import Report, ReportPdf, ReportResult
from backend.text import capped

log = logging.getLogger("ehealth.reports")

LIST_LIMIT = 200


# --- who sees what ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardAccess:
    """A card an account may use, and whether it may see the card's sensitive reports."""

    card_pk: int
    card_id: str
    id_hash: str
    is_self: bool
    has_owner: bool

    @property
    def sees_sensitive(self) -> bool:
        return self.is_self or not self.has_owner


async def card_access(account_id: int) -> list[CardAccess]:
    """The account's own card first, then the linked members' cards."""
    own = await Card.filter(owner_id=account_id).values_list("id", "card_id", "id_hash")
    linked = await FamilyLink.filter(account_id=account_id, removed_at__isnull=True).values_list(
        "card__id", "card__card_id", "card__id_hash", "card__owner_id"
    )
    return [CardAccess(pk, cid, h, True, True) for pk, cid, h in own] + [
        CardAccess(pk, cid, h, False, owner is not None) for pk, cid, h, owner in linked
    ]


def visible_filter(access: list[CardAccess], *, via: str = "") -> Q:
    """The reports these cards let the caller see, as one query condition (so counts and pages
    are the database's: the FHIR bundles page with it). `via`: the relation that leads to the
    report ("report__" from a result line)."""
    if not access:
        return Q(**{f"{via}id__in": []})
    every = [a.id_hash for a in access]
    sensitive_ok = [a.id_hash for a in access if a.sees_sensitive]
    shown = Q(**{f"{via}patient_id_hash__in": every, f"{via}sensitive": False})
    if sensitive_ok:
        shown = shown | Q(**{f"{via}patient_id_hash__in": sensitive_ok})
    return Q(shown, Q(**{f"{via}status__in": list(rules.VISIBLE)}))


def _not_found() -> NotFound:
    # one body for a report that does not exist, is not shown yet, or is someone else's
    return NotFound("no such report", code="report_not_found")


async def readable_report(account_id: int, report_id: int) -> tuple[Report, CardAccess]:
    access = await card_access(account_id)
    if not 0 < report_id < 2**31:
        raise _not_found()
    report = await Report.filter(Q(id=report_id), visible_filter(access)).select_related("hospital").first()
    if report is None:
        raise _not_found()
    return report, next(a for a in access if a.id_hash == report.patient_id_hash)


# --- hospital systems ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Push:
    id_number: str
    name: str
    kind: str
    title: str
    department: str
    doctor: str
    status: str
    reported_at: datetime
    code: str | None = None
    code_system: str | None = None
    specimen: str | None = None
    ordered_at: datetime | None = None
    collected_at: datetime | None = None
    conclusion: str | None = None
    sensitive: bool = False


def _refuse_results(problems: list[rules.Problem]) -> AppError:
    shown, more = capped(problems)
    return AppError(
        f"{len(problems)} result line(s) refused; nothing was written",
        code="invalid_results",
        status=422,
        items=[p.as_dict() for p in shown],
        **more,
    )


def _check_times(push: Push) -> None:
    order = [("ordered_at", push.ordered_at), ("collected_at", push.collected_at), ("reported_at", push.reported_at)]
    known = [(name, when) for name, when in order if when is not None]
    for (earlier, a), (later, b) in zip(known, known[1:]):
        if b < a:
            raise BadRequest(
                f"{later}: is before {earlier}",
                code="invalid_report",
                fields=[{"field": later, "message": f"is before {earlier}"}],
            )
    if push.reported_at > clock.now():
        raise BadRequest(
            "reported_at: is in the future",
            code="invalid_report",
            fields=[{"field": "reported_at", "message": "is in the future"}],
        )


async def put_report(*, deps, hospital: Hospital, report_no: str, push: Push, raw_results) -> tuple[dict, bool]:
    """Create or replace a report with all its result lines, in one transaction. A bad line
    refuses the whole push (422 invalid_results, one entry per bad line); a bad identity 400.
    Returns (view, created)."""
    results, problems = rules.check_results(raw_results)
    if problems:
        raise _refuse_results(problems)
    try:
        id_number = card_rules.parse_id_number(push.id_number, today=clock.today()).value
        name = card_rules.normalize_name(push.name)
    except card_rules.InvalidIdentity as exc:
        raise BadRequest(
            f"{exc.field}: {exc}", code=f"invalid_{exc.field}", fields=[{"field": exc.field, "message": str(exc)}]
        ) from None
    _check_times(push)
    now = clock.now()
    fields = dict(
        patient_id_hash=deps.pii.index(id_number, field="id_number"),
        id_enc=deps.pii.encrypt(id_number, field="id_number"),
        name_enc=deps.pii.encrypt(name, field="name"),
        pii_ref=deps.pii.ref,
        kind=push.kind,
        code=push.code,
        code_system=push.code_system if push.code else None,
        title=push.title,
        department=push.department,
        doctor=push.doctor,
        specimen=push.specimen,
        ordered_at=push.ordered_at,
        collected_at=push.collected_at,
        reported_at=push.reported_at,
        effective_at=push.collected_at or push.reported_at,
        conclusion=push.conclusion,
        sensitive=push.sensitive,
        has_critical=any(r.flag == "critical" for r in results),
        received_at=now,
    )
    async with in_transaction() as conn:
        report = (
            await Report.select_for_update().using_db(conn).get_or_none(hospital_id=hospital.id, report_no=report_no)
        )
        created = report is None
        if created:
            try:
                async with in_transaction() as inner:
                    report = await Report.create(
                        hospital_id=hospital.id,
                        report_no=report_no,
                        status=push.status,
                        version=1,
                        first_received_at=now,
                        received_on=now.astimezone(SHANGHAI).date(),
                        visible_at=now if push.status in rules.VISIBLE else None,
                        using_db=inner,
                        **fields,
                    )
            except IntegrityError:  # the same report pushed twice at once: the other one made it
                created = False
                report = (
                    await Report.select_for_update().using_db(conn).get(hospital_id=hospital.id, report_no=report_no)
                )
        if not created:
            was_visible = report.status in rules.VISIBLE
            status = rules.stored_status(push.status, was_visible=was_visible)
            changes = {**fields, "status": status, "version": report.version + 1}
            if was_visible and status in rules.VISIBLE:
                changes["amended_at"] = now
            if report.visible_at is None and status in rules.VISIBLE:
                changes["visible_at"] = now
            for key, value in changes.items():
                setattr(report, key, value)
            await report.save(using_db=conn, update_fields=list(changes))
            await ReportResult.filter(report_id=report.id).using_db(conn).delete()
            # the PDF rendered the replaced content: the hospital sends the new one
            await ReportPdf.filter(report_id=report.id).using_db(conn).delete()
        if results:
            await ReportResult.bulk_create(
                [
                    ReportResult(
                        report_id=report.id,
                        position=i,
                        code=r.code,
                        loinc=r.loinc,
                        name=r.name,
                        value_type=r.value_type,
                        value=r.value,
                        unit=r.unit,
                        reference_range=r.reference_range,
                        reference_low=r.reference_low,
                        reference_high=r.reference_high,
                        flag=r.flag,
                    )
                    for i, r in enumerate(results)
                ],
                using_db=conn,
            )
        if report.status in rules.VISIBLE:
            await _announce(conn, report, hospital)
    log.info("report %s hospital=%s version=%s status=%s", report.id, hospital.id, report.version, report.status)
    return _his_view(report, result_count=len(results)), created


async def _announce(conn, report: Report, hospital: Hospital) -> None:
    """An inbox entry for every account that may see the report, in the push's transaction:
    the owner, and the linked accounts unless the report is sensitive and the card has an owner."""
    card = await Card.get_or_none(id_hash=report.patient_id_hash).using_db(conn)
    if card is None:  # no card yet: the report shows once the card is claimed, with no message
        return
    accounts = [card.owner_id] if card.owner_id is not None else []
    if not (report.sensitive and card.owner_id is not None):
        accounts += (
            await FamilyLink.filter(card_id=card.id, removed_at__isnull=True)
            .using_db(conn)
            .values_list("account_id", flat=True)
        )
    payload = {
        "report_id": report.id,
        "card_id": card.card_id,
        "hospital": hospital.name,
        "title": report.title,
        "critical": report.has_critical,
    }
    for account_id in dict.fromkeys(accounts):
        await notifications.enqueue(conn, account_id=account_id, kind="report_ready", payload=payload)


def _his_view(report: Report, *, result_count: int) -> dict:
    return {
        "report_no": report.report_no,
        "status": report.status,
        "version": report.version,
        "result_count": result_count,
        "has_critical": report.has_critical,
        "amended_at": iso(report.amended_at),
        "received_at": iso(report.received_at),
    }


async def put_pdf(*, hospital: Hospital, report_no: str, content: bytes) -> dict:
    """Store (or replace) the report's PDF. Checked as a PDF and at most 10 MB."""
    problem = rules.pdf_problem(content)
    if problem is not None:
        if len(content) > rules.MAX_PDF_BYTES:
            raise AppError(problem, code="pdf_too_large", status=413, max_bytes=rules.MAX_PDF_BYTES)
        raise AppError(problem, code="invalid_pdf", status=422)
    digest = hashlib.sha256(content).hexdigest()
    async with in_transaction() as conn:
        report = (
            await Report.select_for_update().using_db(conn).get_or_none(hospital_id=hospital.id, report_no=report_no)
        )
        if report is None:
            raise NotFound("no such report at this hospital; push the report first", code="report_not_found")
        await ReportPdf.filter(report_id=report.id).using_db(conn).delete()
        await ReportPdf.create(
            report_id=report.id,
            content=content,
            size=len(content),
            sha256=digest,
            uploaded_at=clock.now(),
            using_db=conn,
        )
    log.info("report %s pdf bytes=%s", report.id, len(content))
    return {"report_no": report_no, "size": len(content), "sha256": digest}


# --- residents ----------------------------------------------------------------------------------


def _list_view(report: Report, *, card_id: str, has_pdf: bool) -> dict:
    return {
        "report_id": report.id,
        "card_id": card_id,
        "hospital_id": report.hospital_id,
        "hospital_name": report.hospital.name,
        "kind": report.kind,
        "title": report.title,
        "department": report.department,
        "reported_at": iso(report.reported_at),
        "status": report.status,
        "amended_at": iso(report.amended_at),
        "has_critical": report.has_critical,
        "has_pdf": has_pdf,
        "sensitive": report.sensitive,
    }


def result_view(r: ReportResult) -> dict:
    return {
        "code": r.code,
        "loinc": r.loinc,
        "name": r.name,
        "value": r.value,
        "value_type": r.value_type,
        "unit": r.unit,
        "reference_range": r.reference_range,
        "flag": r.flag,
        "critical": r.flag == "critical",
    }


async def _with_pdf(report_ids: list[int]) -> set[int]:
    if not report_ids:
        return set()
    return set(await ReportPdf.filter(report_id__in=report_ids).values_list("report_id", flat=True))


async def list_reports(*, account_id: int, card_id: str | None, kind: str | None) -> list[dict]:
    """The reports of the caller's cards (or of one of them), newest first."""
    access = await card_access(account_id)
    if card_id is not None:
        access = [a for a in access if a.card_id == card_id]
        if not access:
            raise NotFound("no such card")
    query = Report.filter(visible_filter(access))
    if kind is not None:
        query = query.filter(kind=kind)
    reports = await query.order_by("-reported_at", "-id").limit(LIST_LIMIT).select_related("hospital")
    pdfs = await _with_pdf([r.id for r in reports])
    card_of = {a.id_hash: a.card_id for a in access}
    return [_list_view(r, card_id=card_of[r.patient_id_hash], has_pdf=r.id in pdfs) for r in reports]


async def _mark_delivered(report: Report) -> None:
    if report.delivered_at is None:
        now = clock.now()
        await Report.filter(id=report.id, delivered_at__isnull=True).update(
            delivered_at=now, delivered_on=now.astimezone(SHANGHAI).date()
        )


async def get_report(*, deps, account_id: int, report_id: int) -> dict:
    report, access = await readable_report(account_id, report_id)
    results = await ReportResult.filter(report_id=report.id).order_by("position")
    await _mark_delivered(report)
    return {
        **_list_view(report, card_id=access.card_id, has_pdf=bool(await _with_pdf([report.id]))),
        "report_no": report.report_no,
        "name_masked": mask_name(deps.pii.decrypt(report.name_enc, field="name")),
        "doctor": report.doctor,
        "specimen": report.specimen,
        "ordered_at": iso(report.ordered_at),
        "collected_at": iso(report.collected_at),
        "conclusion": report.conclusion,
        "results": [result_view(r) for r in results],
    }


def _link_key(deps) -> bytes:
    return rules.link_key(deps.settings.crypto.index_key)


def pdf_path(report_id: int, *, expires: int, signature: str) -> str:
    return f"/api/v1/reports/{report_id}/pdf?expires={expires}&signature={signature}"


async def pdf_link(*, deps, account_id: int, report_id: int, base_url: str) -> dict:
    """A link to the PDF that needs no bearer (wx.downloadFile sends none) and works for
    LINK_TTL_S seconds; the signature covers the report, the PDF and the expiry."""
    report, _ = await readable_report(account_id, report_id)
    pdf = await ReportPdf.filter(report_id=report.id).only("id", "sha256").first()
    if pdf is None:
        raise NotFound("this report has no PDF", code="pdf_not_found")
    expires = int(clock.now().timestamp()) + rules.LINK_TTL_S
    signature = rules.link_signature(_link_key(deps), report_id=report.id, pdf_sha256=pdf.sha256, expires=expires)
    path = pdf_path(report.id, expires=expires, signature=signature)
    return {
        "url": base_url.rstrip("/") + path,
        "path": path,
        "expires_at": iso(datetime.fromtimestamp(expires, tz=SHANGHAI)),
        "expires_in": rules.LINK_TTL_S,
    }


async def open_pdf(*, deps, report_id: int, expires: int, signature: str) -> tuple[bytes, str]:
    """The PDF a signed link names: (content, file name). A link that was tampered with, has
    expired, or names a PDF since replaced, and a report no longer shown, are one 404."""
    gone = NotFound("this link is not valid (expired or altered); ask for a new one", code="pdf_link_invalid")
    report = await Report.get_or_none(id=report_id) if 0 < report_id < 2**31 else None
    if report is None or report.status not in rules.VISIBLE:
        raise gone
    pdf = await ReportPdf.get_or_none(report_id=report.id)
    if pdf is None or not rules.link_valid(
        _link_key(deps),
        report_id=report.id,
        pdf_sha256=pdf.sha256,
        expires=expires,
        signature=signature,
        now_s=int(clock.now().timestamp()),
    ):
        raise gone
    await _mark_delivered(report)
    return bytes(pdf.content), f"report-{report.id}.pdf"


# --- figures ------------------------------------------------------------------------------------


async def daily_counts(*, hospital_id: int | None, date_from, date_to) -> list[dict]:
    """Reports received (first push) and delivered (first opened by an allowed account) per
    hospital and business day."""
    received = Report.filter(received_on__gte=date_from, received_on__lte=date_to)
    delivered = Report.filter(delivered_on__gte=date_from, delivered_on__lte=date_to)
    if hospital_id is not None:
        received, delivered = received.filter(hospital_id=hospital_id), delivered.filter(hospital_id=hospital_id)
    rows: dict[tuple[int, str], dict] = {}
    for query, day_field, key in ((received, "received_on", "received"), (delivered, "delivered_on", "delivered")):
        counted = (
            await query.annotate(n=Count("id")).group_by("hospital_id", day_field).values("hospital_id", day_field, "n")
        )
        for r in counted:
            day = r[day_field].isoformat()
            row = rows.setdefault(
                (r["hospital_id"], day), {"hospital_id": r["hospital_id"], "date": day, "received": 0, "delivered": 0}
            )
            row[key] = r["n"]
    return [rows[k] for k in sorted(rows, key=lambda k: (k[1], k[0]))]


# --- searches (the FHIR interface reads reports through these) ----------------------------------


@dataclass(frozen=True, slots=True)
class ReportSearch:
    """What a search asks for; None is "any". `codes`: (system, code) pairs, system None for
    any system; `bounds`: (">=" | "<", time) conditions on the effective time."""

    card_ids: frozenset[str] | None = None
    kinds: tuple[str, ...] | None = None
    codes: tuple[tuple[str | None, str], ...] | None = None
    bounds: tuple[tuple[str, datetime], ...] = ()
    report_id: int | None = None


def _search_filter(access: list[CardAccess], search: ReportSearch, *, via: str = "") -> tuple[Q, list[CardAccess]]:
    if search.card_ids is not None:
        access = [a for a in access if a.card_id in search.card_ids]
    condition = visible_filter(access, via=via)
    if search.kinds is not None:
        condition &= Q(**{f"{via}kind__in": list(search.kinds)})
    for op, when in search.bounds:
        condition &= Q(**{f"{via}effective_at__gte" if op == ">=" else f"{via}effective_at__lt": when})
    if search.report_id is not None:
        condition &= Q(**{f"{via}id": search.report_id})
    return condition, access


def _code_filter(codes, *, lines: bool) -> Q:
    any_of = Q(id__in=[])
    for system, code in codes:
        if lines:
            if system in (None, "loinc"):
                any_of |= Q(loinc=code)
            if system in (None, "local"):
                any_of |= Q(code=code)
        else:
            if system is None:
                any_of |= Q(code=code)
            else:
                any_of |= Q(code=code, code_system=system)
    return any_of


def _detail(deps, report: Report, access: CardAccess, results: list[ReportResult], has_pdf: bool) -> dict:
    return {
        **_list_view(report, card_id=access.card_id, has_pdf=has_pdf),
        "report_no": report.report_no,
        "code": report.code,
        "code_system": report.code_system,
        "doctor": report.doctor,
        "specimen": report.specimen,
        "ordered_at": iso(report.ordered_at),
        "collected_at": iso(report.collected_at),
        "effective_at": iso(report.effective_at),
        "conclusion": report.conclusion,
        "results": [
            {**result_view(r), "position": r.position, "low": r.reference_low, "high": r.reference_high}
            for r in results
        ],
    }


async def search_reports(
    *, deps, account_id: int, search: ReportSearch, offset: int, limit: int
) -> tuple[int, list[dict]]:
    """(total, one page of reports with their results), newest first; the page is the database's."""
    access = await card_access(account_id)
    condition, access = _search_filter(access, search)
    query = Report.filter(condition)
    if search.codes is not None:
        query = query.filter(_code_filter(search.codes, lines=False))
    total = await query.count()
    reports = (
        await query.order_by("-effective_at", "-id").offset(offset).limit(limit).select_related("hospital")
        if limit
        else []
    )
    ids = [r.id for r in reports]
    lines: dict[int, list[ReportResult]] = {i: [] for i in ids}
    for line in await ReportResult.filter(report_id__in=ids).order_by("report_id", "position") if ids else []:
        lines[line.report_id].append(line)
    pdfs = await _with_pdf(ids)
    by_hash = {a.id_hash: a for a in access}
    return total, [_detail(deps, r, by_hash[r.patient_id_hash], lines[r.id], r.id in pdfs) for r in reports]


async def search_results(
    *, deps, account_id: int, search: ReportSearch, position: int | None = None, offset: int, limit: int
) -> tuple[int, list[dict]]:
    """(total, one page of result lines) of the reports a search finds, each line with its
    report's header: {report: <list view + effective_at>, result: <line>}."""
    access = await card_access(account_id)
    condition, access = _search_filter(access, search, via="report__")
    query = ReportResult.filter(condition)
    if search.codes is not None:
        query = query.filter(_code_filter(search.codes, lines=True))
    if position is not None:
        query = query.filter(position=position)
    total = await query.count()
    rows = (
        await query.order_by("-report__effective_at", "-report_id", "position")
        .offset(offset)
        .limit(limit)
        .select_related("report", "report__hospital")
        if limit
        else []
    )
    by_hash = {a.id_hash: a for a in access}
    found = []
    for line in rows:
        report = line.report
        header = {
            **_list_view(report, card_id=by_hash[report.patient_id_hash].card_id, has_pdf=False),
            "effective_at": iso(report.effective_at),
        }
        found.append(
            {
                "report": header,
                "result": {
                    **result_view(line),
                    "position": line.position,
                    "low": line.reference_low,
                    "high": line.reference_high,
                },
            }
        )
    return total, found


async def signed_pdf_url(*, deps, report_id: int, base_url: str) -> str | None:
    """A fresh signed link to a report's PDF (for a report the caller was already shown)."""
    pdf = await ReportPdf.filter(report_id=report_id).only("id", "sha256").first()
    if pdf is None:
        return None
    expires = int(clock.now().timestamp()) + rules.LINK_TTL_S
    signature = rules.link_signature(_link_key(deps), report_id=report_id, pdf_sha256=pdf.sha256, expires=expires)
    return base_url.rstrip("/") + pdf_path(report_id, expires=expires, signature=signature)
