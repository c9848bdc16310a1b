"""Factories: build parties, catalog and credentials through real admin requests."""

import itertools
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from stdnum.iso7064 import mod_37_36

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


def isrc(n: int | None = None) -> str:
    return f"RUA01060{(n if n is not None else next(_counter)) % 10000:04d}"


def dpid() -> str:
    """A fresh, valid DDEX Party ID (ISO 7064 MOD 37,36 check character)."""
    base = f"PADPIDA{next(_counter):010d}"
    return base + mod_37_36.calc_check_digit(base)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Api:
    """A test's admin: each method posts one resource and returns the response body."""

    def __init__(self, client: TestClient, admin_token: str) -> None:
        self.client = client
        self.admin = bearer(admin_token)

    def post(self, path: str, body: Any, *, expect: int = 201) -> Any:
        response = self.client.post(path, json=body, headers=self.admin)
        assert response.status_code == expect, response.text
        return response.json()

    def get(self, path: str, *, token: str | None = None, **params: Any) -> Response:
        headers = bearer(token) if token else self.admin
        return self.client.get(path, params=params, headers=headers)

    def society(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "code": unique("SOC"),
            "name": "A collecting society",
            "country": "RU",
            "currency": "RUB",
            "right_types": ["mechanical"],
            "commission_rate": "0.15",
            "extended_collective_licensing": False,
            "payout_threshold": None,
            "dpid": dpid(),
        }
        return dict(self.post("/v1/societies", {**body, **overrides}))

    def store(self, **overrides: Any) -> dict[str, Any]:
        body = {"code": unique("store"), "name": "A download store", "country": "RU"}
        return dict(self.post("/v1/stores", {**body, **overrides}))

    def holder(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "name": unique("Holder "),
            "kind": "publisher",
            "currency": "USD",
            "dpid": dpid(),
        }
        return dict(self.post("/v1/rights-holders", {**body, **overrides}))

    def mandate(self, **fields: Any) -> dict[str, Any]:
        body = {"territories": ["WORLD"], "valid_from": "2000-01-01", "valid_to": None}
        return dict(self.post("/v1/mandates", {**body, **fields}))

    def work(self, iswc: str, shares: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
        body = {"iswc": iswc, "title": "A song", "shares": shares}
        return dict(self.post("/v1/works", {**body, **overrides}))

    def recording(
        self, isrc: str, shares: list[dict[str, Any]], **overrides: Any
    ) -> dict[str, Any]:
        body = {
            "isrc": isrc,
            "title": "A recording",
            "artist": "An artist",
            "duration_s": 245,
            "iswc": None,
            "shares": shares,
        }
        return dict(self.post("/v1/recordings", {**body, **overrides}))

    def tariff(self, **fields: Any) -> dict[str, Any]:
        body = {
            "territory": "RU",
            "right_type": "mechanical",
            "currency": "USD",
            "valid_from": "2000-01-01",
            "valid_to": None,
            "percent_of_gross": None,
            "per_unit": None,
            "per_minute": None,
        }
        return dict(self.post("/v1/tariffs", {**body, **fields}))

    def fx(self, date: str, from_: str, to: str, rate: str) -> dict[str, Any]:
        return dict(
            self.post("/v1/fx-rates", {"date": date, "from": from_, "to": to, "rate": rate})
        )

    def key(self, role: str, subject: str | None = None) -> str:
        body = self.post("/v1/api-keys", {"role": role, "subject": subject})
        return str(body["token"])


def share(holder_id: str, right_type: str, value: str, territory: str = "WORLD") -> dict[str, Any]:
    return {
        "holder_id": holder_id,
        "right_type": right_type,
        "share": value,
        "territory": territory,
    }
