"""`POST /v1/refunds`: many refunds in one transaction, each row atomic on its own."""

import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session

from service.sales.refunds import batch as refund_batch
from tests.factories import Api, isrc, share, unique
from tests.sales.conftest import Store, a_sale, balance, counts

D = Decimal
THIRD = "0.333333"
MINIMAL = {"Prefer": "return=minimal"}


@pytest.fixture
def thirds(api: Api) -> dict[str, Any]:
    """Three labels paid directly in DE, a third each (0.000001 unclaimed): awkward cents."""
    labels = [api.holder(kind="label")["id"] for _ in range(3)]
    code = isrc()
    api.recording(code, [share(label, "neighbouring", THIRD) for label in labels])
    api.tariff(territory="DE", right_type="neighbouring", currency="EUR", percent_of_gross="0.15")
    return {"isrc": code, "labels": labels}


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def de_sale(thirds: dict[str, Any], quantity: int, **overrides: Any) -> dict[str, Any]:
    return a_sale(
        thirds["isrc"],
        territory="DE",
        quantity=quantity,
        unit_price="0.99",
        currency="EUR",
        **overrides,
    )


def row(
    sale_id: str, quantity: int = 1, refund_id: str | None = None, at: str = "2006-11-20T00:00:00Z"
) -> dict[str, Any]:
    return {
        "sale_id": sale_id,
        "refund_id": refund_id or unique("r-"),
        "quantity": quantity,
        "refunded_at": at,
    }


def post(store: Store, body: Any, headers: dict[str, str] | None = None) -> Response:
    return store.client.post("/v1/refunds", json=body, headers={**store.headers, **(headers or {})})


def refunds(store: Store, rows: list[dict[str, Any]]) -> dict[str, Any]:
    response = post(store, {"refunds": rows})
    assert response.status_code == 200, response.text
    return dict(response.json())


def parties(thirds: dict[str, Any], store: Store) -> list[str]:
    return [f"holder:{label}" for label in thirds["labels"]] + [f"store:{store.code}"]


def test_a_mixed_batch_answers_each_row_in_order(
    store: Store, other_store: Store, thirds: dict[str, Any], session: Session
) -> None:
    sale, late = de_sale(thirds, 3), de_sale(thirds, 1, sold_at="2006-11-10T00:00:00Z")
    store.batch([sale, late])
    theirs = de_sale(thirds, 1)
    other_store.one(theirs)
    old = row(sale["sale_id"])
    first = store.refund(sale["sale_id"], {k: v for k, v in old.items() if k != "sale_id"})
    other = row(late["sale_id"])
    store.refund(late["sale_id"], {k: v for k, v in other.items() if k != "sale_id"})
    before = counts(session)
    recorded = row(sale["sale_id"])
    rows = [
        recorded,
        old,  # duplicate
        row("no-such-sale"),  # not_found
        row(theirs["sale_id"]),  # another store's sale: not_found too
        row(sale["sale_id"], at="2999-01-01T00:00:00Z"),  # invalid: in the future
        row(late["sale_id"], at="2006-11-05T00:00:00Z"),  # invalid: before the sale
        row(sale["sale_id"], 2),  # 3 sold, 2 refunded (with row 0): refund_exceeds_sale
        {**other, "quantity": 2},  # conflict with what was recorded
        {**row(sale["sale_id"]), "quantity": 0},  # invalid field
        recorded,  # repeat of row 0: duplicate
        {**recorded, "refunded_at": "2006-11-21T00:00:00Z"},  # repeat, other content
    ]

    body = refunds(store, rows)

    outcomes = [(r["status"], (r["error"] or {}).get("code")) for r in body["results"]]
    assert outcomes == [
        ("recorded", None),
        ("duplicate", None),
        ("rejected", "not_found"),
        ("rejected", "not_found"),
        ("rejected", "invalid"),
        ("rejected", "invalid"),
        ("rejected", "refund_exceeds_sale"),
        ("rejected", "conflict"),
        ("rejected", "invalid"),
        ("duplicate", None),
        ("rejected", "conflict"),
    ]
    assert (body["recorded"], body["duplicates"], body["rejected"]) == (1, 2, 8)
    assert [(r["refund_id"], r["sale_id"]) for r in body["results"]] == [
        (r["refund_id"], r["sale_id"]) for r in rows
    ]
    errors = [r["error"] for r in body["results"]]
    assert errors[2]["detail"] == f"No sale no-such-sale of store {store.code}."
    assert errors[3]["detail"] == f"No sale {theirs['sale_id']} of store {store.code}."
    assert errors[4]["errors"] == [{"loc": ["refunded_at"], "msg": "is in the future"}]
    assert "before it was sold" in errors[5]["detail"]
    assert (errors[6]["sold"], errors[6]["refunded"]) == (3, 2)
    assert "quantity" in errors[7]["detail"] and "already recorded" in errors[7]["detail"]
    assert errors[8]["errors"][0]["loc"] == ["quantity"]
    assert "earlier in this batch" in errors[10]["detail"]
    # A duplicate answers the first result; a repeat the result of its first row.
    assert body["results"][1]["royalties"] == first["royalties"]
    assert body["results"][1]["booked_period"] == first["booked_period"]
    assert body["results"][9]["royalties"] == body["results"][0]["royalties"]
    assert all(D(e["amount"]) < 0 for e in body["results"][0]["royalties"])
    # Only row 0 wrote anything: one refund, one ledger transaction.
    after = counts(session)
    assert after["refund"] == before["refund"] + 1
    assert after["ledger_transaction"] == before["ledger_transaction"] + 1
    detail = store.get(f"/v1/sales/{sale['sale_id']}").json()
    assert detail["refunded_quantity"] == 2
    assert detail["refunds"][1]["royalties"] == body["results"][0]["royalties"]
    assert other_store.get(f"/v1/sales/{theirs['sale_id']}").json()["refunded_quantity"] == 0


def test_refunding_every_unit_in_rows_and_batches_negates_the_sale(
    store: Store, api: Api, thirds: dict[str, Any]
) -> None:
    sale, twin = de_sale(thirds, 7), de_sale(thirds, 7)
    store.batch([sale, twin])
    # One batch holds three refunds of the sale, a second batch the last one.
    first = refunds(store, [row(sale["sale_id"], q) for q in (2, 1, 3)])
    last = refunds(store, [row(sale["sale_id"], 1)])
    # The same refunds posted one by one on the twin: the same reversal at every step.
    singles = [
        store.refund(
            twin["sale_id"], {k: v for k, v in row(twin["sale_id"], q).items() if k != "sale_id"}
        )
        for q in (2, 1, 3, 1)
    ]

    results = first["results"] + last["results"]
    assert [r["status"] for r in results] == ["recorded"] * 4
    assert [r["royalties"] for r in results] == [s["royalties"] for s in singles]
    for party in parties(thirds, store):
        assert balance(api, party, "EUR") == 0, party
    sold = store.get(f"/v1/sales/{sale['sale_id']}").json()
    assert sold["refunded_quantity"] == 7
    for label in thirds["labels"]:
        reversed_ = sum(
            D(e["amount"]) for r in results for e in r["royalties"] if e["holder_id"] == label
        )
        paid = sum(D(e["amount"]) for e in sold["royalties"] if e["holder_id"] == label)
        assert reversed_ == -paid
    # Not one unit more.
    over = refunds(store, [row(sale["sale_id"], 1)])["results"][0]
    assert over["error"]["code"] == "refund_exceeds_sale"


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    parts=st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=6),
    cuts=st.sets(st.integers(min_value=1, max_value=5), max_size=3),
)
def test_any_split_of_every_unit_over_batches_negates_the_sale(
    store: Store, api: Api, thirds: dict[str, Any], parts: list[int], cuts: set[int]
) -> None:
    sale = de_sale(thirds, sum(parts))
    sold = store.one(sale)["royalties"]
    rows = [row(sale["sale_id"], q) for q in parts]
    bounds = [0, *sorted(c for c in cuts if c < len(rows)), len(rows)]
    results = []
    for start, stop in itertools.pairwise(bounds):
        body = refunds(store, rows[start:stop])
        assert body["recorded"] == stop - start, body
        results += body["results"]
    for label in thirds["labels"]:
        reversed_ = sum(
            D(e["amount"]) for r in results for e in r["royalties"] if e["holder_id"] == label
        )
        assert reversed_ == -sum(D(e["amount"]) for e in sold if e["holder_id"] == label)
    total = sum(D(e["amount"]) for r in results for e in r["royalties"])
    assert total == -sum(D(e["amount"]) for e in sold)


def test_a_batch_whose_append_fails_writes_nothing(
    store: Store, thirds: dict[str, Any], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sales = [de_sale(thirds, 2) for _ in range(3)]
    store.batch(sales)
    before = counts(session)

    def failing(**_: Any) -> list[int]:
        raise RuntimeError("the ledger refused the append")

    monkeypatch.setattr(refund_batch, "append", failing)
    response = post(store, {"refunds": [row(s["sale_id"]) for s in sales]})

    assert response.status_code == 500
    assert counts(session) == before
    monkeypatch.undo()
    assert refunds(store, [row(s["sale_id"]) for s in sales])["recorded"] == 3


def test_a_batch_takes_the_chain_lock_once(
    store: Store, thirds: dict[str, Any], statements: list[str]
) -> None:
    sales = [de_sale(thirds, 3) for _ in range(5)]
    store.batch(sales)
    rows = [row(s["sale_id"]) for s in sales for _ in range(3)]
    statements.clear()
    assert refunds(store, rows)["recorded"] == 15
    locks = [s for s in statements if "FROM ledger_head" in s]
    assert len(locks) == 1, locks
    # A batch of replays records nothing: it never takes the lock.
    statements.clear()
    assert refunds(store, rows)["duplicates"] == 15
    assert not [s for s in statements if "FROM ledger_head" in s]


def test_statements_do_not_grow_with_the_batch(
    store: Store, thirds: dict[str, Any], statements: list[str]
) -> None:
    sales = [de_sale(thirds, 4) for _ in range(200)]
    store.batch(sales)

    def cost(rows: list[dict[str, Any]]) -> int:
        statements.clear()
        body = refunds(store, rows)
        assert body["recorded"] == len(rows), body
        # The batch's own: not the request's savepoint nor its key's lookup.
        return len([s for s in statements if "SAVEPOINT" not in s and "api_key" not in s])

    small = cost([row(s["sale_id"]) for s in sales[:10]])
    # 200 rows over 100 sales, two refunds each (cumulative within the batch).
    large = cost([row(s["sale_id"]) for s in sales[100:] for _ in range(2)])
    assert small == large, (small, large)
    # sales, refunds; lock, refunds since, units, insert; the append (its booking months,
    # transactions, legs, 3 for the log's tiles, the head, the last transaction's date:
    # ledger/clock.py); the months booked.
    assert large <= 15, "\n".join(s[:70] for s in statements)


def test_a_minimal_batch_answers_counts_and_rejections_only(
    store: Store, thirds: dict[str, Any], session: Session
) -> None:
    sale = de_sale(thirds, 2)
    store.one(sale)
    rows = [row(sale["sale_id"]), row("nope"), row(sale["sale_id"], 5)]

    response = post(store, {"refunds": rows}, MINIMAL)

    assert response.status_code == 200, response.text
    assert response.headers["Preference-Applied"] == "return=minimal"
    assert "Prefer" in response.headers["Vary"]
    body = response.json()
    assert set(body) == {"recorded", "duplicates", "rejected", "rejections"}
    assert (body["recorded"], body["duplicates"], body["rejected"]) == (1, 0, 2)
    assert [
        (r["row"], r["refund_id"], r["sale_id"], r["error"]["code"]) for r in body["rejections"]
    ] == [
        (1, rows[1]["refund_id"], "nope", "not_found"),
        (2, rows[2]["refund_id"], sale["sale_id"], "refund_exceeds_sale"),
    ]
    before = counts(session)
    again = post(store, {"refunds": rows}, {"Prefer": 'respond-async, RETURN="minimal"'})
    assert again.json() == {**body, "recorded": 0, "duplicates": 1}
    assert counts(session) == before
    full = post(store, {"refunds": rows})
    assert "Preference-Applied" not in full.headers and "Prefer" in full.headers["Vary"]
    assert full.json()["results"][0]["status"] == "duplicate"


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        ("{", "application/json", 400, "malformed"),
        ('[{"sale_id": "x"}]', "application/json", 422, "invalid"),
        ('{"refunds": {}}', "application/json", 422, "invalid"),
        ('{"refunds": [], "sales": []}', "application/json", 422, "invalid"),
        ("sale_id,refund_id\n", "text/csv", 415, "unsupported_media_type"),
    ],
)
def test_a_body_that_is_not_a_batch_is_one_problem(
    store: Store, session: Session, content: str, content_type: str, status: int, code: str
) -> None:
    before = counts(session)
    response = store.client.post(
        "/v1/refunds", content=content, headers={**store.headers, "Content-Type": content_type}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert counts(session) == before


def test_a_batch_too_large_is_refused_whole(store: Store, session: Session) -> None:
    before = counts(session)
    response = post(store, {"refunds": [row("x")] * 10_001})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert counts(session) == before


def test_only_stores_post_refunds(api: Api, store: Store, thirds: dict[str, Any]) -> None:
    sale = de_sale(thirds, 1)
    store.one(sale)
    body = {"refunds": [row(sale["sale_id"])]}
    society = api.key("society", api.society()["code"])
    refused = store.client.post(
        "/v1/refunds", json=body, headers={"Authorization": f"Bearer {society}"}
    )
    assert refused.status_code == 403
    # An admin acts for a store it names, like on POST /v1/sales.
    admin = store.client.post("/v1/refunds", json=body, headers=api.admin)
    assert admin.status_code == 422 and admin.json()["code"] == "invalid"
    named = store.client.post(
        "/v1/refunds", json=body, headers=api.admin, params={"store": store.code}
    )
    assert named.status_code == 200 and named.json()["recorded"] == 1
