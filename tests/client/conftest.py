"""A small catalogue the CLI tests post sales against."""

import pytest

from tests.factories import Api, share

# One download in RU, November 2006, of a recording ROMS collects for.
SALE = {
    "sale_id": "o-1",
    "isrc": "RUA010600001",
    "territory": "RU",
    "sold_at": "2006-11-03T10:00:00Z",
    "quantity": 3,
    "unit_price": "0.10",
    "currency": "USD",
}


@pytest.fixture
def store(api: Api) -> str:
    """ROMS collects RU mechanical (15% of gross) for a member publisher; returns the store."""
    api.society(code="ROMS", country="RU", currency="RUB", extended_collective_licensing=True)
    publisher = api.holder()
    api.mandate(holder_id=publisher["id"], society_code="ROMS", right_type="mechanical")
    api.work("T-034.524.680-1", [share(publisher["id"], "mechanical", "1")])
    api.recording("RUA010600001", [], iswc="T-034.524.680-1")
    api.tariff(territory="RU", right_type="mechanical", currency="RUB", percent_of_gross="0.15")
    api.fx("2006-10-31", "USD", "RUB", "26.7")
    return str(api.store(code="allofmp3")["code"])
