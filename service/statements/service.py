"""Read side of the statements domain: periods, reconciliation, statements, remittance.

Every function takes the caller so scoping lives here once: a society or holder only
ever reaches its own statements, anything else is "not found".
"""

import hashlib
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import IO

from sqlmodel import Session, col, select

from service.auth.caller import Caller
from service.ledger import periods
from service.pagination import PageParams, cursor_key, paginate
from service.statements import access, formats, repository
from service.statements.formats import FileKind
from service.statements.models import Statement, StatementLine

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Per currency: recorded + converted = on statements + in suspense, exactly."""

    currency: str
    recorded: Decimal  # royalties the stores' sales and refunds booked in the month
    converted: Decimal  # net amount the close's FX conversion moved into this currency
    on_statements: Decimal  # exact sum of the month's statements in this currency
    in_suspense: Decimal  # held in suspense, booked in the month

    @property
    def difference(self) -> Decimal:
        return self.recorded + self.converted - self.on_statements - self.in_suspense


@dataclass(frozen=True, slots=True)
class PeriodView:
    period: str
    status: str  # open | closed
    closed_at: datetime | None
    ledger_sequence: int | None
    ledger_hash: str | None
    statement_count: int
    fx_transactions: int
    reconciliation: list[Reconciliation] | None


def period_view(*, session: Session, period: str, with_reconciliation: bool) -> PeriodView:
    row = periods.closed_month(session, period)
    last = periods.latest_closed(session)
    if row is None and (last is None or period > last):
        return PeriodView(period, "open", None, None, None, 0, 0, None)
    if row is None:
        # Skipped while it had no entries and frozen by a later close: report that close.
        row = periods.first_close_after(session, period)
        assert row is not None  # the later close that froze it
        counts = (0, 0)
    else:
        counts = (row.statement_count, row.fx_transactions)
    return PeriodView(
        period=period,
        status="closed",
        closed_at=row.closed_at,
        ledger_sequence=row.ledger_sequence,
        ledger_hash=row.ledger_hash,
        statement_count=counts[0],
        fx_transactions=counts[1],
        reconciliation=reconcile(session=session, period=period) if with_reconciliation else None,
    )


def reconcile(*, session: Session, period: str) -> list[Reconciliation]:
    """Conservation of a month, from the ledger and the stored statements (two queries)."""
    figures = repository.ledger_totals_by_currency(session, period)
    for currency, amount in repository.statement_totals_by_currency(session, period).items():
        figures.setdefault(currency, {})["on_statements"] = amount
    return [
        Reconciliation(
            currency=currency,
            recorded=f.get("recorded", _ZERO),
            converted=f.get("converted", _ZERO),
            on_statements=f.get("on_statements", _ZERO),
            in_suspense=f.get("in_suspense", _ZERO),
        )
        for currency, f in sorted(figures.items())
        if any(f.values())
    ]


# --- statements ----------------------------------------------------------------------


def list_statements(
    *,
    session: Session,
    caller: Caller,
    page: PageParams,
    period: str | None,
    party: str | None,
) -> tuple[Sequence[Statement], str | None]:
    query = select(Statement).where(access.readable_statements(caller))
    if party is not None:
        query = query.where(Statement.party == party)
    if period is not None:
        query = query.where(Statement.period == period)
    return paginate(session, query, key=Statement.id, params=page)


def get_statement(*, session: Session, caller: Caller, statement_id: str) -> Statement:
    """The statement, if ``caller`` may read it (``access.get_readable_statement``)."""
    return access.get_readable_statement(session=session, caller=caller, statement_id=statement_id)


_SPOOL_IN_MEMORY = 8 * 1024 * 1024  # rendered bytes kept in memory up to this, then on disk
_REPLAY_BLOCK = 1024 * 1024


class Rendered:
    """A representation's strong ETag, and, on the request that first computed it, the
    bytes rendered for that (spooled to a temporary file, replayed once, then deleted)."""

    def __init__(self, etag: str, spool: IO[bytes] | None = None) -> None:
        self.etag = etag
        self._spool = spool

    def replay(self) -> Iterator[bytes] | None:
        """The spooled bytes (None when the ETag was already stored: render afresh)."""
        spool, self._spool = self._spool, None
        return None if spool is None else _replay(spool)

    def discard(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None


def _replay(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        spool.seek(0)
        while block := spool.read(_REPLAY_BLOCK):
            yield block
    finally:
        spool.close()


def representation(*, session: Session, statement: Statement, kind: FileKind) -> Rendered:
    """The strong ETag (SHA-256 of the bytes) of a streamed representation, ``csv`` or
    ``dsr``; callers ask for it before streaming. Read-only: a GET never writes.

    The close stores both ETags (``close.representations``). A statement closed before it
    did has none (or a DSR one the writer's fixes made stale, removed by migration 0008):
    its digest is computed on each request from bytes spooled as they are rendered, then
    replayed as the response, and not stored.
    """
    stored = repository.stored_etag(session, statement.id, kind)
    if stored is not None:
        return Rendered(str(stored))
    chunks = formats.render(session, statement, kind)
    digest = hashlib.sha256()
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    try:
        for chunk in chunks:
            digest.update(chunk)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    return Rendered(digest.hexdigest(), spool)


def line_cursor(cursor: str | None) -> int:
    """The ``line_no`` a statement's page of lines starts after (0: the first page)."""
    return 0 if cursor is None else int(cursor_key(cursor, convert=int))


def remittance(
    *,
    session: Session,
    caller: Caller,
    holder_id: str,
    period: str | None,
    page: PageParams,
) -> tuple[list[tuple[StatementLine, Statement]], str | None]:
    """A holder's own lines on every society statement (read-only remittance advice)."""
    query = (
        select(StatementLine, Statement)
        .join(Statement, col(Statement.id) == col(StatementLine.statement_id))
        .where(StatementLine.holder_id == holder_id, Statement.party_type == "society")
        .where(access.readable_lines(caller))
    )
    if period is not None:
        query = query.where(Statement.period == period)
    rows, cursor = paginate(
        session,
        query,
        key=col(StatementLine.id),
        params=page,
        convert=int,
        key_of=lambda row: row[0].id,
    )
    return [(line, statement) for line, statement in rows], cursor
