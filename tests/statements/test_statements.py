"""Statements of a closed month: totals by hand, lines, representations, who sees what."""

import csv
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal

import pytest

from service.statements.render.dsr_layout import parse_record
from tests.dsr_conformance.served import conforming_dsr
from tests.factories import Api, isrc
from tests.statements.conftest import Ledger, Sale, Share, Statements, amounts, totals

PERIOD = "2006-11"


@dataclass
class Month:
    roms: str  # RUB, commission 0.15
    hfa: str  # USD, commission 0.10
    member: str  # ROMS member
    outsider: str  # collected by ROMS as a non-member
    direct: str  # paid directly, in EUR
    isrc_x: str
    isrc_y: str


@pytest.fixture
def month(api: Api, ledger: Ledger, statements: Statements) -> Month:
    api.store(code="shop")
    roms = api.society(currency="RUB", commission_rate="0.15")["code"]
    hfa = api.society(currency="USD", country="US", commission_rate="0.10")["code"]
    member, outsider = api.holder()["id"], api.holder()["id"]
    direct = api.holder(currency="EUR")["id"]
    x, y = isrc(), isrc()
    api.recording(x, [], title="Song X", artist="Artist X", duration_s=245)
    m = Month(roms, hfa, member, outsider, direct, x, y)

    def roms_part(holder: str, amount: str, share: str, *, non_member: bool = False) -> Share:
        return Share(f"society:{roms}", amount, "mechanical", holder, roms, non_member, share)

    # Two sales of X in RU: the member's halves land on one line (units 2), the
    # non-member's half on another; one sale of Y in BY for the member alone.
    for n, (first, pk) in enumerate([("1.234567", 1), ("0.100001", 2)]):
        parts = [roms_part(member, first, "0.5")]
        if n == 0:
            parts.append(roms_part(outsider, "1.234567", "0.5", non_member=True))
        ledger.sale(PERIOD, Sale("shop", "RUB", x, "RU", 1, "30", parts, sale_pk=pk))
    ledger.sale(
        PERIOD,
        Sale("shop", "RUB", y, "BY", 1, "30", [roms_part(member, "3.000005", "1")], sale_pk=3),
    )
    hfa_part = Share(f"society:{hfa}", "0.125", "mechanical", member, hfa, False, "1")
    ledger.sale(PERIOD, Sale("shop", "USD", x, "US", 1, "0.99", [hfa_part], sale_pk=4))
    direct_part = Share(f"holder:{direct}", "0.333333", "neighbouring", direct, None, False, "1")
    ledger.sale(PERIOD, Sale("shop", "EUR", x, "DE", 2, "1.10", [direct_part], sale_pk=5))
    statements.close(PERIOD)
    return m


def test_each_party_gets_one_statement_with_totals_computed_by_hand(
    month: Month, statements: Statements
) -> None:
    roms = statements.of(f"society:{month.roms}", PERIOD)
    # exact 1.234567 * 2 + 0.100001 + 3.000005 = 5.569140 RUB; commission 0.835371
    assert roms["totals"] == totals("5.57", "0.84", "4.73")
    assert roms["currency"] == "RUB" and roms["party_type"] == "society"
    assert roms["line_count"] == 3
    assert roms["opening_balance"] == "0.00" and roms["payments"] == "0.00"
    assert roms["closing_balance"] == "5.57" and roms["payable"] is True
    assert roms["balance_exact"] == "5.569140"

    hfa = statements.of(f"society:{month.hfa}", PERIOD)
    # 0.125 USD is a tie: half-even keeps 0.12; commission 0.0125 -> 0.01
    assert hfa["totals"] == totals("0.12", "0.01", "0.11")

    direct = statements.of(f"holder:{month.direct}", PERIOD)
    assert direct["currency"] == "EUR" and direct["party_type"] == "holder"
    assert direct["totals"] == totals("0.33", "0.00", "0.33")
    assert len(statements.list(period=PERIOD)) == 3
    heads = {s["ledger_head"]["hash"] for s in statements.list(period=PERIOD)}
    assert heads == {statements.period(PERIOD)["ledger_head"]["hash"]}


def test_lines_are_grouped_and_exact(month: Month, statements: Statements) -> None:
    roms = statements.of(f"society:{month.roms}", PERIOD)
    lines = statements.detail(roms["id"])["lines"]
    by_key = {(line["isrc"], line["holder_id"], line["non_member"]): line for line in lines}
    member_x = by_key[(month.isrc_x, month.member, False)]
    assert member_x == {
        "isrc": month.isrc_x,
        "iswc": None,
        "territory": "RU",
        "right_type": "mechanical",
        "holder_id": month.member,
        "share": "0.5",
        "units": 2,
        "gross_sales": "60.000000",
        "royalty": "1.334568",
        "commission": "0.2001852",
        "net": "1.1343828",
        "currency": "RUB",
        "adjustment": False,
        "non_member": False,
    }
    outsider = by_key[(month.isrc_x, month.outsider, True)]
    assert (outsider["royalty"], outsider["commission"]) == ("1.234567", "0.18518505")
    member_y = by_key[(month.isrc_y, month.member, False)]
    assert (member_y["territory"], member_y["royalty"]) == ("BY", "3.000005")
    assert amounts(lines) == Decimal("5.569140")
    assert amounts(lines, "commission") == Decimal("0.835371")


def test_lines_page_by_cursor(month: Month, statements: Statements) -> None:
    roms = statements.of(f"society:{month.roms}", PERIOD)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = statements.get(roms["id"], params=params).json()
        seen += page["lines"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == statements.detail(roms["id"])["lines"]
    assert statements.get(roms["id"], params={"cursor": "bogus!"}).status_code == 422


def test_every_representation_is_byte_identical_with_a_strong_etag(
    month: Month, statements: Statements
) -> None:
    roms = statements.of(f"society:{month.roms}", PERIOD)
    for kwargs in (
        {},
        {"headers": {"Accept": "text/csv"}},
        {"params": {"format": "dsr"}},
    ):
        first, second = statements.get(roms["id"], **kwargs), statements.get(roms["id"], **kwargs)
        assert first.status_code == second.status_code == 200
        assert first.content == second.content
        etag = first.headers["ETag"]
        assert etag == second.headers["ETag"] and not etag.startswith("W/")
        assert etag == f'"{hashlib.sha256(first.content).hexdigest()}"'
        assert first.headers["Vary"] == "Accept"
        headers = {**kwargs.get("headers", {}), "If-None-Match": etag}
        cached = statements.get(roms["id"], **{**kwargs, "headers": headers})
        assert cached.status_code == 304 and cached.content == b""
        assert cached.headers["ETag"] == etag
    etags = {
        statements.get(roms["id"], **kw).headers["ETag"]
        for kw in ({}, {"headers": {"Accept": "text/csv"}}, {"params": {"format": "dsr"}})
    }
    assert len(etags) == 3
    csv_etag = statements.get(roms["id"], params={"format": "csv"}).headers["ETag"]
    listed = f'W/{csv_etag}, "something-else"'
    revalidated = statements.get(
        roms["id"], headers={"Accept": "text/csv", "If-None-Match": listed}
    )
    assert revalidated.status_code == 304
    stale = statements.get(roms["id"], headers={"Accept": "text/csv", "If-None-Match": '"x"'})
    assert stale.status_code == 200


def test_csv_has_a_header_row_and_one_row_per_line(month: Month, statements: Statements) -> None:
    roms = statements.of(f"society:{month.roms}", PERIOD)
    response = statements.get(roms["id"], headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == [
        "isrc",
        "iswc",
        "territory",
        "right_type",
        "holder_id",
        "share",
        "units",
        "gross_sales",
        "royalty",
        "commission",
        "net",
        "currency",
        "adjustment",
        "non_member",
    ]
    assert len(rows) == roms["line_count"]
    assert sum(Decimal(r["royalty"]) for r in rows) == Decimal("5.569140")
    assert statements.get(roms["id"], headers={"Accept": "image/png"}).status_code == 406


def test_dsr_file_parses_back_and_matches_the_statement(
    month: Month, statements: Statements
) -> None:
    roms = statements.of(f"society:{month.roms}", PERIOD)
    response = statements.get(roms["id"], params={"format": "dsr"})
    assert response.headers["content-type"].startswith("text/tab-separated-values")
    disposition = response.headers["Content-Disposition"]
    text = conforming_dsr(response)
    records = [parse_record(line) for line in text.splitlines() if not line.startswith("#")]
    head, foot = records[0][1], records[-1][1]
    dpid, sender = head["RecipientPartyId"][0], head["SenderPartyId"][0]
    assert dpid.startswith("PADPIDA") and head["RecipientName"] == [month.roms]
    prefix = f'attachment; filename="DSR_{dpid}_{sender}_Downloads_{PERIOD}_multi_1of1_'
    assert disposition.startswith(prefix) and disposition.endswith('.tsv"')
    kinds = [kind for kind, _ in records]
    summaries = [cells for kind, cells in records if kind == "SY02.02"]
    sales = [cells for kind, cells in records if kind == "SU01"]
    assert head["Profile"] == ["BasicAudioProfile"] and head["ProfileVersion"] == ["1.2"]
    assert head["UsageStartDate"] == ["2006-11-01"]
    assert head["UsageEndDate"] == ["2006-11-30"]
    assert int(foot["NumberOfLinesInFile"][0]) == len(text.splitlines())
    assert int(foot["NumberOfSummaryRecords"][0]) == len(summaries) == 2  # RU and BY
    assert int(foot["NumberOfBlocksInFile"][0]) == kinds.count("AS02.02") == 2  # X and Y
    assert [c["BlockId"][0] for k, c in records if k == "AS02.02"] == ["1", "2"]
    assert len(sales) == 3  # the three RUB sales behind ROMS' lines
    assert {s["RightsController"][0] for s in summaries} == {roms["party_name"]}
    assert {s["RightsType"][0] for s in summaries} == {"MechanicalRight"}
    by_territory = {s["Territory"][0]: s for s in summaries}
    assert Decimal(by_territory["RU"]["AllocatedRevenue"][0]) == Decimal("2.569135")
    assert Decimal(by_territory["BY"]["AllocatedRevenue"][0]) == Decimal("3.000005")
    assert by_territory["RU"]["Usages"] == ["2"]
    assert {s["PriceConsumerPaidExcSalesTax"][0] for s in sales} == {"30"}


def test_each_caller_sees_only_its_own_statements(
    api: Api, month: Month, statements: Statements
) -> None:
    roms = statements.of(f"society:{month.roms}", PERIOD)
    roms_key = api.key("society", month.roms)
    hfa_key = api.key("society", month.hfa)
    member_key = api.key("rights_holder", month.member)
    direct_key = api.key("rights_holder", month.direct)

    assert [s["id"] for s in statements.list(roms_key, period=PERIOD)] == [roms["id"]]
    assert statements.list(hfa_key, party=f"society:{month.roms}") == []
    assert [s["party"] for s in statements.list(direct_key)] == [f"holder:{month.direct}"]
    for token in (hfa_key, member_key, direct_key):
        for kwargs in ({}, {"headers": {"Accept": "text/csv"}}, {"params": {"format": "dsr"}}):
            assert statements.get(roms["id"], token, **kwargs).status_code == 404
    assert statements.get(roms["id"], roms_key).status_code == 200
    assert statements.get("0" * 32).status_code == 404
    store_key = api.key("store", "shop")
    assert statements.get(roms["id"], store_key).status_code == 403
    assert (
        api.client.get("/v1/statements", headers={"Authorization": "Bearer x"}).status_code == 401
    )
    reconciliation = statements.period(PERIOD, roms_key)
    assert reconciliation["status"] == "closed" and reconciliation["reconciliation"] is None


def test_a_holder_reads_its_lines_on_every_society_statement(
    api: Api, month: Month, statements: Statements
) -> None:
    token = api.key("rights_holder", month.member)
    response = api.client.get(
        "/v1/royalties", params={"period": PERIOD}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    lines = response.json()["data"]
    assert {(line["society"], line["isrc"], line["royalty"]) for line in lines} == {
        (f"society:{month.roms}", month.isrc_x, "1.334568"),
        (f"society:{month.roms}", month.isrc_y, "3.000005"),
        (f"society:{month.hfa}", month.isrc_x, "0.125000"),
    }
    assert {line["holder_id"] for line in lines} == {month.member}
    outsider = api.key("rights_holder", month.outsider)
    theirs = api.get("/v1/royalties", token=outsider, period=PERIOD).json()["data"]
    assert [(line["non_member"], line["royalty"]) for line in theirs] == [(True, "1.234567")]
    society = api.key("society", month.roms)
    assert api.get("/v1/royalties", token=society).status_code == 403


def test_reconciliation_conserves_every_currency(month: Month, statements: Statements) -> None:
    recon = {r["currency"]: r for r in statements.period(PERIOD)["reconciliation"]}
    assert set(recon) == {"RUB", "USD", "EUR"}
    assert recon["RUB"]["recorded"] == recon["RUB"]["on_statements"] == "5.569140"
    assert recon["USD"]["on_statements"] == "0.125000"
    assert recon["EUR"]["on_statements"] == "0.333333"
    for r in recon.values():
        assert r["balanced"] is True
        assert Decimal(r["recorded"]) + Decimal(r["converted"]) == Decimal(
            r["on_statements"]
        ) + Decimal(r["in_suspense"])
