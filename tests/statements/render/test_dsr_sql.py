"""On PostgreSQL the DSR's SU01 lines are formatted by the database (``render.dsr_sql``),
for one statement (a GET) or for a whole month (the close, which hashes them): byte for
byte what the Python writer (``su01_line``, SQLite's path) gives from the same rows. The
close's CSV digests, taken by the database in one query, hash the bytes a GET streams."""

import hashlib

import pytest
from sqlmodel import Session, col, select

from service.sql import is_postgresql
from service.statements.models import Statement, StatementEtag
from service.statements.render import csv_file
from service.statements.render import dsr_document as documents
from tests.dsr_conformance.checker import check_dsr
from tests.factories import Api, isrc
from tests.statements.conftest import Ledger, Sale, Share, Statements


def _python_bytes(session: Session, statement: Statement) -> bytes:
    document = documents.dsr_document(session, statement)
    # The Python writer, whatever the engine: SQLite's path, the reference here.
    blocks = document._python_blocks()
    document._blocks = lambda: blocks  # type: ignore[method-assign]
    return b"".join(document.chunks())


def test_database_formatted_dsr_is_the_python_writers(
    api: Api, ledger: Ledger, statements: Statements, session: Session
) -> None:
    if not is_postgresql(session):
        pytest.skip("the database formats DSR lines on PostgreSQL only; SQLite is the reference")
    api.store(code="shop")
    roms = api.society(currency="RUB")["code"]
    gema = api.society(currency="EUR")["code"]
    holder = api.holder()["id"]
    for pair, rate in [("EUR/RUB", "34.5"), ("RUB/EUR", "0.029"), ("USD/EUR", "0.78")]:
        api.fx("2006-11-01", *pair.split("/"), rate)
    api.fx("2006-11-01", "USD", "RUB", "26.7")
    codes = [isrc() for _ in range(3)]
    sales = [
        # Unit prices with sub-micro halves: 3.5 and 2.5 micro-units round half-even.
        (codes[1], "RU", "RUB", 2, "0.0000035", "mechanical", 1),
        (codes[0], "RU", "RUB", 2, "0.0000025", "performance", 2),
        (codes[1], "DE", "EUR", 3, "0.99", "mechanical", 3),
        (codes[2], "RU", "USD", 1, "1.10", "performance", None),
        (codes[0], "DE", "RUB", 5, "12.345678", "mechanical", 5),
    ]
    for code, territory, currency, units, price, right, pk in sales:
        for society in (roms, gema):
            part = Share(f"society:{society}", "0.5", right, holder, society)
            sale = Sale("shop", currency, code, territory, units, price, [part], sale_pk=pk)
            ledger.sale("2006-11", sale)
    refunded = Share(f"society:{roms}", "0.5", "mechanical", holder, roms)
    ledger.refund("2006-11", Sale("shop", "EUR", codes[1], "DE", 1, "0.99", [refunded], sale_pk=3))
    statements.close("2006-11")
    closed = session.exec(select(Statement).where(col(Statement.period) == "2006-11")).all()
    assert len(closed) == 2
    for statement in closed:
        document = documents.dsr_document(session, statement)
        served = b"".join(document.chunks())
        assert served == _python_bytes(session, statement)
        assert check_dsr(served.decode(), document.file_name) == []
        # The close hashed the month's blocks (one query for all statements): same bytes.
        etag = session.get(StatementEtag, (statement.id, "dsr"))
        assert etag is not None and etag.sha256 == hashlib.sha256(served).hexdigest()
        assert served.count(b"\nSU01\t") >= 3
        # The CSV digests were taken by the database for the whole month: the same bytes.
        csv_bytes = b"".join(csv_file.csv_chunks(session, statement))
        csv_etag = session.get(StatementEtag, (statement.id, "csv"))
        assert csv_etag is not None and csv_etag.sha256 == hashlib.sha256(csv_bytes).hexdigest()
