"""Close step 3: everything a statement's representations need, in the close's transaction.

A GET never writes (issue 11, and read replicas, issue 16): the DSR usage rows and the
strong ETags of the CSV and DSR files are produced here, once, while the month closes.
The ETag is the SHA-256 of the bytes the GET will stream, so each file is rendered once
now to hash it; the bytes are not kept (they are re-rendered, identical, on request).
"""

import hashlib
from collections.abc import Iterator

from sqlmodel import Session, col, select

from service.statements import repository
from service.statements.close.lines import insert_usage
from service.statements.models import Statement
from service.statements.render.csv_file import csv_chunks
from service.statements.render.dsr_document import dsr_document


def digest_of(chunks: Iterator[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def prepare_representations(session: Session, period: str) -> None:
    """Write each statement's DSR usage rows and store its CSV and DSR ETags."""
    statements = session.exec(
        select(Statement).where(Statement.period == period).order_by(col(Statement.id))
    ).all()
    insert_usage(session, None, None, period)  # every statement's rows, in one statement
    for statement in statements:
        repository.store_etag(
            session, statement.id, "csv", digest_of(csv_chunks(session, statement))
        )
        repository.store_etag(
            session, statement.id, "dsr", digest_of(dsr_document(session, statement).chunks())
        )
