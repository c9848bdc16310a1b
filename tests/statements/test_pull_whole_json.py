"""`pull-statements --format json` keeps every line, though the API pages them (#25)."""

import json
from pathlib import Path

from fastapi.testclient import TestClient

from service.client.api import LedgerClient
from tests.factories import Api, isrc
from tests.statements.conftest import Ledger, Sale, Share, Statements


def test_a_pulled_json_statement_has_all_its_lines(
    api: Api, client: TestClient, ledger: Ledger, statements: Statements, tmp_path: Path
) -> None:
    api.store(code="shop")
    code = api.society(currency="RUB")["code"]
    for _ in range(105):  # more than the API's default page of 100 lines
        part = Share(f"society:{code}", "0.5", "mechanical", None, code, False, None)
        ledger.sale("2006-11", Sale("shop", "RUB", isrc(), "RU", 1, "10", [part]))
    statements.close("2006-11")
    society = LedgerClient(token=api.key("society", code), client=client)
    [path] = society.pull_statements("2006-11", tmp_path, fmt="json")
    pulled = json.loads(path.read_text())
    assert len(pulled["lines"]) == pulled["line_count"] == 105
    assert pulled["next_cursor"] is None
    assert path.name == f"statement-2006-11-society-{code}.json"
