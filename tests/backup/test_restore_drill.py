"""The restore drill (issue #26): a real month closed on a private PostgreSQL database,
`royalty-ledger backup`, more sales after it, `royalty-ledger restore` into a new
database; the restored ledger, its log and a statement's evidence verify against the
tree head signed before the backup, with the key the backup kept."""

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.client import cli
from service.client.api import LedgerClient
from service.client.verify import HttpSource
from service.config import Settings
from service.main import create_app
from service.proofs.verifier import verify_statement
from tests.conftest import ADMIN_TOKEN, PG_URL, create_pg_database, drop_pg_database
from tests.factories import bearer
from tests.transparency.conftest import Month, month, post_sales
from tests.transparency.conftest import world as world

__all__ = ["month", "world"]
NOT_VERIFIED, USAGE, FAILED = 5, 2, 1


def _app(database_url: str, **settings: str) -> TestClient:
    app = create_app(Settings(database_url=database_url, admin_token=ADMIN_TOKEN, **settings))
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(pg_isolated_url: str) -> Iterator[TestClient]:
    """The month's app on a private database whose writes commit (pg_dump must see them);
    it replaces the suite's rolled-back client for this module's fixtures."""
    with _app(pg_isolated_url) as test_client:
        yield test_client
    test_client.app.state.engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def target() -> Iterator[str]:
    """A new, empty database to restore into."""
    assert PG_URL is not None
    name = f"ledger_restore_{uuid.uuid4().hex[:10]}"
    yield create_pg_database(PG_URL, name)
    drop_pg_database(PG_URL, name)


def _sales(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM sale")).scalar_one()
    engine.dispose()
    return int(count)


def test_a_backup_restores_into_a_new_database_and_verifies(
    month: Month, pg_isolated_url: str, target: str, tmp_path: Path
) -> None:
    # The tree grows past the statement's pinned head before the head a verifier trusts.
    post_sales(month.client, month.world, 2, day="2006-12-01")
    trusted = month.client.get("/v1/transparency/sth").json()
    folder = tmp_path / "backup"
    assert cli.main(["backup", "--database-url", pg_isolated_url, "--out", str(folder)]) == 0
    backed_up = _sales(pg_isolated_url)
    post_sales(month.client, month.world, 3, day="2006-12-02")  # after: not in the backup
    assert (folder / "signing.key").stat().st_mode & 0o777 == 0o600
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["sth"]["tree_size"] >= trusted["tree_size"]

    assert cli.main(["restore", str(folder), "--database-url", target]) == 0
    assert _sales(target) == backed_up

    with _app(target, signing_key=str(folder / "signing.key")) as restored:
        admin = bearer(ADMIN_TOKEN)
        assert restored.get("/v1/ledger/verify", headers=admin).json()["ok"] is True
        assert restored.get("/v1/transparency/audit", headers=admin).json()["ok"] is True
        public_key = restored.get("/v1/transparency/key").json()["public_key"]
        assert public_key == month.public_key  # the same key serves the restored ledger
        source = HttpSource(LedgerClient(token=month.society_token, client=restored))
        verdict, _ = verify_statement(
            source,
            month.statement["id"],
            base64.b64decode(public_key),
            sample=None,
            trusted=trusted,
        )
    restored.app.state.engine.dispose()  # type: ignore[attr-defined]
    assert verdict.lines == month.statement["line_count"]


def test_a_restore_refuses_a_database_in_use_and_a_damaged_dump(
    month: Month,
    pg_isolated_url: str,
    target: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "backup"
    assert cli.main(["backup", "--database-url", pg_isolated_url, "--out", str(folder)]) == 0
    before = _sales(pg_isolated_url)
    capsys.readouterr()
    assert cli.main(["restore", str(folder), "--database-url", pg_isolated_url]) == USAGE
    assert "restore into a new, empty one" in capsys.readouterr().err
    assert _sales(pg_isolated_url) == before
    with (folder / "ledger.dump").open("ab") as dump:
        dump.write(b"\0")
    assert cli.main(["restore", str(folder), "--database-url", target]) == FAILED
    assert "does not match its manifest's SHA-256" in capsys.readouterr().err
    assert cli.main(["backup", "--database-url", pg_isolated_url, "--out", str(folder)]) == USAGE
