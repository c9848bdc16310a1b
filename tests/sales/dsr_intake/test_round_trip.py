"""Round trip: the DSR the ledger writes for a closed month, posted back as a store's
report, books usage that reproduces the statement's per (ISRC, territory, price) totals.

The society collects one right type (mechanical), so each sale is one SU01 line of its
DSR (a party collecting two right types gets one line per right type, as Part 3 reports
usage per RightsType; posting such a file back would count the units once per type).
The "empty ledger with the same catalogue" is a second store with no sales of its own in
the same database: its sales are exactly what the file booked.
"""

from collections import Counter
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.dsr_conformance.served import served_file_name
from tests.factories import Api, bearer, isrc, share
from tests.sales.conftest import Store
from tests.sales.dsr_intake.conftest import TSV
from tests.statements.conftest import Statements
from tests.takedowns.conftest import new_iswc

Key = tuple[str, str, Decimal]


def _sale(
    sale_id: str, code: str, territory: str, qty: int, price: str, cur: str
) -> dict[str, Any]:
    return {
        "sale_id": sale_id,
        "isrc": code,
        "territory": territory,
        "sold_at": "2006-11-07T10:00:00Z",
        "quantity": qty,
        "unit_price": price,
        "currency": cur,
    }


def _totals(sales: list[dict[str, Any]]) -> tuple[Counter[Key], Counter[Key]]:
    sold: Counter[Key] = Counter()
    returned: Counter[Key] = Counter()
    for s in sales:
        key = (s["isrc"], s["territory"], Decimal(s["unit_price"]))
        sold[key] += s["quantity"]
        returned[key] += s["refunded_quantity"]
    return sold, returned


def _file_totals(text: str) -> tuple[Counter[Key], Counter[Key]]:
    """Usages and Returns per (ISRC, territory, price), read from the file's records."""
    territory: dict[str, str] = {}
    isrc_of: dict[tuple[str, str], str] = {}
    sold: Counter[Key] = Counter()
    returned: Counter[Key] = Counter()
    for line in text.splitlines():
        cells = line.split("\t")
        if cells[0] == "SY02.02":
            territory[cells[1]] = cells[6]
        elif cells[0] == "AS02.02":
            isrc_of[(cells[1], cells[2])] = cells[4]
        elif cells[0] == "SU01":
            key = (isrc_of[(cells[1], cells[5])], territory[cells[2]], Decimal(cells[10]))
            sold[key] += int(cells[8])
            returned[key] += int(cells[9])
    return sold, returned


def _all_sales(store: Store) -> list[dict[str, Any]]:
    response = store.get("/v1/sales", limit=1000)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def test_a_statement_dsr_posted_back_reproduces_its_totals(api: Api, client: TestClient) -> None:
    statements = Statements(client, api)
    society = api.society(country="US", currency="USD", right_types=["mechanical"])["code"]
    publisher = api.holder(currency="USD")["id"]
    api.mandate(
        holder_id=publisher, society_code=society, right_type="mechanical", territories=["WORLD"]
    )
    iswc = new_iswc()
    api.work(iswc, [share(publisher, "mechanical", "1")])
    r1, r2 = isrc(), isrc()
    for code in (r1, r2):
        api.recording(code, [], iswc=iswc)
    for territory, currency in (("US", "USD"), ("RU", "RUB")):
        api.tariff(
            territory=territory, right_type="mechanical", currency=currency, percent_of_gross="0.1"
        )
    api.fx("2006-11-01", "RUB", "USD", "0.0377")
    stores = []
    for _ in range(2):
        code = api.store()["code"]
        stores.append(Store(client, code, api.key("store", code)))
    original, replay = stores
    batch = original.batch(
        [
            _sale("a", r1, "US", 3, "0.99", "USD"),
            _sale("b", r1, "US", 1, "1.29", "USD"),
            _sale("c", r2, "US", 2, "0.99", "USD"),
            _sale("d", r1, "RU", 5, "15.00", "RUB"),
            _sale("e", r2, "RU", 1, "15.00", "RUB"),
        ]
    )
    assert batch["recorded"] == 5, batch
    original.refund("a", {"refund_id": "ra", "quantity": 1, "refunded_at": "2006-11-20T00:00:00Z"})
    statements.close("2006-11")

    statement = statements.of(f"society:{society}", "2006-11")
    dsr = statements.get(statement["id"], params={"format": "dsr"})
    assert dsr.status_code == 200, dsr.text
    response = client.post(
        "/v1/sales/dsr",
        content=dsr.content,
        headers={
            **bearer(replay.token),
            "Content-Type": TSV,
            "Content-Disposition": f'attachment; filename="{served_file_name(dsr)}"',
        },
    )
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert (receipt["sales_recorded"], receipt["refunds_recorded"], receipt["rejected"]) == (
        5,
        1,
        0,
    ), receipt

    in_file = _file_totals(dsr.text)
    assert in_file == _totals(_all_sales(original))  # the statement tells what was sold
    assert _totals(_all_sales(replay)) == in_file  # ... and books it back, line for line
