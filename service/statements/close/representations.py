"""Close step 3: everything a statement's representations need, in the close's transaction.

A GET never writes (issue 11, and read replicas, issue 16): the DSR usage rows and the
strong ETags of the CSV and DSR files are produced here, once, while the month closes.
The ETag is the SHA-256 of the bytes the GET will stream, so each file is rendered once
now to hash it; the bytes are not kept (they are re-rendered, identical, on request).
Set-based on PostgreSQL: the month's DSR summaries come from one grouped query and every
SU01 line of every statement from one streamed query that formats them (``dsr_sql``), so
the close runs a fixed number of queries for DSR however many statements it issues.
"""

import hashlib
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from sqlmodel import Session, col, select

from service.sql import is_postgresql
from service.statements import formats, repository
from service.statements.close import plans
from service.statements.close.lines import insert_usage
from service.statements.models import Statement
from service.statements.render.csv_file import csv_digests
from service.statements.render.dsr_document import dsr_document, month_grouped
from service.statements.render.dsr_sql import month_blocks


def digest_of(chunks: Iterator[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def prepare_representations(session: Session, period: str) -> None:
    """Write each statement's DSR usage rows and store its CSV and DSR ETags."""
    statements = session.exec(select(Statement).where(col(Statement.period) == period)).all()
    plans.fresh(session, "statement")  # the month's statements, written moments ago
    with plans.hash_plan(session, sort=True):
        insert_usage(session, period)  # every statement's rows, in one statement
    plans.fresh(session, "statement_usage")
    if is_postgresql(session):
        csv = csv_digests(session, list(statements)) if statements else {}
        dsr = _month_dsr_digests(session, period, statements)
    else:
        csv, dsr = {}, {s.id: digest_of(formats.render(session, s, "dsr")) for s in statements}
    etags = []
    for statement in statements:
        csv_digest = csv.get(statement.id) or digest_of(formats.render(session, statement, "csv"))
        etags += [(statement.id, "csv", csv_digest), (statement.id, "dsr", dsr[statement.id])]
    repository.store_etags(session, etags)


def _month_dsr_digests(
    session: Session, period: str, statements: Sequence[Statement]
) -> dict[str, str]:
    """Every statement's DSR digest from one grouped and one streamed query."""
    grouped = month_grouped(session, period)
    by_id = {statement.id: statement for statement in statements}
    digests = {}
    # The stream keeps each statement's blocks together, in whatever order the database
    # sorts statement ids; a statement without usage rows has no blocks at all.
    for statement_id, own in itertools.groupby(month_blocks(session, period), _statement_of):
        digests[statement_id] = _dsr_digest(session, by_id[statement_id], grouped, own)
    for statement in statements:
        if statement.id not in digests:
            digests[statement.id] = _dsr_digest(session, statement, grouped, iter(()))
    return digests


def _statement_of(row: Any) -> str:
    return str(row.statement_id)


def _dsr_digest(
    session: Session, statement: Statement, grouped: dict[str, list[Any]], own: Iterator[Any]
) -> str:
    document = dsr_document(
        session, statement, grouped=grouped.get(statement.id, []), formatted=own
    )
    return digest_of(document.chunks())
