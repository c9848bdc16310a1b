"""An empty (never migrated) database of the engine under test."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_URL, create_pg_database, drop_pg_database


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    assert PG_URL is not None
    name = f"ledger_empty_{uuid.uuid4().hex[:10]}"
    url = create_pg_database(PG_URL, name)
    yield url
    drop_pg_database(PG_URL, name)
