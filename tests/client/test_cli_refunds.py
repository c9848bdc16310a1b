"""Refund batches from the client and the CLI (`post-refunds`), against the real app."""

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.client import cli
from service.client.api import AsyncLedgerClient, LedgerClient
from tests.client.conftest import SALE
from tests.factories import Api

AT = "2006-11-20T00:00:00Z"
REFUNDS = [
    {"sale_id": "o-1", "refund_id": "r-1", "quantity": 1, "refunded_at": AT},
    {"sale_id": "o-1", "refund_id": "r-2", "quantity": 1, "refunded_at": AT},
    {"sale_id": "o-404", "refund_id": "r-3", "quantity": 1, "refunded_at": AT},
]


@pytest.fixture
def ledger(api: Api, client: TestClient, store: str) -> LedgerClient:
    ledger = LedgerClient(token=api.key("store", store), client=client)
    assert ledger.post_sales([SALE]).recorded == 1
    return ledger


def test_post_refund_batch_answers_every_row_unless_asked_otherwise(ledger: LedgerClient) -> None:
    full = ledger.post_refund_batch(REFUNDS[:1] + REFUNDS[2:])
    minimal = ledger.post_refund_batch(REFUNDS[:1] + REFUNDS[2:], minimal=True)

    assert [r["status"] for r in full.results] == ["recorded", "rejected"]
    assert full.results[0]["royalties"]
    expected = [
        {"row": 1, "refund_id": "r-3", "sale_id": "o-404", "error": full.results[1]["error"]}
    ]
    assert full.rejections == minimal.rejections == expected
    assert (minimal.recorded, minimal.duplicates, minimal.results) == (0, 1, [])


@pytest.mark.parametrize("form", ["ndjson", "json", "list"])
def test_post_refunds_cli_posts_the_file_in_batches(
    ledger: LedgerClient, client: TestClient, tmp_path: Path, capsys: Any, form: str
) -> None:
    path = tmp_path / f"refunds.{form}"
    if form == "ndjson":
        path.write_text("".join(json.dumps(r) + "\n" for r in REFUNDS))
    else:
        path.write_text(json.dumps({"refunds": REFUNDS} if form == "json" else REFUNDS))

    code = cli.main(["post-refunds", str(path), "--batch-size", "2", "--quiet"], client=ledger)

    out = capsys.readouterr().out
    assert code == 1  # one row was rejected
    assert "recorded=2 duplicates=0 rejected=1" in out
    assert "rejected r-3 (sale o-404): not_found: No sale o-404" in out
    # Posting the same file again is safe: nothing new is refunded.
    assert cli.main(["post-refunds", str(path), "--quiet"], client=ledger) == 1
    assert "recorded=0 duplicates=2 rejected=1" in capsys.readouterr().out
    sale = client.get("/v1/sales/o-1", headers=ledger.auth).json()
    assert [r["refund_id"] for r in sale["refunds"]] == ["r-1", "r-2"]


def test_a_file_that_is_neither_json_nor_ndjson_is_a_usage_error(
    tmp_path: Path, capsys: Any
) -> None:
    path = tmp_path / "refunds.txt"
    path.write_text('{"sale_id": "o-1"}\nnot json\n')
    assert (
        cli.main(["post-refunds", str(path), "--url", "http://127.0.0.1:8169", "--token", "t"]) == 2
    )
    [line] = capsys.readouterr().err.splitlines()
    assert (
        line.startswith("royalty-ledger: ")
        and "refunds.txt:2: neither a JSON file nor NDJSON" in line
    )


def test_post_refunds_help_names_its_own_defaults(capsys: Any) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["post-refunds", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "refunds per request (default: 1000)" in text
    assert "no progress bar (shown only on a terminal) (default: False)" in text


def test_the_async_client_posts_refund_batches_minimally() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {"recorded": 1, "duplicates": 0, "rejected": 0, "rejections": []}
        return httpx.Response(200, json=body, headers={"Preference-Applied": "return=minimal"})

    async def run() -> int:
        http = httpx.AsyncClient(base_url="http://ledger", transport=httpx.MockTransport(handle))
        client = AsyncLedgerClient(token="t", client=http)
        summary = await client.post_refunds(REFUNDS, batch_size=1)
        await client.aclose()
        return summary.recorded

    assert asyncio.run(run()) == 3
    assert [r.url.path for r in seen] == ["/v1/refunds"] * 3
    assert all(r.headers["Prefer"] == "return=minimal" for r in seen)
    assert json.loads(seen[0].content) == {"refunds": REFUNDS[:1]}
