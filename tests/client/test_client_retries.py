"""The store client's retries, against a scripted transport (no server needed)."""

import json

import httpx
import pytest

from service.client.api import AsyncLedgerClient, LedgerClient, LedgerError, batches


def ok_body(sales: list[dict]) -> dict:
    return {
        "recorded": len(sales),
        "duplicates": 0,
        "rejected": 0,
        "results": [
            {"sale_id": s["sale_id"], "status": "recorded", "error": None, "royalties": []}
            for s in sales
        ],
    }


def scripted(statuses: list[int | type[Exception]], seen: list[dict]) -> httpx.MockTransport:
    """Answers each request with the next status (or raises the next exception)."""
    script = iter(statuses)

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        outcome = next(script)
        if isinstance(outcome, type):
            raise outcome("simulated", request=request)
        if outcome == 200:
            return httpx.Response(200, json=ok_body(body["sales"]))
        headers = {"Retry-After": "7"} if outcome == 429 else {}
        return httpx.Response(outcome, json={"detail": "busy"}, headers=headers)

    return httpx.MockTransport(handle)


def client_for(transport: httpx.MockTransport, delays: list[float]) -> LedgerClient:
    http = httpx.Client(base_url="http://ledger", transport=transport)
    return LedgerClient(token="t", client=http, retries=3, backoff=0.5, sleep=delays.append)


SALES = [{"sale_id": f"o-{n}", "quantity": 1} for n in range(5)]


def test_batches_split_in_order() -> None:
    assert [len(b) for b in batches(SALES, 2)] == [2, 2, 1]


def test_retries_the_same_batch_after_transient_failures() -> None:
    seen: list[dict] = []
    delays: list[float] = []
    client = client_for(scripted([503, httpx.ConnectError, 429, 200, 200], seen), delays)
    summary = client.post_sales(SALES, batch_size=3)
    assert summary.recorded == 5
    # The first batch was sent four times, identically: safe because sale_id is idempotent.
    assert [len(b["sales"]) for b in seen] == [3, 3, 3, 3, 2]
    assert seen[0] == seen[1] == seen[2] == seen[3]
    # Exponential backoff, except where the server said how long to wait; a refused
    # connection gets one quick retry, not the exponential wait.
    assert delays == [0.5, 0.5, 7.0]


def test_a_refused_connection_is_retried_once_then_raised() -> None:
    """Nobody listening is not a busy server: two refusals end the request at once."""
    seen: list[dict] = []
    delays: list[float] = []
    client = client_for(scripted([httpx.ConnectError, httpx.ConnectError, 200], seen), delays)
    with pytest.raises(httpx.ConnectError):
        client.post_sales(SALES[:1])
    assert len(seen) == 2
    assert delays == [0.5]


def test_dropped_connections_back_off_like_busy_answers() -> None:
    seen: list[dict] = []
    delays: list[float] = []
    client = client_for(scripted([httpx.ReadError] * 4, seen), delays)
    with pytest.raises(httpx.ReadError):
        client.post_sales(SALES[:1])
    assert len(seen) == 4
    assert delays == [0.5, 1.0, 2.0]


def test_gives_up_after_the_last_retry() -> None:
    seen: list[dict] = []
    client = client_for(scripted([503] * 4, seen), [])
    with pytest.raises(LedgerError) as failure:
        client.post_sales(SALES[:1])
    assert failure.value.status == 503
    assert len(seen) == 4


def test_does_not_retry_a_client_error() -> None:
    seen: list[dict] = []
    client = client_for(scripted([422], seen), [])
    with pytest.raises(LedgerError):
        client.post_sales(SALES[:1])
    assert len(seen) == 1


def test_async_client_retries_too() -> None:
    import asyncio

    seen: list[dict] = []

    async def run() -> int:
        http = httpx.AsyncClient(
            base_url="http://ledger",
            transport=httpx.MockTransport(scripted([502, 200], seen).handler),  # type: ignore[attr-defined]
        )
        client = AsyncLedgerClient(token="t", client=http, retries=2, backoff=0)
        summary = await client.post_sales(SALES[:2])
        await client.aclose()
        return summary.recorded

    assert asyncio.run(run()) == 2
    assert len(seen) == 2
