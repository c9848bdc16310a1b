"""Refusals at start are one line, not a traceback, and create nothing (issue 25, point 4)."""

from pathlib import Path

import pytest

from service.client import cli
from service.config import Settings, get_settings
from service.identifiers import normalize_dpid
from service.startup import run


def test_the_default_sender_id_passes_the_projects_own_dpid_check() -> None:
    default = Settings.model_fields["dsr_sender_id"].default
    assert normalize_dpid(default) == default


def test_a_sender_id_that_is_not_a_dpid_is_refused_at_start_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_DSR_SENDER_ID", "NotADpid")
    monkeypatch.setattr(run, "prepare", lambda *a, **k: pytest.fail("it started"))
    get_settings.cache_clear()
    try:
        assert run.main() == 1
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("royalty-ledger: LEDGER_DSR_SENDER_ID: not a DDEX Party ID: 'NotADpid'")


def test_webhooks_worker_outside_the_repository_creates_no_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        code = cli.main(["webhooks-worker", "--once"])
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "no database at ./royalty-ledger.db" in err, err
    assert list(tmp_path.iterdir()) == []
