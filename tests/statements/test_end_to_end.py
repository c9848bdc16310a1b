"""Two months through the real sales endpoint: every figure below is computed by hand.

Catalogue: work W (mechanical WORLD: publisher P 0.5, composer C 0.5), recording R1 of
W (245 s) and recording R2 not yet linked to a work. P is a member of ROMS in RU and of
HFA in US; C has no mandate, so ROMS (extended collective licensing in RU) collects C's
Russian half as a non-member and C is paid directly (USD) in the US.
Tariffs: RU mechanical 15% of gross; US mechanical 9.1c per unit (per-minute 1.75c only
over 300 s). USD->RUB 26.5 from 2006-11-01 and 27 from 2006-11-15.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.statements.render.dsr_layout import parse_record
from tests.dsr_conformance.served import conforming_dsr
from tests.factories import Api, bearer, isrc, share
from tests.statements.conftest import Statements, amounts, totals
from tests.takedowns.conftest import new_iswc

D = Decimal


@dataclass
class World:
    roms: str
    hfa: str
    publisher: str
    composer: str
    iswc: str
    r1: str
    r2: str
    store_token: str


@pytest.fixture
def world(api: Api) -> World:
    roms = api.society(
        country="RU",
        currency="RUB",
        commission_rate="0.15",
        extended_collective_licensing=True,
    )["code"]
    hfa = api.society(country="US", currency="USD", commission_rate="0.10")["code"]
    publisher, composer = api.holder()["id"], api.holder(currency="USD")["id"]
    api.mandate(holder_id=publisher, society_code=roms, right_type="mechanical", territories=["RU"])
    api.mandate(holder_id=publisher, society_code=hfa, right_type="mechanical", territories=["US"])
    iswc = new_iswc()
    api.work(iswc, [share(publisher, "mechanical", "0.5"), share(composer, "mechanical", "0.5")])
    r1, r2 = isrc(), isrc()
    api.recording(r1, [], iswc=iswc, title="Kalinka", artist="Ensemble")
    api.recording(r2, [], title="Unlinked", artist="Ensemble")
    api.tariff(territory="RU", right_type="mechanical", currency="RUB", percent_of_gross="0.15")
    api.tariff(
        territory="US",
        right_type="mechanical",
        currency="USD",
        per_unit="0.091",
        per_minute={"rate": "0.0175", "over_seconds": 300},
    )
    api.fx("2006-11-01", "USD", "RUB", "26.5")
    api.fx("2006-11-15", "USD", "RUB", "27")
    store = api.store(code="allofmp3")["code"]
    return World(roms, hfa, publisher, composer, iswc, r1, r2, api.key("store", store))


def _post_sales(client: TestClient, world: World, rows: list[dict[str, Any]]) -> None:
    response = client.post("/v1/sales", json={"sales": rows}, headers=bearer(world.store_token))
    assert response.status_code == 200, response.text
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["recorded"] * len(rows), response.text


def _sale(
    sale_id: str, code: str, territory: str, when: str, qty: int, price: str, cur: str
) -> dict[str, Any]:
    return {
        "sale_id": sale_id,
        "isrc": code,
        "territory": territory,
        "sold_at": f"{when}T10:00:00Z",
        "quantity": qty,
        "unit_price": price,
        "currency": cur,
    }


def _lines(statements: Statements, party: str, period: str) -> tuple[dict[str, Any], list[Any]]:
    header = statements.of(party, period)
    return header, statements.detail(header["id"])["lines"]


def test_two_months_of_sales_close_into_statements_computed_by_hand(
    api: Api, client: TestClient, world: World, statements: Statements
) -> None:
    w = world
    roms, hfa, direct = f"society:{w.roms}", f"society:{w.hfa}", f"holder:{w.composer}"
    _post_sales(
        client,
        w,
        [
            _sale("s1", w.r1, "RU", "2006-11-03", 2, "15.00", "RUB"),  # 4.50 RUB
            _sale("s2", w.r1, "RU", "2006-11-05", 1, "0.99", "USD"),  # 0.1485 USD @26.5
            _sale("s2b", w.r1, "RU", "2006-11-20", 1, "2.00", "USD"),  # 0.30 USD @27
            _sale("s3", w.r1, "US", "2006-11-07", 1, "0.99", "USD"),  # 0.091 USD
            _sale("s4", w.r1, "US", "2006-11-20", 3, "1.29", "USD"),  # 0.273 USD
            _sale("s5", w.r2, "RU", "2006-11-21", 1, "15.00", "RUB"),  # 2.25 RUB held
        ],
    )
    closed = statements.close("2006-11").json()
    assert closed["statement_count"] == 3

    # ROMS: 4.50 + (0.1485 * 26.5 = 3.93525) + (0.30 * 27 = 8.10) = 16.53525 RUB
    header, lines = _lines(statements, roms, "2006-11")
    assert header["currency"] == "RUB"
    assert header["totals"] == totals("16.54", "2.48", "14.06")
    assert amounts(lines) == D("16.53525")
    assert amounts(lines, "commission") == D("2.4802875")  # 15% of the exact sum
    by_holder = {line["holder_id"]: line for line in lines}
    assert set(by_holder) == {w.publisher, w.composer} and len(lines) == 2
    publisher = by_holder[w.publisher]
    assert (publisher["royalty"], publisher["units"], publisher["non_member"]) == (
        "8.267625",  # 2.25 + 1.967625 + 4.05
        4,
        False,
    )
    assert publisher["gross_sales"] == "110.235000"  # 30 + 0.99 * 26.5 + 2.00 * 27
    assert (publisher["iswc"], publisher["territory"], publisher["share"]) == (w.iswc, "RU", "0.5")
    assert by_holder[w.composer]["non_member"] is True
    assert by_holder[w.composer]["royalty"] == "8.267625"

    # HFA collects P's US half (0.0455 + 0.1365); C's US half is paid to C directly.
    header, lines = _lines(statements, hfa, "2006-11")
    assert header["totals"] == totals("0.18", "0.02", "0.16")
    assert [(line["holder_id"], line["royalty"], line["units"]) for line in lines] == [
        (w.publisher, "0.182000", 4)
    ]
    header, lines = _lines(statements, direct, "2006-11")
    assert (header["currency"], header["totals"]["royalty"]) == ("USD", "0.18")
    assert header["totals"]["commission"] == "0.00"

    recon = {r["currency"]: r for r in closed["reconciliation"]}
    assert recon["RUB"] == {
        "currency": "RUB",
        "recorded": "6.750000",  # s1 4.50 + s5 2.25 (held)
        "converted": "12.035250",
        "on_statements": "16.535250",
        "in_suspense": "2.250000",
        "difference": "0.000000",
        "balanced": True,
    }
    assert (recon["USD"]["recorded"], recon["USD"]["converted"]) == ("0.812500", "-0.448500")
    assert recon["USD"]["on_statements"] == "0.364000" and recon["USD"]["balanced"]

    # The DSR of ROMS: one summary per territory, right type and sale currency.
    roms_nov = statements.of(roms, "2006-11")
    dsr = statements.get(roms_nov["id"], params={"format": "dsr"})
    records = [parse_record(x) for x in conforming_dsr(dsr).splitlines() if not x.startswith("#")]
    summaries = {
        cells["CurrencyOfReporting"][0]: cells for kind, cells in records if kind == "SY02.02"
    }
    assert set(summaries) == {"RUB", "USD"}
    assert D(summaries["RUB"]["AllocatedRevenue"][0]) == D("4.5")
    assert D(summaries["USD"]["AllocatedRevenue"][0]) == D("0.4485")
    assert summaries["USD"]["Usages"] == ["2"] and summaries["RUB"]["Usages"] == ["2"]
    kinds = [kind for kind, _ in records]
    assert (kinds.count("AS02.02"), kinds.count("SU01")) == (1, 3)
    assert [c["Title"][0] for k, c in records if k == "AS02.02"] == ["Kalinka"]
    nov_bytes = {
        kind: statements.get(roms_nov["id"], **kw).content
        for kind, kw in (
            ("csv", {"headers": {"Accept": "text/csv"}}),
            ("dsr", {"params": {"format": "dsr"}}),
        )
    }

    # --- after the close: a late November sale, a November refund, a release ---------
    store = bearer(w.store_token)
    _post_sales(
        client,
        w,
        [
            _sale("s6", w.r1, "RU", "2006-11-28", 2, "15.00", "RUB"),  # late: 4.50 RUB
            _sale("s7", w.r1, "RU", "2006-12-10", 1, "15.00", "RUB"),  # December: 2.25
        ],
    )
    refund = client.post(
        "/v1/sales/s4/refunds",
        json={"refund_id": "r1", "quantity": 1, "refunded_at": "2006-11-30T12:00:00Z"},
        headers=store,
    )
    assert refund.status_code == 201, refund.text
    linked = client.patch(f"/v1/recordings/{w.r2}", json={"iswc": w.iswc}, headers=api.admin)
    assert linked.status_code == 200, linked.text
    again = client.post("/v1/suspense/release", headers=api.admin)
    assert again.status_code == 200, again.text
    statements.close("2006-12")

    header, lines = _lines(statements, roms, "2006-12")
    summary = sorted(
        (line["isrc"], line["holder_id"] == w.publisher, line["adjustment"], line["royalty"])
        for line in lines
    )
    assert summary == sorted(
        [
            (w.r1, True, False, "1.125000"),  # s7
            (w.r1, False, False, "1.125000"),
            (w.r1, True, True, "2.250000"),  # s6, late: an adjustment
            (w.r1, False, True, "2.250000"),
            (w.r2, True, True, "1.125000"),  # s5 released: once, as an adjustment
            (w.r2, False, True, "1.125000"),
        ]
    )
    assert header["totals"] == totals("9.00", "1.35", "7.65")
    assert (header["opening_balance"], header["closing_balance"]) == ("16.54", "25.54")

    # The refund of one of s4's units (dated in closed November) reverses 0.0455 each.
    header, lines = _lines(statements, hfa, "2006-12")
    assert [(x["royalty"], x["units"], x["adjustment"]) for x in lines] == [("-0.045500", -1, True)]
    # No drift: the ledger holds 0.182 - 0.0455 = 0.1365, so the closing balance is 0.14
    # (it said 0.13 when monthly roundings were summed); the royalty absorbs the carry.
    assert (header["totals"]["royalty"], header["closing_balance"]) == ("-0.04", "0.14")
    assert header["balance_exact"] == "0.136500"
    header, lines = _lines(statements, direct, "2006-12")
    assert [(x["royalty"], x["adjustment"]) for x in lines] == [("-0.045500", True)]

    december = {r["currency"]: r for r in statements.period("2006-12")["reconciliation"]}
    assert (december["RUB"]["recorded"], december["RUB"]["in_suspense"]) == (
        "6.750000",
        "-2.250000",
    )
    assert december["RUB"]["on_statements"] == "9.000000" and december["RUB"]["balanced"]
    assert december["USD"]["recorded"] == december["USD"]["on_statements"] == "-0.091000"
    # November is frozen: same statements, same bytes, still balanced.
    assert all(r["balanced"] for r in statements.period("2006-11")["reconciliation"])
    assert statements.of(roms, "2006-11") == roms_nov
    assert (
        statements.get(roms_nov["id"], headers={"Accept": "text/csv"}).content == nov_bytes["csv"]
    )
    assert statements.get(roms_nov["id"], params={"format": "dsr"}).content == nov_bytes["dsr"]
    held = api.get("/v1/suspense", isrc=w.r2).json()["data"]
    assert all(D(a["amount"]) == 0 for entry in held for a in entry["amounts"]), held
