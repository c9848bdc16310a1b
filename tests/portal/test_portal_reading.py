"""Issue 27, what a reader sees: money as money, the statement's arithmetic, charts per
currency with axes and values, the lines table with names, titles, totals and a
forgiving search, the statement list newest first, complete downloads."""

import re
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.auth.service import authenticate
from service.portal import charts
from service.portal import verify as verifying
from service.portal.footing import commission_holds, footing
from service.statements import listing
from service.statements.models import Statement
from service.statements.summaries import Amount
from tests.factories import bearer
from tests.portal.conftest import sign_in

STATEMENT_LINK = re.compile(r'href="/portal/statements/([0-9a-f]{32})"')
FONT = re.compile(r'font-size="(\d+)"')


def _statement(session: Session, party: str, period: str) -> Statement:
    query = select(Statement).where(Statement.party == party, Statement.period == period)
    return session.exec(query).one()


def test_every_demo_statement_adds_up_as_the_page_spells_it(
    session: Session, demo: dict[str, Any]
) -> None:
    statements = session.exec(select(Statement)).all()
    assert statements
    for st in statements:
        assert commission_holds(st), st.id
        assert all(eq.holds for eq in footing(st)), st.id


def test_statement_page_writes_money_once_per_kind_with_rate_and_sums(
    client: TestClient, session: Session, demo: dict[str, Any]
) -> None:
    st = _statement(session, "society:ROMS", "2006-10")
    sign_in(client, demo["SOCIETY"])
    page = client.get(f"/portal/statements/{st.id}").text
    nbsp = "\xa0"
    # Totals at the currency's minor unit, with its code.
    assert f"{st.royalty:,.2f}{nbsp}RUB" in page
    assert f"{st.closing_balance:,.2f}{nbsp}RUB" in page
    rate = f"{st.commission_rate * 100:f}".rstrip("0").rstrip(".")
    commission = re.search(r'<dd id="commission">([^<]+)</dd>', page)
    assert commission and f"{rate}%" in commission.group(1)
    assert f"{st.commission:,.2f}{nbsp}RUB" in commission.group(1)
    sums = re.findall(r'<p class="sum[^"]*">(.+?)</p>', page)
    text = [re.sub(r"<[^>]+>", "", s).replace(nbsp, " ") for s in sums]
    assert (
        f"Royalty {st.royalty:,.2f} RUB \u2212 Commission {st.commission:,.2f} RUB = Net" in text[0]
    )
    assert f"Opening balance {st.opening_balance:,.2f} RUB + Royalty" in text[1]
    assert f"= Closing balance {st.closing_balance:,.2f} RUB" in text[1]
    assert "does not add up" not in page
    # Line amounts: six places everywhere, never the bare stored string.
    royalties = re.findall(r'<td class="num royalty">([^<]+)</td>', page)
    assert royalties and all(re.fullmatch(r"-?[\d,]+\.\d{6}", r) for r in royalties)


def test_lines_show_names_titles_totals_and_forgiving_search(
    client: TestClient, session: Session, demo: dict[str, Any]
) -> None:
    st = _statement(session, "society:ROMS", "2006-10")
    api = client.get(f"/v1/statements/{st.id}", headers=bearer(demo["SOCIETY"])).json()
    sign_in(client, demo["SOCIETY"])
    page = client.get(f"/portal/statements/{st.id}").text
    assert "Vladimir Composer" in page and "Kalinka (new arrangement)" in page
    assert not re.search(r"<td>[0-9a-f]{32}", page)  # no holder shown as a hex id
    assert '<span class="code">T-034.524.680-1</span>' in page
    # The territory is chosen from the statement's own territories.
    options = re.search(r'<select id="f-territory"[^>]*>(.*?)</select>', page, re.S)
    assert options
    territories = sorted({line["territory"] for line in api["lines"] if line["territory"]})
    assert re.findall(r"<option>(\w\w)</option>", options.group(1)) == territories
    # ISWC typed without hyphens or dots, lower case: the same lines as the exact form.
    work = [line for line in api["lines"] if line["iswc"] == "T-034.524.680-1"]
    loose = client.get(f"/portal/statements/{st.id}", params={"iswc": "t0345246801"}).text
    assert f"{len(work)} line" in loose
    total = re.search(r'<tr id="lines-total">(.*?)</tr>', loose, re.S)
    assert total
    cells = re.findall(r'<td class="num">([^<]+)</td>', total.group(1))
    royalty = sum(Decimal(line["royalty"]) for line in work)
    assert Decimal(cells[1].replace(",", "")) == royalty
    assert int(cells[0]) == sum(line["units"] for line in work)


def test_charts_one_per_currency_with_axis_values_and_legible_text() -> None:
    amounts = [Amount(f"2006-{m:02d}", "RUB", Decimal("50")) for m in range(1, 11)]
    amounts += [Amount("2006-11", "RUB", Decimal("90000")), Amount("2006-01", "GBP", Decimal(3))]
    drawn = charts.per_currency("Royalty per month", amounts, chart_id="m")
    assert [c.currency for c in drawn] == ["GBP", "RUB"]
    rub = drawn[1]
    assert "Royalty per month, RUB" in rub.svg and "Royalty (RUB)" in rub.svg
    assert ">100,000</text>" in rub.svg and ">0</text>" in rub.svg  # the axis' ticks
    assert rub.svg.count(">50.00</text>") == 10  # every small month printed
    widths = [int(w) for w in re.findall(r'<rect [^>]*width="(\d+)"', rub.svg)]
    assert min(widths) >= charts.MIN_BAR  # never flattened into nothing
    # 12-unit text in a 360-unit drawing shown at most 24rem wide: >= 11 px on a phone.
    assert set(FONT.findall(rub.svg)) == {"12"} and f'viewBox="0 0 {charts.WIDTH} ' in rub.svg
    assert 12 * 358 / charts.WIDTH >= 11


def test_overview_table_beside_each_currency_chart(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo["SOCIETY"])
    page = client.get("/portal/overview").text
    figures = re.findall(r'<figure class="charted"[^>]*>(.*?)</figure>', page, re.S)
    assert figures
    for figure in figures:
        assert "<svg" in figure and "<table>" in figure and "RUB" in figure
    assert "48.59903" not in page  # no raw sum: money at the minor unit


def test_statement_list_is_newest_first_and_paged(session: Session, demo: dict[str, Any]) -> None:
    admin = authenticate(session=session, token=demo["ADMIN"], admin_token=None)
    assert admin is not None
    first = listing.newest_first(session=session, caller=admin, period=None, page=1, size=7)
    everything = session.exec(select(Statement)).all()
    assert first.total == len(everything) > 7 and first.pages == -(-len(everything) // 7)
    seen = []
    for page in range(1, first.pages + 1):
        listed = listing.newest_first(session=session, caller=admin, period=None, page=page, size=7)
        seen += [(st.period, st.party) for st in listed.statements]
    for (period, party), (next_period, next_party) in pairwise(seen):
        assert period > next_period or (period == next_period and party < next_party)
    assert len(set(seen)) == len(everything)


def test_admin_statement_page_links_the_next_page(client: TestClient, demo: dict[str, Any]) -> None:
    sign_in(client, demo["ADMIN"])
    page = client.get("/portal/statements").text
    periods = re.findall(r'<a href="/portal/statements/[0-9a-f]{32}">(\d{4}-\d{2})</a>', page)
    assert periods[0] == "2006-10" and periods == sorted(periods, reverse=True)
    if 'rel="next"' in page:
        assert "page=2" in page


def test_json_download_has_every_line(
    client: TestClient, session: Session, demo: dict[str, Any]
) -> None:
    st = _statement(session, "society:ROMS", "2006-10")
    sign_in(client, demo["SOCIETY"])
    body = client.get(f"/portal/statements/{st.id}/download/json").json()
    assert len(body["lines"]) == st.line_count and body["next_cursor"] is None


def test_the_demo_has_a_holder_paid_directly_with_statements(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo["DIRECT_HOLDER_TOKEN"])
    listed = client.get("/portal/statements").text
    assert len(set(STATEMENT_LINK.findall(listed))) == 10  # January to October
    assert "Nevsky Songs (paid directly)" in listed
    overview = client.get("/portal/overview").text
    assert "Current balance (USD)" in overview and "statement 2006-10" in overview
    statement_id = STATEMENT_LINK.findall(listed)[0]
    page = client.get(f"/portal/statements/{statement_id}").text
    assert "Nevsky Prospect" in page and "does not add up" not in page


def test_verification_runs_once_per_statement_across_filters_and_pages(
    client: TestClient, session: Session, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    st = _statement(session, "society:ROMS", "2006-09")
    runs: list[str | None] = []
    real = verifying.run

    def counted(**kwargs: Any) -> verifying.Result:
        runs.append(kwargs["statement"].id)
        return real(**kwargs)

    monkeypatch.setattr(verifying, "run", counted)
    sign_in(client, demo["SOCIETY"])
    for params in ({}, {"territory": "RU"}, {"sort": "royalty", "order": "desc"}, {"size": "50"}):
        page = client.get(f"/portal/statements/{st.id}", params=params).text
        assert 'id="verify-verdict" class="pass"' in page
    assert runs == [st.id]
    asked = client.get(f"/portal/statements/{st.id}", params={"verify": "sample"}).text
    assert 'id="verify-verdict" class="pass"' in asked and runs == [st.id, st.id]
