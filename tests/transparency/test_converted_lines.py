"""Converted lines re-derived one by one: ROMS is paid in RUB for USD sales on two days
with different rates (26.5 from 2006-11-01, 27 from 2006-11-15), so every one of its lines
is converted at close, and the evidence carries the rate of each converted leg."""

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection

from service.client.verify import HttpSource
from service.proofs import verifier
from service.statements import evidence
from tests.transparency.conftest import Month, without_guards
from tests.transparency.test_verify_statement import NOT_VERIFIED, _run


def _evidence(month: Month) -> list[dict[str, Any]]:
    return month.society().get_ndjson(f"/v1/statements/{month.statement['id']}/evidence")


def _royalty_legs(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        leg
        for r in records[1:]
        if r["header"]["kind"] not in verifier.NOT_ROYALTY
        for leg in r["legs"]
        if leg["right_type"] is not None
    ]


def _line_number(month: Month, leg: dict[str, Any]) -> int:
    lines = list(HttpSource(month.society()).lines(month.statement["id"]))
    keys = [(*verifier._key(line), bool(line["adjustment"])) for line in lines]
    return 1 + keys.index((*verifier._key(leg), False))


def test_every_converted_line_is_re_derived_at_its_sales_rate(
    month: Month, capsys: pytest.CaptureFixture[str]
) -> None:
    records = _evidence(month)
    assert records[0]["currency"] == "RUB"
    legs = _royalty_legs(records)
    assert legs and {leg["currency"] for leg in legs} == {"USD"}
    assert {(leg["rate_day"], Decimal(leg["rate"])) for leg in legs} == {
        ("2006-11-03", Decimal("26.5")),
        ("2006-11-20", Decimal(27)),
    }
    assert month.statement["line_count"] >= 2
    code, said = _run(month, capsys, "--all")
    assert code == 0, said
    assert f"verifies: {month.statement['line_count']} line(s)" in said


def test_the_rule_rounds_half_even_once_per_rate() -> None:
    assert verifier.convert(Decimal("0.000001"), Decimal("2.5")) == Decimal("0.000002")
    assert verifier.convert(Decimal("0.000001"), Decimal("3.5")) == Decimal("0.000004")
    assert verifier.convert(Decimal("-1.000003"), Decimal("27")) == Decimal("-27.000081")


def test_a_converted_leg_altered_with_its_conversion_names_the_line(
    month: Month, connection: Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """A careful forger adds a micro-dollar to one of ROMS's USD legs and takes it off ROMS's
    USD conversion leg, so the USD still nets to zero and the RUB total is untouched: without
    inclusion proofs (``--sample 0``), only the line re-derived at its rate shows it."""
    records = _evidence(month)
    [sale] = [r for r in records[1:] if r["header"]["kind"] == "sale"][:1]
    roms = f"society:{month.world.roms}"
    row = connection.exec_driver_sql(
        "SELECT id, isrc, iswc, territory, right_type, holder_id, share, non_member "
        f"FROM ledger_leg WHERE sequence = {sale['header']['sequence']} "
        f"AND account = '{roms}' AND right_type IS NOT NULL ORDER BY id LIMIT 1"
    ).one()
    number = _line_number(month, dict(row._mapping))
    without_guards(connection, "ledger_leg")
    connection.exec_driver_sql(f"UPDATE ledger_leg SET amount = amount + 1 WHERE id = {row.id}")
    connection.exec_driver_sql(
        "UPDATE ledger_leg SET amount = amount - 1 WHERE id = (SELECT MIN(l.id) FROM "
        "ledger_leg l JOIN ledger_transaction t ON t.sequence = l.sequence WHERE "
        f"t.kind = 'fx_conversion' AND l.account = '{roms}' AND l.currency = 'USD')"
    )
    code, said = _run(month, capsys, "--sample", "0")
    assert code == NOT_VERIFIED, said
    assert f"line {number}: royalty" in said and "converted at their rates" in said, said
    code, said = _run(month, capsys, "--all")  # the inclusion proof names the leaf first
    assert code == NOT_VERIFIED and f"leaf {sale['leaf_index']}" in said, said


def test_a_micro_unit_moved_between_two_converted_lines_names_the_line(
    month: Month, connection: Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """The converted lines still add up to what the conversions booked (the old check in
    total passes); the line re-derived at its rates does not."""
    without_guards(connection, "statement_line")
    statement = month.statement["id"]
    for line_no, delta in ((1, "+ 1"), (2, "- 1")):
        connection.exec_driver_sql(
            f"UPDATE statement_line SET royalty = royalty {delta} "
            f"WHERE statement_id = '{statement}' AND line_no = {line_no}"
        )
    code, said = _run(month, capsys, "--all")
    assert code == NOT_VERIFIED, said
    assert "line 1: royalty" in said and "converted at their rates" in said, said


def test_a_wrong_rate_in_the_evidence_is_detected(
    month: Month, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    honest = evidence._rates

    def off_by_a_kopeck(*args: Any) -> dict[int, dict[str, str]]:
        rates = honest(*args)
        first = min(rates)
        rates[first] = rates[first] | {"rate": str(Decimal(rates[first]["rate"]) + 1)}
        return rates

    monkeypatch.setattr(evidence, "_rates", off_by_a_kopeck)
    code, said = _run(month, capsys, "--all")
    assert code == NOT_VERIFIED, said
    assert "line " in said and "converted at their rates" in said, said


def test_a_converted_leg_without_its_rate_names_the_leaf(
    month: Month, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evidence, "_rates", lambda *args: {})
    code, said = _run(month, capsys, "--all")
    assert code == NOT_VERIFIED, said
    assert "without the rate the close converted it at" in said, said


def test_a_rate_published_after_the_close_leaves_the_evidence_alone(
    month: Month, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rate recorded after the close for a day of the closed month (what a feed catching
    up would do) must not change the closed statement's evidence."""
    late = {"date": "2006-11-02", "from": "USD", "to": "RUB", "rate": "99"}
    assert month.client.post("/v1/fx-rates", json=late, headers=month.api.admin).status_code == 201
    rates = {(leg["rate_day"], Decimal(leg["rate"])) for leg in _royalty_legs(_evidence(month))}
    assert rates == {("2006-11-03", Decimal("26.5")), ("2006-11-20", Decimal(27))}
    code, said = _run(month, capsys, "--all")
    assert code == 0, said
