"""A catalogue registered by CWR books and closes exactly like the same catalogue posted
through the API: same sales, same statements, to the last digit."""

from typing import Any

from fastapi.testclient import TestClient

from tests.catalog.cwr_files import Tx, compact, cwr_file, holder_by_ipi, ipi, post_cwr
from tests.factories import Api, bearer, share
from tests.statements.conftest import Statements
from tests.takedowns.conftest import new_iswc

PERIOD = "2006-11"


def _sales(isrc: str, prefix: str) -> list[dict[str, Any]]:
    rows = [
        ("RU", "2006-11-03", 2, "15.00"),
        ("BY", "2006-11-04", 1, "9.99"),
        ("FR", "2006-11-05", 3, "1.29"),
    ]
    return [
        {
            "sale_id": f"{prefix}{n}",
            "isrc": isrc,
            "territory": territory,
            "sold_at": f"{day}T10:00:00Z",
            "quantity": quantity,
            "unit_price": price,
            "currency": "USD",
        }
        for n, (territory, day, quantity, price) in enumerate(rows)
    ]


def _lines(statements: Statements, holder_id: str) -> list[tuple[Any, ...]]:
    header = statements.of(f"holder:{holder_id}", PERIOD)
    lines = statements.detail(header["id"])["lines"]
    rows = sorted(
        (line["right_type"], line["territory"], line["share"], line["units"], line["royalty"])
        for line in lines
    )
    return [*rows, ("total", header["currency"], header["totals"]["royalty"])]


def test_a_cwr_catalogue_closes_into_the_statements_of_the_same_catalogue_posted_by_api(
    client: TestClient, api: Api
) -> None:
    for territory in ("RU", "BY", "FR"):
        for right, rate in (("mechanical", "0.15"), ("performance", "0.05")):
            api.tariff(territory=territory, right_type=right, currency="USD", percent_of_gross=rate)
    store = api.store()["code"]
    token = api.key("store", store)

    # Through CWR: World publisher (not in Belarus), a Belarus publisher, a writer.
    x, rx = new_iswc(), "RUA010698001"
    tx = (
        Tx("NWR", "ROUND TRIP", compact(x))
        .spu("P1", "WORLD PUB", ipi(201), "50", "100")
        .spt("P1", "50", "100", tis="2136")
        .spt("P1", "0", "0", tis="112", include="E")
        .spu("P2", "BELARUS PUB", ipi(202), "0", "0", seq=2)
        .spt("P2", "50", "100", tis="112")
        .swr("C1", "WRITER", "ANNA", ipi(203), "50", "0")
        .swt("C1", "37.5", "0", tis="2136")
        .per("ENSEMBLE")
        .rec(rx)
    )
    assert post_cwr(client, api, cwr_file(tx))["accepted"] == 1
    cwr_holders = [holder_by_ipi(api, ipi(n))["id"] for n in (201, 202, 203)]

    # Through the API: the same shares for three other holders.
    p, q, c = (api.holder(kind=kind)["id"] for kind in ("publisher", "publisher", "composer"))
    y, ry = new_iswc(), "RUA010698002"
    api.work(
        y,
        [
            share(p, "performance", "0.5"),
            share(c, "performance", "0.375"),
            share(p, "mechanical", "1"),
            share(q, "performance", "0.5", "BY"),
            share(c, "performance", "0.375", "BY"),
            share(q, "mechanical", "1", "BY"),
        ],
    )
    api.recording(ry, [], iswc=y, title="ROUND TRIP", artist="ENSEMBLE")

    for isrc, prefix in ((rx, "x"), (ry, "y")):
        response = client.post(
            "/v1/sales", json={"sales": _sales(isrc, prefix)}, headers=bearer(token)
        )
        assert response.status_code == 200, response.text
        assert {r["status"] for r in response.json()["results"]} == {"recorded"}
    statements = Statements(client, api)
    statements.close(PERIOD)

    for by_cwr, by_api in zip(cwr_holders, (p, q, c), strict=True):
        assert _lines(statements, by_cwr) == _lines(statements, by_api)
    # Not vacuous: the World publisher earns in RU and FR, not in BY.
    territories = {line[1] for line in _lines(statements, cwr_holders[0])[:-1]}
    assert territories == {"RU", "FR"}


def test_a_cwr_registration_releases_royalties_held_for_want_of_the_work(
    client: TestClient, api: Api
) -> None:
    api.tariff(territory="RU", right_type="mechanical", currency="USD", percent_of_gross="0.15")
    recording = "RUA010698003"
    api.recording(recording, [], title="HELD", artist="ENSEMBLE")
    token = api.key("store", api.store()["code"])
    sold = client.post(
        "/v1/sales", json={"sales": _sales(recording, "h")[:1]}, headers=bearer(token)
    )
    assert sold.status_code == 200, sold.text
    assert [h["reason"] for h in api.get("/v1/suspense").json()["data"]] == ["unknown_work"]

    iswc = new_iswc()
    tx = (
        Tx("NWR", "HELD", compact(iswc))
        .spu("P1", "HELD PUB", ipi(211), "0", "100")
        .spt("P1", "0", "100")
        .rec(recording)
    )
    assert post_cwr(client, api, cwr_file(tx))["accepted"] == 1
    assert api.get("/v1/suspense").json()["data"] == []
    holder = holder_by_ipi(api, ipi(211))["id"]
    balance = api.get("/v1/balances", party=f"holder:{holder}").json()
    assert balance["balances"] == [{"currency": "USD", "amount": "4.500000"}], balance  # 15% of 30
