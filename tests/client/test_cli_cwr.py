"""`royalty-ledger import-cwr` against the real application."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.catalog.cwr.parser import parse
from service.client import cli
from service.client.api import LedgerClient
from tests.catalog.cwr_files import Tx, compact, cwr_file, ipi
from tests.conftest import ADMIN_TOKEN
from tests.factories import Api
from tests.takedowns.conftest import new_iswc

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cwr"


def admin(client: TestClient) -> LedgerClient:
    return LedgerClient(token=ADMIN_TOKEN, client=client)


def test_import_cwr_prints_each_transaction_and_exits_0(
    api: Api, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    file = str(FIXTURES / "CW210001DMP_000.V21")
    assert cli.main(["import-cwr", file], client=admin(client)) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["AS  T-123.456.789-4  MUSIC PUB CARTOONS"]
    assert captured.err.splitlines() == [
        "1 transaction(s): 1 accepted, 0 accepted with changes, 0 rejected; 1 changed the catalogue"
    ]
    assert api.get("/v1/works/T-123.456.789-4").status_code == 200
    # Again: nothing changes.
    assert cli.main(["import-cwr", file], client=admin(client)) == 0
    assert "0 changed the catalogue" in capsys.readouterr().err


def test_import_cwr_names_rejections_and_exits_1(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    file = str(FIXTURES / "CW220004DMP_000.V21")
    assert cli.main(["import-cwr", file], client=admin(client)) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "RJ  T-123.456.789-4  MUSIC PUB CARTOONS",
        "      SWT line 8 PR Collection Share: 'XXX00' is not numeric",
    ]


def test_import_cwr_writes_the_ack_file(
    client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, ack = tmp_path / "CW060001PUB_000.V21", tmp_path / "ack.V21"
    source.write_text(
        cwr_file(
            Tx("NWR", "A SONG", compact(new_iswc()))
            .spu("P1", "PUB", ipi(301), "100", "100")
            .spt("P1", "100", "100")
        )
    )
    args = ["import-cwr", str(source), "--ack", str(ack), "--valid-from", "2007-01-01"]
    assert cli.main(args, client=admin(client)) == 0
    [tx] = parse(ack.read_text()).transactions
    assert tx.header.get("Transaction Status") == "AS"


def test_a_broken_file_is_the_problem_on_one_line(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    file = str(FIXTURES / "demo_cwr_cleaned.v22")
    assert cli.main(["import-cwr", file], client=admin(client)) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("royalty-ledger: the ledger answered 422 cwr_file_invalid: line 92:")
