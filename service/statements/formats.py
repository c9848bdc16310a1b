"""The registry of a statement's representations: kind -> media type, file name, renderer.

JSON is a page of lines (``router.json_statement_response``); CSV and DSR are whole files,
streamed. Everything that serves, names, renders or hashes a statement file (the API, the
portal's downloads, ``service.representation``, the close's digests) looks its format up
here instead of switching on the kind, so a new format is one entry.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

from sqlmodel import Session

from service.statements.models import Statement
from service.statements.render.csv_file import csv_chunks
from service.statements.render.dsr_document import dsr_document

CSV = "text/csv"
JSON = "application/json"
TSV = "text/tab-separated-values"
Kind = Literal["json", "csv", "dsr"]
FileKind = Literal["csv", "dsr"]


@dataclass(frozen=True, slots=True)
class StatementFile:
    """One statement's file, ready to stream through any session (the request's has ended
    by the time a streamed response reads, so ``chunks`` takes the one it should use)."""

    name: str
    media_type: str
    chunks: Callable[[Session], Iterator[bytes]]


def file_name(statement: Statement, kind: Literal["csv", "json"]) -> str:
    """The one name a statement's CSV or JSON goes by wherever it is downloaded (the API's
    Content-Disposition, the portal, `royalty-ledger pull-statements`):
    ``statement-<period>-<party>.<kind>``, ``society:ROMS`` written ``society-ROMS``. A DSR
    file is named as DSR Part 1 clause 8.1 requires (``DSR_<recipient>_<sender>_...tsv``,
    ``render.dsr_document``)."""
    return f"statement-{statement.period}-{statement.party.replace(':', '-')}.{kind}"


def _csv_file(session: Session, statement: Statement) -> StatementFile:
    name = file_name(statement, "csv")
    return StatementFile(name, CSV, lambda reader: csv_chunks(reader, statement))


def _dsr_file(session: Session, statement: Statement) -> StatementFile:
    document = dsr_document(session, statement)
    return StatementFile(
        document.file_name, TSV, lambda reader: replace(document, session=reader).chunks()
    )


FILES: dict[FileKind, Callable[[Session, Statement], StatementFile]] = {
    "csv": _csv_file,
    "dsr": _dsr_file,
}


def statement_file(session: Session, statement: Statement, kind: FileKind) -> StatementFile:
    """The statement's ``kind`` file (name, media type, its bytes on demand)."""
    return FILES[kind](session, statement)


def render(session: Session, statement: Statement, kind: FileKind) -> Iterator[bytes]:
    """The bytes of the statement's ``kind`` file, read through ``session``."""
    return statement_file(session, statement, kind).chunks(session)
