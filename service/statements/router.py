"""HTTP endpoints of periods, statements, remittance advice and payments."""

import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from service.auth.caller import Caller
from service.auth.dependencies import (
    AdminCaller,
    AnyCaller,
    IdFilter,
    IdPath,
    PageDep,
    PartyFilter,
    SettingsDep,
    require_role,
)
from service.db import ReadSessionDep, SessionDep
from service.downloads import TOO_MANY, Downloads
from service.ledger.schemas import HeadPublic
from service.pagination import Page, PageParams, page_of
from service.problems import problem_codes
from service.replication import first_holding, fresh_reader
from service.rights import Role
from service.statements import evidence, formats, repository, service
from service.statements import payments as payments_service
from service.statements.amounts import fmt_exact, fmt_minor, fmt_rate, round_minor
from service.statements.close.service import close_period, issuer_of
from service.statements.dependencies import (
    Conditional,
    ConditionalDep,
    DownloadsDep,
    Representation,
    etag_of,
    strong_etag,
)
from service.statements.exceptions import StatementNotFound
from service.statements.formats import CSV, JSON, TSV, FileKind
from service.statements.models import Payment, Statement
from service.statements.periods import PERIOD_PATTERN
from service.statements.render.lines import line_page, line_values
from service.statements.schemas import (
    LinePublic,
    PaymentCreate,
    PaymentPublic,
    PeriodPublic,
    ReconciliationPublic,
    RemittanceLinePublic,
    StatementDetail,
    StatementPublic,
    TotalsPublic,
)
from service.telemetry.metrics import CLOSE_SECONDS, timed
from service.timeutil import utcnow
from service.transparency import service as transparency
from service.transparency.schemas import sth_public

router = APIRouter(prefix="/v1", tags=["statements"])
# A statement's evidence (the transparency log behind it), tagged with the log's endpoints.
evidence_router = APIRouter(prefix="/v1", tags=["transparency"])
NDJSON = "application/x-ndjson"
_MAX_LEAF = 2**62  # beyond any ledger; keeps the numbers inside BIGINT

PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, examples=["2006-11"])]
PeriodQuery = Annotated[str | None, Query(pattern=PERIOD_PATTERN, examples=["2006-11"])]
PartyReader = Annotated[Caller, Depends(require_role(Role.society, Role.rights_holder))]
# Remittance advice: a society reads its statements instead, so its 403 names only these.
HolderReader = Annotated[Caller, Depends(require_role(Role.rights_holder))]


# --- periods -------------------------------------------------------------------------


def _period_public(view: service.PeriodView) -> PeriodPublic:
    head = None
    if view.ledger_sequence is not None and view.ledger_hash is not None:
        head = HeadPublic(sequence=view.ledger_sequence, hash=view.ledger_hash)
    recon = None
    if view.reconciliation is not None:
        recon = [
            ReconciliationPublic(
                currency=r.currency,
                recorded=fmt_exact(r.recorded),
                converted=fmt_exact(r.converted),
                on_statements=fmt_exact(r.on_statements),
                in_suspense=fmt_exact(r.in_suspense),
                difference=fmt_exact(r.difference),
                balanced=r.difference == 0,
            )
            for r in view.reconciliation
        ]
    return PeriodPublic(
        period=view.period,
        status=view.status,
        closed_at=view.closed_at,
        ledger_head=head,
        statement_count=view.statement_count,
        fx_transactions=view.fx_transactions,
        reconciliation=recon,
    )


@router.post(
    "/periods/{period}/close",
    status_code=201,
    responses={200: {"model": PeriodPublic, "description": "Already closed: the same result."}},
)
def close(
    period: PeriodPath,
    session: SessionDep,
    _: AdminCaller,
    response: Response,
    settings: SettingsDep,
) -> PeriodPublic:
    """Close a month: 201 the first time, 200 with the same result on every repeat.

    409 `period_not_ended` before the month is over, `earlier_period_open` (naming the
    month) while an earlier month with entries is open, `missing_fx_rate` (naming the
    pairs) when a conversion has no rate; nothing is written then.
    """
    with timed(CLOSE_SECONDS):
        outcome = close_period(
            session=session, period=period, now=utcnow(), issuer=issuer_of(settings)
        )
    if not outcome.created:
        response.status_code = 200
    view = service.period_view(session=session, period=period, with_reconciliation=True)
    return _period_public(view)


@router.get("/periods/{period}")
def get_period(period: PeriodPath, session: SessionDep, caller: AnyCaller) -> PeriodPublic:
    """Status of a month; the reconciliation block (closed months) is shown to admins."""
    view = service.period_view(session=session, period=period, with_reconciliation=caller.is_admin)
    return _period_public(view)


# --- statements ----------------------------------------------------------------------


def _statement_public(st: Statement) -> StatementPublic:
    c = st.currency
    lines = round_minor(st.royalty_exact, c)  # rounded once, here and nowhere else
    return StatementPublic(
        id=st.id,
        period=st.period,
        party_type=st.party_type,
        party=st.party,
        currency=c,
        totals=TotalsPublic(
            royalty=fmt_minor(st.royalty, c),
            commission=fmt_minor(st.commission, c),
            net=fmt_minor(st.net, c),
            lines_royalty=fmt_minor(lines, c),
            rounding=fmt_minor(round_minor(st.royalty, c) - lines, c),
        ),
        opening_balance=fmt_minor(st.opening_balance, c),
        payments=fmt_minor(st.payments, c),
        closing_balance=fmt_minor(st.closing_balance, c),
        payable=st.payable,
        line_count=st.line_count,
        ledger_head=HeadPublic(sequence=st.ledger_sequence, hash=st.ledger_hash),
        party_name=st.party_name,
        commission_rate=fmt_rate(st.commission_rate) or "0",
        payout_threshold=fmt_rate(st.payout_threshold),
        balance_exact=fmt_exact(st.balance_exact),
        closed_at=st.closed_at,
    )


@router.get("/statements")
def list_statements(
    primary: SessionDep,
    reader: ReadSessionDep,
    caller: PartyReader,
    page: PageDep,
    period: PeriodQuery = None,
    party: PartyFilter = None,
) -> Page[StatementPublic]:
    """The caller's statements (admin: all, `party=` to filter)."""
    session = fresh_reader(primary=primary, reader=reader, watermark=repository.last_close)
    rows, cursor = service.list_statements(
        session=session, caller=caller, page=page, period=period, party=party
    )
    return Page(data=[_statement_public(st) for st in rows], next_cursor=cursor)


@router.get(
    "/statements/{statement_id}",
    responses={
        200: {
            "content": {
                CSV: {"schema": {"type": "string"}},
                TSV: {"schema": {"type": "string"}},
            },
            "description": "JSON (a page of lines), CSV (every line) or the DSR file.",
        },
        304: {"description": "If-None-Match matched the ETag."},
        406: problem_codes("not_acceptable", description="Accept names no representation here."),
        429: TOO_MANY,
    },
)
def get_statement(
    statement_id: IdPath,
    # Declared first so the served parameters keep their order (format before the page's).
    asked: Representation,
    conditional: ConditionalDep,
    primary: SessionDep,
    reader: ReadSessionDep,
    caller: PartyReader,
    page: PageDep,
    downloads: DownloadsDep,
) -> StatementDetail:
    """A statement: JSON with a page of lines, `Accept: text/csv` (streamed), or
    `?format=dsr` (DDEX DSR BasicAudioProfile 1.2). Strong ETag, `Vary: Accept`."""
    session, st = _find_statement(primary, reader, caller, statement_id)
    kind = asked.kind
    if kind == "json":
        return json_statement_response(session, st, page, conditional)  # type: ignore[return-value]
    return file_statement_response(session, st, kind, conditional, downloads)  # type: ignore[return-value]


def _find_statement(
    primary: Session, reader: Session, caller: Caller, statement_id: str
) -> tuple[Session, Statement]:
    """The statement and the session holding it (docs/architecture.md, read replicas)."""
    return first_holding(
        primary=primary,
        reader=reader,
        find=lambda session: service.get_statement(
            session=session, caller=caller, statement_id=statement_id
        ),
        missing=StatementNotFound,
    )


def json_statement_response(
    session: Session, st: Statement, page: PageParams, conditional: Conditional
) -> Response:
    after = service.line_cursor(page.cursor)
    lines, cursor = page_of(
        line_page(session, st.id, after=after, limit=page.limit + 1),
        limit=page.limit,
        key_of=lambda line: line.line_no,
    )
    pinned = transparency.of_period(session=session, period=st.period)
    detail = StatementDetail(
        **_statement_public(st).model_dump(),
        sth=None if pinned is None else sth_public(pinned),
        lines=[LinePublic(**line_values(line, st)) for line in lines],
        next_cursor=cursor,
    )
    body = detail.model_dump_json().encode()
    # Shown inline; saved (pull-statements, a browser's "save"), it has the one name.
    disposition = f'inline; filename="{formats.file_name(st, "json")}"'
    headers = {"Vary": "Accept", "ETag": etag_of(body), "Content-Disposition": disposition}
    return conditional.not_modified(headers) or Response(body, media_type=JSON, headers=headers)


def file_statement_response(
    session: Session, st: Statement, kind: FileKind, conditional: Conditional, downloads: Downloads
) -> Response:
    """The statement's CSV or DSR file, streamed, with its strong ETag (304 on a match)."""
    rendered = service.representation(session=session, statement=st, kind=kind)
    headers = {"Vary": "Accept", "ETag": strong_etag(rendered.etag)}
    not_modified = conditional.not_modified(headers)
    if not_modified is not None:
        rendered.discard()
        return not_modified
    file = formats.statement_file(session, st, kind)
    headers["Content-Disposition"] = f'attachment; filename="{file.name}"'
    # The request that computed the ETag replays the bytes it rendered for it.
    # The DSR is kept open to the end: on PostgreSQL it streams from a server-side cursor.
    chunks = rendered.replay() or downloads.stream(session, file.chunks, release=kind != "dsr")
    return StreamingResponse(chunks, media_type=file.media_type, headers=headers)


@router.get("/royalties")
def royalties(
    primary: SessionDep,
    reader: ReadSessionDep,
    caller: HolderReader,
    page: PageDep,
    period: PeriodQuery = None,
    holder_id: Annotated[IdFilter, Query(description="Admin only.")] = None,
) -> Page[RemittanceLinePublic]:
    """A rights holder's own lines on every society statement (remittance advice)."""
    if not caller.is_admin:
        holder_id = caller.subject
    if holder_id is None:
        return Page(data=[], next_cursor=None)
    session = fresh_reader(primary=primary, reader=reader, watermark=repository.last_close)
    rows, cursor = service.remittance(
        session=session, caller=caller, holder_id=holder_id, period=period, page=page
    )
    data = [
        RemittanceLinePublic(
            **line_values(line, st), statement_id=st.id, period=st.period, society=st.party
        )
        for line, st in rows
    ]
    return Page(data=data, next_cursor=cursor)


# --- payments ------------------------------------------------------------------------


def _payment_public(p: Payment) -> PaymentPublic:
    return PaymentPublic(
        id=p.id,
        party=p.party,
        amount=fmt_minor(p.amount, p.currency),
        currency=p.currency,
        paid_at=p.paid_at,
        reference=p.reference,
        period=p.period,
        adjustment=p.adjustment,
        ledger_sequence=p.ledger_sequence,
    )


@router.post(
    "/payments",
    status_code=201,
    tags=["payments"],
    responses={200: {"model": PaymentPublic, "description": "Replay of a known reference."}},
)
def create_payment(
    data: PaymentCreate, session: SessionDep, _: AdminCaller, response: Response
) -> PaymentPublic:
    """Record a payout (party debited, `cash` credited) in the party's currency.

    Idempotent on `reference`: a replay answers 200 with the first payment; the same
    reference with different content is a 409 `conflict`.
    """
    payment, created = payments_service.create_payment(session=session, data=data, now=utcnow())
    if not created:
        response.status_code = 200
    return _payment_public(payment)


@router.get("/payments", tags=["payments"])
def list_payments(
    session: SessionDep,
    caller: PartyReader,
    page: PageDep,
    party: PartyFilter = None,
) -> Page[PaymentPublic]:
    rows, cursor = payments_service.list_payments(
        session=session, caller=caller, page=page, party=party
    )
    return Page(data=[_payment_public(p) for p in rows], next_cursor=cursor)


@router.get("/payments/{payment_id}", tags=["payments"])
def get_payment(payment_id: IdPath, session: SessionDep, caller: PartyReader) -> PaymentPublic:
    return _payment_public(
        payments_service.get_payment(session=session, caller=caller, payment_id=payment_id)
    )


# --- evidence -------------------------------------------------------------------------


@evidence_router.get(
    "/statements/{statement_id}/evidence",
    responses={200: {"content": {NDJSON: {"schema": {"type": "string"}}}}, 429: TOO_MANY},
)
def statement_evidence(
    statement_id: IdPath,
    primary: SessionDep,
    reader: ReadSessionDep,
    caller: AnyCaller,
    downloads: DownloadsDep,
    after: Annotated[
        int, Query(ge=-1, le=_MAX_LEAF, description="Leaf index to resume after.")
    ] = -1,
) -> StreamingResponse:
    """NDJSON, streamed: the statement's record (with its pinned STH) unless resuming, then
    one record per ledger transaction behind it (leaf index, header, the caller's own legs
    with their salts, the other legs' commitments). The statement's owner or an admin."""
    # From a replica once it has replayed the statement's close (everything behind a closed
    # statement is older than the close), else from the primary.
    session, st = first_holding(
        primary=primary,
        reader=reader,
        find=lambda s: service.get_statement(session=s, caller=caller, statement_id=statement_id),
        missing=StatementNotFound,
    )

    def produce(reader: Session) -> Iterator[bytes]:
        for record in evidence.records(reader, st, after=after):
            yield json.dumps(record, separators=(",", ":")).encode() + b"\n"

    return StreamingResponse(downloads.stream(session, produce), media_type=NDJSON)
