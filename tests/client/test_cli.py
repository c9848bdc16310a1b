"""The CLI and client against the real application: a store posts a CSV, a society pulls."""

from pathlib import Path

from fastapi.testclient import TestClient

from service.client import cli
from service.client.api import LedgerClient
from tests.client.conftest import SALE
from tests.factories import Api

CSV = """sale_id,isrc,territory,sold_at,quantity,unit_price,currency
o-1,RUA010600001,RU,2006-11-03T10:00:00Z,1,0.10,USD
o-2,RUA010600001,RU,2006-11-04T10:00:00Z,2,0.10,USD
o-3,RUA010600001,RU,2099-11-04T10:00:00Z,1,0.10,USD
"""


def test_post_sales_cli_posts_the_csv_in_batches(
    api: Api, client: TestClient, store: str, tmp_path: Path, capsys
) -> None:
    ledger = LedgerClient(token=api.key("store", store), client=client)
    path = tmp_path / "sales.csv"
    path.write_text(CSV)

    code = cli.main(["post-sales", str(path), "--batch-size", "2", "--quiet"], client=ledger)
    out = capsys.readouterr().out
    assert code == 1  # one row was rejected
    assert "recorded=2 duplicates=0 rejected=1" in out
    assert "rejected o-3: invalid" in out
    # Posting the same file again is safe: nothing new is recorded.
    cli.main(["post-sales", str(path), "--quiet"], client=ledger)
    assert "recorded=0 duplicates=2 rejected=1" in capsys.readouterr().out
    sales = client.get("/v1/sales", headers=ledger.auth).json()["data"]
    assert sorted(s["sale_id"] for s in sales) == ["o-1", "o-2"]


def test_pull_statements_cli_downloads_once_and_honours_etags(
    api: Api, client: TestClient, store: str, tmp_path: Path, capsys
) -> None:
    LedgerClient(token=api.key("store", store), client=client).post_sales([SALE])
    assert client.post("/v1/periods/2006-11/close", headers=api.admin).status_code in (200, 201)
    society = LedgerClient(token=api.key("society", "ROMS"), client=client)
    out = tmp_path / "statements"

    assert (
        cli.main(
            ["pull-statements", "--period", "2006-11", "--format", "csv", "--out", str(out)],
            client=society,
        )
        == 0
    )
    files = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert len(files) == 1
    lines = files[0].read_text().splitlines()
    assert len(lines) == 2  # header + the one line of 2006-11
    assert "RUA010600001" in lines[1]
    capsys.readouterr()

    # Unchanged statements are not downloaded again (If-None-Match -> 304).
    assert society.pull_statements("2006-11", out, fmt="csv") == []
    dsr = society.pull_statements("2006-11", out, fmt="dsr")
    assert len(dsr) == 1
    assert dsr[0].name.startswith("DSR_") and dsr[0].suffix == ".tsv"
    assert dsr[0].read_text().startswith("HEAD\t")


def test_pull_statements_of_an_open_month_fails_with_the_reason(
    api: Api, client: TestClient, store: str, tmp_path: Path, capsys
) -> None:
    """Sales were recorded but the month is not closed: exit 4, not "0 files written"."""
    LedgerClient(token=api.key("store", store), client=client).post_sales([SALE])
    society = LedgerClient(token=api.key("society", "ROMS"), client=client)
    out = tmp_path / "statements"

    code = cli.main(["pull-statements", "--period", "2006-11", "--out", str(out)], client=society)

    assert code == 4
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "royalty-ledger: nothing pulled: period 2006-11 is open: its statements are issued "
        "when an admin closes it (royalty-ledger close 2006-11)"
    ]
    assert not out.exists()


def test_an_api_problem_is_one_line_with_its_code(
    api: Api, client: TestClient, store: str, tmp_path: Path, capsys
) -> None:
    """A store may not pull statements: the 403 problem, one line, exit 1."""
    ledger = LedgerClient(token=api.key("store", store), client=client)
    code = cli.main(
        ["pull-statements", "--period", "2006-11", "--out", str(tmp_path)], client=ledger
    )
    assert code == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("royalty-ledger: the ledger answered 403")


def test_pull_statements_downloads_again_a_file_altered_since(
    api: Api, client: TestClient, store: str, tmp_path: Path
) -> None:
    """The ETag is the file's SHA-256: a pull re-hashes the copy it has instead of trusting
    ``.etags.json``, so an edited copy is replaced by the operator's."""
    LedgerClient(token=api.key("store", store), client=client).post_sales([SALE])
    assert client.post("/v1/periods/2006-11/close", headers=api.admin).status_code in (200, 201)
    society = LedgerClient(token=api.key("society", "ROMS"), client=client)
    out = tmp_path / "statements"
    [path] = society.pull_statements("2006-11", out, fmt="csv")
    original = path.read_bytes()
    path.write_bytes(original.replace(b"RU,", b"US,"))
    assert society.pull_statements("2006-11", out, fmt="csv") == [path]
    assert path.read_bytes() == original
    assert society.pull_statements("2006-11", out, fmt="csv") == []


def test_a_statement_file_has_one_name_wherever_it_is_downloaded(
    api: Api, client: TestClient, store: str, tmp_path: Path
) -> None:
    """CSV and JSON: ``statement-<period>-<party>.<ext>`` from the API and pull-statements
    alike (issue #25 found two schemes; the portal's JSON download names it with the same
    ``formats.file_name``); DSR: the standard's own name."""
    LedgerClient(token=api.key("store", store), client=client).post_sales([SALE])
    assert client.post("/v1/periods/2006-11/close", headers=api.admin).status_code in (200, 201)
    token = api.key("society", "ROMS")
    society = LedgerClient(token=token, client=client)
    [statement] = society.statements("2006-11")
    auth = {"Authorization": f"Bearer {token}"}
    served = {
        fmt: client.get(f"/v1/statements/{statement['id']}", headers={**auth, **accept})
        for fmt, accept in (("csv", {"Accept": "text/csv"}), ("json", {}))
    }
    for fmt, response in served.items():
        assert (
            f'filename="statement-2006-11-society-ROMS.{fmt}"'
            in (response.headers["Content-Disposition"])
        )
        [pulled] = society.pull_statements("2006-11", tmp_path / fmt, fmt=fmt)
        assert pulled.name == f"statement-2006-11-society-ROMS.{fmt}"
        assert pulled.read_bytes() == response.content
