"""`python -m service.demo` (run by `make run`): seeds an empty embedded database once."""

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, migrate

TOKEN_LABELS = ["admin", "store allofmp3", "society ROMS"]


def _run_demo(cwd: Path, url: str, *, demo: str = "true") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_DEMO": demo}
    env.pop("LEDGER_ADMIN_TOKEN", None)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "service.demo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _rows(db: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    db = tmp_path / "demo.db"
    migrate(f"sqlite:///{db}")
    return db


def test_demo_seeds_an_empty_database_once_and_prints_its_tokens(
    tmp_path: Path, empty_db: Path
) -> None:
    run = _run_demo(tmp_path, f"sqlite:///{empty_db}")
    assert run.returncode == 0, run.stderr
    societies = _rows(empty_db, "SELECT code FROM society ORDER BY code")
    assert [code for (code,) in societies] == ["FAIR", "HFA", "MCPS", "PRS", "ROMS"]
    assert _rows(empty_db, "SELECT code FROM store") == [("allofmp3",)]

    # The tokens file beside the database, and each token printed and stored as its hash.
    lines = (tmp_path / "royalty-ledger.demo-tokens.txt").read_text().splitlines()
    tokens = dict(line.split("\t", 1) for line in lines)
    assert list(tokens) == TOKEN_LABELS
    keys = dict(_rows(empty_db, "SELECT token_hash, coalesce(subject, '') FROM api_key"))
    assert len(keys) == 3
    for label, token in tokens.items():
        assert token in run.stdout
        assert hashlib.sha256(token.encode()).hexdigest() in keys, label
    assert sorted(keys.values()) == ["", "ROMS", "allofmp3"]
    assert "Demo data loaded" in run.stdout
    assert f"Bearer {tokens['store allofmp3']}" in run.stdout  # the curl example

    # Idempotent: a second start adds nothing and prints the same tokens again.
    again = _run_demo(tmp_path, f"sqlite:///{empty_db}")
    assert again.returncode == 0, again.stderr
    assert again.stdout == run.stdout
    assert _rows(empty_db, "SELECT count(*) FROM society") == [(5,)]
    assert _rows(empty_db, "SELECT count(*) FROM api_key") == [(3,)]


def test_a_database_with_data_or_not_embedded_or_demo_off_is_never_seeded(
    tmp_path: Path, empty_db: Path
) -> None:
    url = f"sqlite:///{empty_db}"
    with sqlite3.connect(empty_db) as conn:  # someone's own society: not an empty database
        conn.execute(
            "INSERT INTO society (code, name, country, currency, right_types, commission_rate,"
            " extended_collective_licensing, created_at) VALUES ('MINE', 'Mine', 'RU', 'RUB', '[]',"
            " '0.1', 0, '2006-01-01 00:00:00')"
        )
    kept = _run_demo(tmp_path, url)
    assert kept.returncode == 0, kept.stderr
    assert _rows(empty_db, "SELECT code FROM society") == [("MINE",)]
    assert _rows(empty_db, "SELECT count(*) FROM api_key") == [(0,)]
    assert kept.stdout == ""
    assert not (tmp_path / "royalty-ledger.demo-tokens.txt").exists()

    # PostgreSQL is never seeded, so it is never even connected to (nothing listens here).
    elsewhere = _run_demo(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:9/none")
    assert (elsewhere.returncode, elsewhere.stdout) == (0, "")

    with sqlite3.connect(empty_db) as conn:
        conn.execute("DELETE FROM society")
    off = _run_demo(tmp_path, url, demo="false")
    assert (off.returncode, off.stdout) == (0, "")
    assert _rows(empty_db, "SELECT count(*) FROM society") == [(0,)]
