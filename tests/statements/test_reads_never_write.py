"""A GET never writes (issues 11 and 16): the close produces what representations need."""

import hashlib
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, event
from sqlmodel import Session, col, select

from service.statements.models import StatementEtag, StatementUsage
from tests.dsr_conformance.served import conforming_dsr
from tests.statements.conftest import Statements
from tests.statements.test_statements import PERIOD, Month, month  # noqa: F401 - fixture

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|COPY|TRUNCATE)\b", re.I)


@pytest.fixture
def writes(connection: Connection) -> Iterator[list[str]]:
    """Every writing SQL statement sent on the test's connection while the fixture lives."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if _WRITE.match(statement):
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    yield seen
    event.remove(connection, "before_cursor_execute", record)


def test_the_close_stores_usage_and_etags_and_no_get_writes(
    month: Month,  # noqa: F811
    statements: Statements,
    session: Session,
    writes: list[str],
) -> None:
    writes.clear()  # the fixture's sales and the close wrote; from here on only GETs
    roms = statements.of(f"society:{month.roms}", PERIOD)
    stored = {
        e.representation: e.sha256
        for e in session.exec(select(StatementEtag).where(StatementEtag.statement_id == roms["id"]))
    }
    usage = session.exec(
        select(StatementUsage).where(col(StatementUsage.statement_id) == roms["id"])
    ).all()
    assert set(stored) == {"csv", "dsr"} and len(usage) == 3
    writes.clear()
    for params, headers in (
        ({"format": "dsr"}, {}),
        ({}, {"Accept": "text/csv"}),
        ({}, {}),
        ({"format": "dsr"}, {"If-None-Match": f'"{stored["dsr"]}"'}),
    ):
        response = statements.get(roms["id"], params=params, headers=headers)
        assert response.status_code in (200, 304), response.text
        if response.status_code == 200 and params:
            conforming_dsr(response)
            assert hashlib.sha256(response.content).hexdigest() == stored["dsr"]
        if headers.get("Accept") == "text/csv":
            assert hashlib.sha256(response.content).hexdigest() == stored["csv"]
    statements.list(period=PERIOD)
    assert writes == []
    statements.api.store(code="another")  # the listener does see writes
    assert any(w.lstrip().upper().startswith("INSERT") for w in writes)
