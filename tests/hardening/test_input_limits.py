"""Inputs that still reached a 500 in issue #24 (break 5): integers longer than Python
reads (4,300 digits) in any field of a sales or refund body, in every format, and a cursor
holding a NUL byte on every list. Each is a 422 naming where it is; nothing is written."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_TOKEN
from tests.factories import Api, bearer
from tests.hardening.conftest import priced_recording
from tests.sales.conftest import Store, a_sale

HUGE = "9" * 5000
NUL_CURSOR = "azE6AA=="  # base64 of "k1:" and a NUL


def _with_huge(sale: dict[str, Any], field: str) -> str:
    """``sale`` as JSON with ``field`` a 5,000-digit number (not a string)."""
    return json.dumps({**sale, field: "HUGE"}).replace('"HUGE"', HUGE)


def _recorded(store: Store) -> int:
    return len(store.get("/v1/sales", limit=1000).json()["data"])


def _names(response: Any, *loc: Any) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid"
    assert [error["loc"] for error in body["errors"]] == [["body", *loc]], body
    assert "5000 digits" in body["errors"][0]["msg"]


@pytest.mark.parametrize("field", ["quantity", "unit_price", "sold_at", "sale_id", "extra"])
def test_a_huge_integer_in_a_sale_names_its_field(api: Api, store: Store, field: str) -> None:
    sale = a_sale(priced_recording(api)[1])
    before = _recorded(store)
    _names(store.post_raw(_with_huge(sale, field), "application/json"), field)
    batch = '{"sales": [' + json.dumps(sale) + ", " + _with_huge(sale, field) + "]}"
    _names(store.post_raw(batch, "application/json"), "sales", 1, field)
    lines = f"{json.dumps(a_sale(sale['isrc']))}\n{_with_huge(sale, field)}\n"
    _names(store.post_raw(lines, "application/x-ndjson"), 2, field)
    assert _recorded(store) == before


@pytest.mark.parametrize("field", ["quantity", "unit_price", "sale_id"])
def test_a_huge_integer_in_a_csv_sale_names_its_column(api: Api, store: Store, field: str) -> None:
    sale = a_sale(priced_recording(api)[1])
    columns = list(sale)
    row = [HUGE if name == field else str(sale[name]) for name in columns]
    body = ",".join(columns) + "\n" + ",".join(row) + "\n"
    before = _recorded(store)
    _names(store.post_raw(body, "text/csv"), 2, field)
    assert _recorded(store) == before


@pytest.mark.parametrize("field", ["quantity", "refunded_at", "refund_id"])
def test_a_huge_integer_in_a_refund_names_its_field(api: Api, store: Store, field: str) -> None:
    sale = store.one(a_sale(priced_recording(api)[1]))
    refund = {"refund_id": "r-1", "sale_id": sale["sale_id"], "quantity": 1}
    refund["refunded_at"] = "2006-11-04T10:00:00Z"
    body = '{"refunds": [' + _with_huge(refund, field) + "]}"
    headers = {**store.headers, "Content-Type": "application/json"}
    _names(store.client.post("/v1/refunds", content=body, headers=headers), "refunds", 0, field)
    single = _with_huge({k: v for k, v in refund.items() if k != "sale_id"}, field)
    path = f"/v1/sales/{sale['sale_id']}/refunds"
    _names(store.client.post(path, content=single, headers=headers), field)
    assert store.get(f"/v1/sales/{sale['sale_id']}").json().get("refunded_units", 0) == 0


def _lists(client: TestClient) -> list[str]:
    """Every GET path without path parameters that takes ``?cursor=``."""
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return sorted(
        path
        for path, operations in paths.items()
        if "get" in operations
        and "{" not in path
        and any(p["name"] == "cursor" for p in operations["get"].get("parameters", []))
    )


def test_a_cursor_with_a_nul_byte_is_refused_on_every_list(client: TestClient, api: Api) -> None:
    lists = _lists(client)
    assert len(lists) >= 9, lists
    for path in lists:
        # holder_id: an admin's /v1/royalties reads nothing (nor its cursor) without one.
        params = {"cursor": NUL_CURSOR, "holder_id": "someone"}
        response = client.get(path, params=params, headers=bearer(ADMIN_TOKEN))
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["loc"] == ["query", "cursor"], path
