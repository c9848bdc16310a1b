"""The CSV stream formats amounts from micro-units with integers: byte for byte what the
Decimal path (``render.lines.line_values``, also behind the JSON lines) writes."""

import csv
import io
import random
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import Session

from service.money import from_micros
from service.statements.amounts import exact_product, fmt_exact
from service.statements.models import Statement
from service.statements.render import csv_file
from service.statements.render.lines import line_page, line_values
from tests.factories import Api, isrc
from tests.statements.conftest import Ledger, Sale, Share, Statements

RATES = ["0", "0.15", "0.085", "1", "0.123456789012", "0.000000000001", "2", "0.5"]
EDGES = [0, 1, -1, 5, -5, 999_999, 1_000_000, -1_000_001, 123_456_789, 9_223_372_036_854_775_807]


def _cell(value: Any) -> str:
    """A JSON line value as a CSV cell (the reference the fast path must match)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _reference(royalty_micros: int, rate: Decimal) -> tuple[str, str]:
    royalty = from_micros(royalty_micros)
    commission = exact_product(royalty, rate)
    return fmt_exact(commission), fmt_exact(royalty - commission)


@pytest.mark.parametrize("rate", RATES)
def test_commission_and_net_match_the_decimal_path(rate: str) -> None:
    rng = random.Random(rate)
    commission = csv_file._Commission.of(Decimal(rate))
    values = EDGES + [-e for e in EDGES] + [rng.randint(-(10**15), 10**15) for _ in range(2000)]
    for micros in values:
        assert commission.cells(micros) == _reference(micros, Decimal(rate)), micros
        assert csv_file._micros(micros) == fmt_exact(from_micros(micros)), micros


def test_the_streamed_csv_is_what_line_values_gives(
    api: Api,
    ledger: Ledger,
    statements: Statements,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Small pages: the page with the oversized line falls back to Python; the others are
    # formatted by the database on PostgreSQL.
    monkeypatch.setattr(csv_file, "CSV_CHUNK", 7)
    api.store(code="shop")
    # Twelve decimals: a royalty of 2e10 gets a commission beyond Decimal's 28 digits.
    roms = api.society(currency="RUB", commission_rate="0.123456789012")["code"]
    holders = [api.holder()["id"] for _ in range(3)]
    rng = random.Random(7)
    odd = Share(f"society:{roms}", "20000000000.000001", "mechanical", holders[0], roms)
    # Cells the csv module must quote (legs are posted raw here, unvalidated).
    ledger.sale("2006-11", Sale("shop", "RUB", 'A,B"C\nD', "RU", 1, "30", [odd], sale_pk=99))
    quoted = Share(f"society:{roms}", "0.5", "mechanical", holders[1], roms)
    ledger.sale("2006-11", Sale("shop", "RUB", 'Z,Y"X\r', "RU", 1, "30", [quoted], sale_pk=98))
    for pk in range(1, 60):
        parts = [
            Share(
                f"society:{roms}",
                str(Decimal(rng.randint(-50, 5_000_000)).scaleb(-6)),
                rng.choice(["mechanical", "performance"]),
                holder,
                roms,
                rng.random() < 0.3,
                rng.choice(["1", "0.5", "0.333333333333", "0.25", None]),
            )
            for holder in rng.sample(holders, 2)
        ]
        sale = Sale("shop", "RUB", isrc(), "RU", rng.randint(1, 3), "30", parts, sale_pk=pk)
        ledger.sale("2006-11", sale)
    statements.close("2006-11")
    listed = statements.of(f"society:{roms}", "2006-11")
    streamed = statements.get(listed["id"], headers={"Accept": "text/csv"}).content

    statement = session.get(Statement, listed["id"])
    assert statement is not None
    lines = line_page(session, statement.id, after=0, limit=10_000)
    assert len(lines) == listed["line_count"] > 50
    assert b'"A,B""C' in streamed and b'"Z,Y""X\r"' in streamed
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_file.CSV_COLUMNS)
    for line in lines:
        values = line_values(line, statement)
        writer.writerow([_cell(values[name]) for name in csv_file.CSV_COLUMNS])
    assert streamed == buffer.getvalue().encode()


def test_a_page_boundary_does_not_repeat_or_drop_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_file, "CSV_CHUNK", 2)
    pages = [[(1,), (2,)], [(3,), (4,)], [(5,)]]
    seen: list[int] = []

    class FakeSession:
        def execute(self, query: object) -> SimpleNamespace:
            page = pages.pop(0)
            seen.extend(row[0] for row in page)
            return SimpleNamespace(all=lambda: [_row(n) for (n,) in page])

        def get_bind(self) -> SimpleNamespace:
            return SimpleNamespace(dialect=SimpleNamespace(name="sqlite"))

    statement = SimpleNamespace(id="s", commission_rate=Decimal("0.1"), currency="RUB")
    out = b"".join(csv_file.csv_chunks(FakeSession(), statement))  # type: ignore[arg-type]
    assert seen == [1, 2, 3, 4, 5]
    assert out.count(b"\r\n") == 6  # header + five lines


def _row(n: int) -> tuple[object, ...]:
    return (n, "X", None, "RU", "mechanical", None, None, 1, 1_000_000, n, False, True)


def test_the_first_request_replays_the_bytes_it_hashed(
    api: Api, ledger: Ledger, statements: Statements
) -> None:
    api.store(code="shop")
    roms = api.society(currency="RUB")["code"]
    part = Share(f"society:{roms}", "1.5", "mechanical", api.holder()["id"], roms)
    ledger.sale("2006-11", Sale("shop", "RUB", isrc(), "RU", 1, "30", [part], sale_pk=1))
    statements.close("2006-11")
    listed = statements.of(f"society:{roms}", "2006-11")
    csv_kwargs: dict[str, Any] = {"headers": {"Accept": "text/csv"}}
    dsr_kwargs: dict[str, Any] = {"params": {"format": "dsr"}}
    # A revalidation that computes the ETag answers 304 and discards what it rendered.
    revalidate = {**dsr_kwargs, "headers": {"If-None-Match": "*"}}
    assert statements.get(listed["id"], **revalidate).status_code == 304
    for kwargs in (csv_kwargs, dsr_kwargs):  # CSV: the first response is the replay
        first, second = (statements.get(listed["id"], **kwargs) for _ in range(2))
        assert first.status_code == second.status_code == 200
        assert first.content == second.content and len(first.content) > 100
        assert first.headers["ETag"] == second.headers["ETag"]
