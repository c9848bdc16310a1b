"""`Prefer: return=minimal` (RFC 7240) on batches: counts and rejected rows only."""

from typing import Any

from sqlmodel import Session

from service.preferences import preferences, wants_minimal
from tests.factories import Api
from tests.sales.conftest import Store, a_sale, balance, counts

MINIMAL = {"Prefer": "return=minimal"}


def _minimal(store: Store, body: Any, prefer: str = "return=minimal") -> dict[str, Any]:
    response = store.client.post(
        "/v1/sales", json=body, headers={**store.headers, "Prefer": prefer}
    )
    assert response.status_code == 200, response.text
    assert response.headers["Preference-Applied"] == "return=minimal"
    assert "Prefer" in response.headers["Vary"]
    return dict(response.json())


def test_a_minimal_batch_answers_counts_and_its_rejections_in_place(
    store: Store, recording: str, session: Session
) -> None:
    recorded = a_sale(recording)
    store.one(recorded)
    before = counts(session)
    rows = [
        a_sale(recording),
        {**a_sale(recording), "quantity": 0},  # invalid
        recorded,  # duplicate
        {**recorded, "quantity": 2},  # conflict with what was recorded
        a_sale(recording, territory="FR", currency="EUR"),  # no tariff: unlicensed
    ]

    body = _minimal(store, {"sales": rows})

    assert set(body) == {"recorded", "duplicates", "rejected", "rejections"}
    assert (body["recorded"], body["duplicates"], body["rejected"]) == (1, 1, 3)
    assert [(r["row"], r["sale_id"], r["error"]["code"]) for r in body["rejections"]] == [
        (1, rows[1]["sale_id"], "invalid"),
        (3, recorded["sale_id"], "conflict"),
        (4, rows[4]["sale_id"], "unlicensed"),
    ]
    assert body["rejections"][0]["error"]["errors"][0]["loc"] == ["quantity"]
    after = counts(session)
    assert after["sale"] == before["sale"] + 1
    assert after["ledger_transaction"] == before["ledger_transaction"] + 1


def test_minimal_and_full_answers_book_the_same(
    store: Store, other_store: Store, recording: str, api: Api
) -> None:
    rows = [a_sale(recording, quantity=q) for q in (1, 2, 3)]
    full = store.batch(rows)
    minimal = _minimal(other_store, {"sales": [{**r, "sale_id": r["sale_id"]} for r in rows]})

    assert (minimal["recorded"], minimal["rejections"]) == (3, [])
    assert full["recorded"] == 3
    # 0.25 of 6 units at 0.10, for the store of each.
    assert balance(api, f"store:{store.code}", "USD") == balance(
        api, f"store:{other_store.code}", "USD"
    )
    assert balance(api, f"store:{store.code}", "USD") != 0


def test_a_minimal_replay_counts_duplicates_and_writes_nothing(
    store: Store, recording: str, session: Session
) -> None:
    rows = [a_sale(recording) for _ in range(3)]
    assert _minimal(store, {"sales": rows})["recorded"] == 3
    before = counts(session)

    again = _minimal(store, {"sales": rows}, prefer='respond-async, RETURN="minimal"; x=1')

    assert again == {"recorded": 0, "duplicates": 3, "rejected": 0, "rejections": []}
    assert counts(session) == before


def test_without_the_preference_a_batch_answers_every_row(store: Store, recording: str) -> None:
    response = store.client.post(
        "/v1/sales",
        json={"sales": [a_sale(recording)]},
        headers={**store.headers, "Prefer": "return=representation"},
    )

    assert response.status_code == 200
    assert "Preference-Applied" not in response.headers
    assert response.json()["results"][0]["royalties"]


def test_a_bare_sale_ignores_the_preference(store: Store, recording: str) -> None:
    response = store.client.post(
        "/v1/sales", json=a_sale(recording), headers={**store.headers, **MINIMAL}
    )

    assert response.status_code == 201
    assert "Preference-Applied" not in response.headers
    assert response.json()["status"] == "recorded"


def test_the_prefer_header_is_read_as_rfc_7240_says() -> None:
    assert preferences(['return=minimal; foo="bar", wait=10', "return=representation"]) == {
        "return": "minimal",
        "wait": "10",
    }
    assert wants_minimal(["respond-async", ' Return = "Minimal" '])
    assert not wants_minimal(["return=representation, return=minimal"])
    assert not wants_minimal([])
    assert not wants_minimal(["minimal"])


def test_the_preference_is_documented(client: Any) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/sales"]["post"]

    assert any(p["name"] == "prefer" and p["in"] == "header" for p in operation["parameters"])
    assert "Preference-Applied" in operation["responses"]["200"]["headers"]
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"recorded", "duplicates", "rejected", "rejections"} <= set(
        schemas["BatchSummary"]["properties"]
    )
