"""Helpers for statement tests: ledger legs posted directly, and thin HTTP wrappers.

Legs are posted through ``service.ledger.service.post`` exactly as the sales domain
posts them (store debited, beneficiaries credited, royalty dimensions on each leg), so
the close and the statements can be tested without going through ``POST /v1/sales``.
"""

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from service.ledger.service import Leg, Posting, post
from tests.factories import Api, bearer

_refs = itertools.count(1)


@dataclass
class Share:
    """One beneficiary's part of a sale: the account credited and the leg's dimensions."""

    account: str
    amount: str
    right_type: str = "mechanical"
    holder_id: str | None = None
    society_code: str | None = None
    non_member: bool = False
    share: str | None = "1"
    suspense_reason: str | None = None


@dataclass
class Sale:
    store: str
    currency: str
    isrc: str
    territory: str
    units: int
    unit_price: str
    parts: list[Share] = field(default_factory=list)
    iswc: str | None = None
    sale_pk: int | None = None


def legs_of(sale: Sale, *, sign: int = 1) -> list[Leg]:
    price = Decimal(sale.unit_price)
    units = sign * sale.units
    legs = [
        Leg(
            account=p.account,
            currency=sale.currency,
            amount=sign * Decimal(p.amount),
            sale_pk=sale.sale_pk,
            right_type=p.right_type,
            isrc=sale.isrc,
            iswc=sale.iswc,
            territory=sale.territory,
            holder_id=p.holder_id,
            society_code=p.society_code,
            non_member=p.non_member,
            suspense_reason=p.suspense_reason,
            share=None if p.share is None else Decimal(p.share),
            units=units,
            gross=units * price,
        )
        for p in sale.parts
    ]
    total = sum((leg.amount for leg in legs), Decimal(0))
    legs.append(
        Leg(
            f"store:{sale.store}",
            sale.currency,
            -total,
            sale_pk=sale.sale_pk,
            isrc=sale.isrc,
            territory=sale.territory,
            units=units,
            gross=units * price,
        )
    )
    return legs


class Ledger:
    """Posts transactions in the test's own transaction (requests see them)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def post(
        self, period: str, legs: list[Leg], *, kind: str = "sale", adjustment: bool = False
    ) -> int:
        self.session.expire_all()  # requests may have moved the chain head since
        [sequence] = post(
            session=self.session,
            postings=[Posting(kind, f"test:{next(_refs)}", period, legs, adjustment)],
        )
        self.session.flush()
        return sequence

    def sale(self, period: str, sale: Sale, *, adjustment: bool = False) -> int:
        return self.post(period, legs_of(sale), adjustment=adjustment)

    def refund(self, period: str, sale: Sale, *, adjustment: bool = False) -> int:
        return self.post(period, legs_of(sale, sign=-1), kind="refund", adjustment=adjustment)


@pytest.fixture
def ledger(session: Session) -> Ledger:
    return Ledger(session)


class Statements:
    """HTTP helpers over the periods, statements and payments endpoints."""

    def __init__(self, client: TestClient, api: Api) -> None:
        self.client = client
        self.api = api

    def close(self, period: str, *, expect: int | None = 201) -> Response:
        response = self.client.post(f"/v1/periods/{period}/close", headers=self.api.admin)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    def period(self, period: str, token: str | None = None) -> dict[str, Any]:
        response = self.client.get(f"/v1/periods/{period}", headers=self._auth(token))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def list(self, token: str | None = None, **params: Any) -> list[dict[str, Any]]:
        response = self.client.get("/v1/statements", params=params, headers=self._auth(token))
        assert response.status_code == 200, response.text
        return list(response.json()["data"])

    def of(self, party: str, period: str) -> dict[str, Any]:
        [statement] = self.list(party=party, period=period)
        return statement

    def get(self, statement_id: str, token: str | None = None, **kwargs: Any) -> Response:
        headers = {**self._auth(token), **kwargs.pop("headers", {})}
        return self.client.get(f"/v1/statements/{statement_id}", headers=headers, **kwargs)

    def detail(self, statement_id: str, token: str | None = None) -> dict[str, Any]:
        response = self.get(statement_id, token, params={"limit": 1000})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def pay(self, *, expect: int = 201, **body: Any) -> Response:
        response = self.client.post("/v1/payments", json=body, headers=self.api.admin)
        assert response.status_code == expect, response.text
        return response

    def _auth(self, token: str | None) -> dict[str, str]:
        return bearer(token) if token else self.api.admin


@pytest.fixture
def statements(client: TestClient, api: Api) -> Statements:
    return Statements(client, api)


def amounts(lines: list[dict[str, Any]], key: str = "royalty") -> Decimal:
    return sum((Decimal(line[key]) for line in lines), Decimal(0))


def totals(royalty: str, commission: str, net: str, rounding: str = "0.00") -> dict[str, str]:
    """A statement's `totals` whose lines' sum, rounded once, is `royalty` less `rounding`."""
    lines = Decimal(royalty) - Decimal(rounding)
    return {
        "royalty": royalty,
        "commission": commission,
        "net": net,
        "lines_royalty": f"{lines:.2f}",
        "rounding": rounding,
    }
