"""`royalty-ledger post-dsr FILE...` against the real app."""

import gzip
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.client import cli
from service.client.api import LedgerClient
from tests.factories import Api
from tests.sales.dsr_intake.files import DsrFile, one_block_per_isrc, resource, sale

NAME = "DSR_ROMS_AllOfMP3_Downloads_2006-11_RU__20061201T080000.tsv"


@pytest.fixture
def ledger(api: Api, client: TestClient, store: str) -> LedgerClient:
    return LedgerClient(token=api.key("store", store), client=client)


def test_post_dsr_books_each_file_and_prints_its_receipt(
    ledger: LedgerClient, tmp_path: Path, capsys: Any
) -> None:
    plain = tmp_path / NAME
    plain.write_text(one_block_per_isrc(["RUA010600001"], Usages="3", Returns="1").text())
    packed = tmp_path / NAME.replace("MSG", "").replace(".tsv", ".tsv.gz")
    second = DsrFile(blocks=[[resource(1, "RUA010600001"), sale(1), sale(1, usages=1, returns=2)]])
    second.head = second.head.replace("MSG-1", "MSG-2")
    packed.write_bytes(gzip.compress(second.text().encode()))

    code = cli.main(["post-dsr", str(plain), str(packed)], client=ledger)

    out, err = capsys.readouterr()
    assert code == 1  # one line of the second file was rejected
    assert f"{plain}: message=MSG-1 lines=5 recorded=1 duplicates=0 refunds=1" in out
    assert f"{packed}: message=MSG-2 lines=6 recorded=1 duplicates=0 refunds=0" in out
    assert f"{packed}: line 5, SU01 (Returns): unmatched_return:" in out
    assert err == ""  # not a terminal: no progress

    again = cli.main(["post-dsr", str(plain)], client=ledger)
    assert again == 0
    assert "recorded=0 duplicates=1" in capsys.readouterr().out


def test_a_refused_file_is_reported_and_the_others_still_posted(
    ledger: LedgerClient, tmp_path: Path, capsys: Any
) -> None:
    broken = tmp_path / "broken.tsv"
    broken.write_text("SU01\t1\n")
    good = tmp_path / "good.tsv"
    good.write_text(one_block_per_isrc(["RUA010600001"]).text())

    code = cli.main(["post-dsr", str(broken), str(good)], client=ledger)

    out, err = capsys.readouterr()
    assert code == 1
    assert f"{broken}: refused: 422 dsr_structure: line 1" in err
    assert f"{good}: message=MSG-1" in out


def test_progress_is_shown_on_a_terminal(
    ledger: LedgerClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = io.StringIO()
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr("sys.stderr", terminal)
    path = tmp_path / "report.tsv"
    path.write_text(one_block_per_isrc(["RUA010600001"]).text())

    assert cli.main(["post-dsr", str(path)], client=ledger) == 0
    assert "report.tsv" in terminal.getvalue() and "B/s" in terminal.getvalue()
