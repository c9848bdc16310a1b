"""Helpers of the sales tests: a store that posts, sale bodies, row counts."""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from service.db import get_session
from service.engines import make_engine
from service.identifiers import iswc_check_digit
from service.main import create_app
from tests.factories import Api, bearer, isrc, share, unique

D = Decimal
_iswc_numbers = itertools.count(100_000_001)
TABLES = ("sale", "refund", "ledger_transaction", "ledger_leg")


def iswc() -> str:
    """A fresh, valid ISWC (check digit computed)."""
    digits = f"{next(_iswc_numbers):09d}"
    return f"T-{digits[:3]}.{digits[3:6]}.{digits[6:]}-{iswc_check_digit(digits)}"


def a_sale(isrc: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "sale_id": unique("o-"),
        "isrc": isrc,
        "territory": "RU",
        "sold_at": "2006-11-03T10:00:00Z",
        "quantity": 1,
        "unit_price": "0.10",
        "currency": "USD",
    }
    return {**body, **overrides}


@dataclass
class Store:
    """A store with its own key, posting through real HTTP requests."""

    client: TestClient
    code: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)

    def post(self, body: Any, **kwargs: Any) -> Response:
        return self.client.post("/v1/sales", json=body, headers=self.headers, **kwargs)

    def post_raw(self, content: str | bytes, content_type: str) -> Response:
        headers = {**self.headers, "Content-Type": content_type}
        return self.client.post("/v1/sales", content=content, headers=headers)

    def one(self, sale: dict[str, Any], expect: int = 201) -> dict[str, Any]:
        response = self.post(sale)
        assert response.status_code == expect, response.text
        return dict(response.json())

    def batch(self, sales: list[dict[str, Any]]) -> dict[str, Any]:
        response = self.post({"sales": sales})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def refund(self, sale_id: str, body: dict[str, Any], expect: int = 201) -> dict[str, Any]:
        response = self.client.post(f"/v1/sales/{sale_id}/refunds", json=body, headers=self.headers)
        assert response.status_code == expect, response.text
        return dict(response.json())

    def get(self, path: str, **params: Any) -> Response:
        return self.client.get(path, params=params, headers=self.headers)


@pytest.fixture
def store(api: Api, client: TestClient) -> Store:
    code = api.store()["code"]
    return Store(client, code, api.key("store", code))


@pytest.fixture
def recording(api: Api) -> str:
    """A recording whose RU sales in USD pay one holder 0.6 of a 25 % neighbouring tariff."""
    holder = api.holder()["id"]
    code = isrc()
    api.recording(code, [share(holder, "neighbouring", "0.6")])
    api.tariff(territory="RU", right_type="neighbouring", currency="USD", percent_of_gross="0.25")
    return code


@pytest.fixture
def other_store(api: Api, client: TestClient) -> Store:
    code = api.store()["code"]
    return Store(client, code, api.key("store", code))


def balance(api: Api, party: str, currency: str) -> Decimal:
    """A party's exact ledger balance in one currency (0 when it has none)."""
    response = api.get("/v1/balances", party=party)
    assert response.status_code == 200, response.text
    amounts = {b["currency"]: D(b["amount"]) for b in response.json()["balances"]}
    return amounts.get(currency, D(0))


def counts(session: Session) -> dict[str, int]:
    """Rows of the tables a sale writes (the test's own transaction sees requests' rows)."""
    return {t: session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def royalty(
    right_type: str,
    amount: str,
    currency: str,
    *,
    society: str | None = None,
    holder: str | None = None,
    non_member: bool = False,
    suspense: str | None = None,
) -> dict[str, Any]:
    """One expected `royalties` entry, exactly as API.md spells it."""
    return {
        "right_type": right_type,
        "society_code": society,
        "holder_id": holder,
        "non_member": non_member,
        "suspense": suspense,
        "amount": str(D(amount).quantize(D("0.000001"))),
        "currency": currency,
    }


def by_holder(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries in a stable order for comparison (the service orders by society, holder)."""
    return sorted(
        entries, key=lambda e: (e["right_type"], e["suspense"] or "", e["holder_id"] or "")
    )


@pytest.fixture
def isolated_app(pg_isolated_url: str) -> Iterator[Any]:
    """The real app on a private database: every request commits for real."""
    engine = make_engine(pg_isolated_url, pool_size=10, max_overflow=10)

    def real_session() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    app = create_app()
    app.dependency_overrides[get_session] = real_session
    yield app, engine
    engine.dispose()
