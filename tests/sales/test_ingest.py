"""Bodies: bare, JSON batch, NDJSON, CSV; invalid rows; bodies that cannot be read."""

import json
from typing import Any

import pytest
from sqlmodel import Session

from tests.factories import Api, isrc, share
from tests.sales.conftest import Store, a_sale, counts, royalty

FIELDS = ("sale_id", "isrc", "territory", "sold_at", "quantity", "unit_price", "currency")


@pytest.fixture
def recording(api: Api) -> dict[str, Any]:
    """A recording whose label is paid directly 10% of gross in RU."""
    label = api.holder(kind="label")["id"]
    code = isrc()
    api.recording(code, [share(label, "neighbouring", "1")])
    api.tariff(territory="RU", right_type="neighbouring", currency="USD", percent_of_gross="0.1")
    return {"isrc": code, "label": label}


def csv_of(sales: list[dict[str, Any]]) -> str:
    lines = [",".join(FIELDS)] + [",".join(str(s[f]) for f in FIELDS) for s in sales]
    return "\r\n".join(lines) + "\r\n"


def test_csv_and_ndjson_bodies_use_the_same_fields(store: Store, recording: dict[str, Any]) -> None:
    sales = [a_sale(recording["isrc"], quantity=q) for q in (1, 2)]
    expected = [
        [royalty("neighbouring", amount, "USD", holder=recording["label"])]
        for amount in ("0.01", "0.02")
    ]

    from_csv = store.post_raw(csv_of(sales), "text/csv; charset=utf-8")
    assert from_csv.status_code == 200, from_csv.text
    body = from_csv.json()
    assert (body["recorded"], body["duplicates"], body["rejected"]) == (2, 0, 0)
    assert [r["royalties"] for r in body["results"]] == expected

    ndjson = "\n".join(json.dumps(s) for s in sales) + "\n"
    from_ndjson = store.post_raw(ndjson, "application/x-ndjson")
    assert from_ndjson.status_code == 200, from_ndjson.text
    replay = from_ndjson.json()
    assert [r["status"] for r in replay["results"]] == ["duplicate", "duplicate"]
    assert [r["royalties"] for r in replay["results"]] == expected


def test_one_result_per_row_in_order(store: Store, recording: dict[str, Any]) -> None:
    good = a_sale(recording["isrc"])
    rows = [
        good,
        a_sale("not-an-isrc"),
        a_sale(recording["isrc"], territory="XX"),
        a_sale(recording["isrc"], currency="ZZZ"),
        a_sale(recording["isrc"], unit_price="-0.10"),
        a_sale(recording["isrc"], unit_price="0.1234567"),
        a_sale(recording["isrc"], quantity=0),
        a_sale(recording["isrc"], quantity=True),
        a_sale(recording["isrc"], sold_at="2006-13-03T10:00:00Z"),
        a_sale(recording["isrc"], sold_at="2006-11-03T10:00:00"),  # no time zone
        a_sale(recording["isrc"], sold_at="2999-01-01T00:00:00Z"),  # in the future
        {**a_sale(recording["isrc"]), "colour": "blue"},
        "not an object",
    ]
    body = store.batch(rows)
    assert (body["recorded"], body["duplicates"], body["rejected"]) == (1, 0, len(rows) - 1)
    results = body["results"]
    assert [r["sale_id"] for r in results[:-1]] == [row["sale_id"] for row in rows[:-1]]
    assert results[-1]["sale_id"] is None
    assert results[0]["status"] == "recorded"
    for result in results[1:]:
        assert result["status"] == "rejected"
        assert result["error"]["code"] == "invalid"
        assert result["error"]["errors"], result
        assert result["royalties"] == []
    bad_fields = [r["error"]["errors"][0]["loc"] for r in results[1:-1]]
    assert bad_fields == [
        ["isrc"],
        ["territory"],
        ["currency"],
        ["unit_price"],
        ["unit_price"],
        ["quantity"],
        ["quantity"],
        ["sold_at"],
        ["sold_at"],
        ["sold_at"],
        ["colour"],
    ]


def test_rejected_rows_leave_no_trace(
    store: Store, recording: dict[str, Any], session: Session, api: Api
) -> None:
    before = counts(session)
    head = api.get("/v1/ledger/head").json()
    body = store.batch([a_sale("bad"), a_sale(recording["isrc"], territory="US")])
    assert [r["error"]["code"] for r in body["results"]] == ["invalid", "unlicensed"]
    response = store.post(a_sale(recording["isrc"], quantity=-1))
    assert response.status_code == 422
    assert counts(session) == before
    assert api.get("/v1/ledger/head").json() == head


def test_bare_sale_problem_names_the_bad_field(store: Store, recording: dict[str, Any]) -> None:
    response = store.post(a_sale(recording["isrc"], territory="Narnia"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "invalid"
    assert problem["errors"][0]["loc"] == ["body", "territory"]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        ('{"sales": [', "application/json", 400, "malformed"),
        (b"\xff\xfe", "application/json", 400, "malformed"),
        ("[1, 2]", "application/json", 422, "invalid"),
        ('{"sales": {"a": 1}}', "application/json", 422, "invalid"),
        ('{"sales": [], "extra": 1}', "application/json", 422, "invalid"),
        ("sale_id,isrc\no-1,RUA010600001\n", "text/csv", 422, "invalid"),
        ("<sales/>", "application/xml", 415, "unsupported_media_type"),
    ],
)
def test_unreadable_bodies_are_one_problem(
    store: Store, session: Session, content: str, content_type: str, status: int, code: str
) -> None:
    before = counts(session)
    response = store.post_raw(content, content_type)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert counts(session) == before


def test_malformed_ndjson_line_is_one_invalid_row(store: Store, recording: dict[str, Any]) -> None:
    lines = [json.dumps(a_sale(recording["isrc"])), "{not json", json.dumps(a_sale("x"))]
    response = store.post_raw("\n".join(lines), "application/x-ndjson")
    assert response.status_code == 200, response.text
    statuses = [(r["status"], (r["error"] or {}).get("code")) for r in response.json()["results"]]
    assert statuses == [("recorded", None), ("rejected", "invalid"), ("rejected", "invalid")]


def test_more_than_10000_rows_is_413(store: Store, session: Session) -> None:
    before = counts(session)
    row = a_sale("RUA010600001")
    response = store.post({"sales": [row] * 10_001})
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "too_large"
    csv_body = csv_of([row] * 10_001)
    assert store.post_raw(csv_body, "text/csv").status_code == 413
    ndjson = "\n".join([json.dumps(row)] * 10_001)
    assert store.post_raw(ndjson, "application/x-ndjson").status_code == 413
    assert counts(session) == before


def test_empty_batch_is_an_empty_result(store: Store) -> None:
    assert store.batch([]) == {"recorded": 0, "duplicates": 0, "rejected": 0, "results": []}
