"""`post-sales` reads CSV (with or without a byte-order mark), JSON and NDJSON, and never
posts nothing with exit 0 (issue 25, point 3)."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.client import cli
from service.client.api import LedgerClient
from tests.factories import Api

ROWS = [
    {
        "sale_id": f"f-{n}",
        "isrc": "RUA010600001",
        "territory": "RU",
        "sold_at": "2006-11-03T10:00:00Z",
        "quantity": 1,
        "unit_price": "0.10",
        "currency": "USD",
    }
    for n in range(2)
]
CSV = "sale_id,isrc,territory,sold_at,quantity,unit_price,currency\r\n" + "".join(
    ",".join(str(v) for v in row.values()) + "\r\n" for row in ROWS
)
FILES = {
    "sales.csv": CSV.encode(),
    "bom.csv": b"\xef\xbb\xbf" + CSV.encode(),  # as a spreadsheet program exports it
    "sales.json": json.dumps({"sales": ROWS}).encode(),
    "list.json": json.dumps(ROWS).encode(),
    "sales.ndjson": "".join(json.dumps(r) + "\n" for r in ROWS).encode(),
    "sales.jsonl": "".join(json.dumps(r) + "\n" for r in ROWS).encode(),
    "no-extension": "".join(json.dumps(r) + "\n" for r in ROWS).encode(),
    "csv-no-extension": CSV.encode(),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_post_sales_reads_each_format(
    api: Api, client: TestClient, store: str, tmp_path: Path, capsys, name: str
) -> None:
    ledger = LedgerClient(token=api.key("store", store), client=client)
    path = tmp_path / name
    path.write_bytes(FILES[name])
    code = cli.main(["post-sales", str(path), "--quiet"], client=ledger)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "recorded=2 duplicates=0 rejected=0" in out


@pytest.mark.parametrize(
    ("name", "body"),
    [("empty.csv", CSV.splitlines()[0] + "\n"), ("empty.ndjson", "\n"), ("empty.json", "[]")],
)
def test_a_file_with_no_sales_is_refused_not_posted(
    api: Api, client: TestClient, store: str, tmp_path: Path, capsys, name: str, body: str
) -> None:
    ledger = LedgerClient(token=api.key("store", store), client=client)
    path = tmp_path / name
    path.write_text(body)
    code = cli.main(["post-sales", str(path), "--quiet"], client=ledger)
    assert code == 2
    assert "no sales in it, nothing posted" in capsys.readouterr().err
    assert client.get("/v1/sales", headers=ledger.auth).json()["data"] == []


def test_no_progress_bar_when_stderr_is_not_a_terminal(
    api: Api, client: TestClient, store: str, tmp_path: Path, capsys
) -> None:
    ledger = LedgerClient(token=api.key("store", store), client=client)
    path = tmp_path / "sales.csv"
    path.write_text(CSV)
    assert cli.main(["post-sales", str(path)], client=ledger) == 0
    assert capsys.readouterr().err == ""
