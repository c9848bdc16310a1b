"""The client asks for `Prefer: return=minimal` when it keeps only counts and rejections."""

from typing import Any

import httpx
from fastapi.testclient import TestClient

from service.client.api import LedgerClient
from tests.client.conftest import SALE
from tests.factories import Api

INVALID = {**SALE, "sale_id": "o-bad", "quantity": 0}


def test_post_sales_is_answered_minimally_with_rejections_in_place(
    api: Api, client: TestClient, store: str
) -> None:
    ledger = LedgerClient(token=api.key("store", store), client=client)
    sent: list[dict[str, str]] = []
    request = client.request

    def recording(method: str, url: Any, **kwargs: Any) -> httpx.Response:
        sent.append(dict(kwargs.get("headers") or {}))
        return request(method, url, **kwargs)

    client.request = recording  # type: ignore[method-assign]
    batches: list[Any] = []

    summary = ledger.post_sales([SALE, INVALID, SALE], on_batch=batches.append)

    assert sent and all(h["Prefer"] == "return=minimal" for h in sent)
    assert (summary.recorded, summary.duplicates, summary.rejected) == (1, 1, 1)
    assert [(r["row"], r["sale_id"], r["error"]["code"]) for r in summary.rejections] == [
        (1, "o-bad", "invalid")
    ]
    assert batches[0].results == [] and batches[0].rows == 3


def test_post_batch_answers_every_row_unless_asked_otherwise(
    api: Api, client: TestClient, store: str
) -> None:
    ledger = LedgerClient(token=api.key("store", store), client=client)

    full = ledger.post_batch([SALE, INVALID])
    minimal = ledger.post_batch([SALE, INVALID], minimal=True)

    assert [r["status"] for r in full.results] == ["recorded", "rejected"]
    assert full.results[0]["royalties"]
    assert (
        full.rejections
        == minimal.rejections
        == [{"row": 1, "sale_id": "o-bad", "error": full.results[1]["error"]}]
    )
    assert (minimal.recorded, minimal.duplicates, minimal.results) == (0, 1, [])


def test_a_server_that_ignores_the_preference_still_gives_rejections() -> None:
    """RFC 7240 preferences are optional for the server: a full answer is read as such."""

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.headers["Prefer"] == "return=minimal"
        results = [
            {"sale_id": "a", "status": "recorded", "error": None, "royalties": []},
            {"sale_id": "b", "status": "rejected", "error": {"code": "invalid"}, "royalties": []},
        ]
        body = {"recorded": 1, "duplicates": 0, "rejected": 1, "results": results}
        return httpx.Response(200, json=body)

    http = httpx.Client(base_url="http://ledger", transport=httpx.MockTransport(handle))
    summary = LedgerClient(token="t", client=http).post_sales([{"sale_id": "a"}, {"sale_id": "b"}])

    assert summary.rejections == [{"row": 1, "sale_id": "b", "error": {"code": "invalid"}}]
