"""Migrations are the schema: the migrated database and the models must agree."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from service.all_models import metadata
from service.db import make_engine
from tests.conftest import ROOT


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


@pytest.fixture
def roundtrip_url(database_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of this pass's engine that only this test uses (migrated to head on
    PostgreSQL, empty on SQLite)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'roundtrip.db'}"
    return str(request.getfixturevalue("pg_isolated_url"))


def _leftovers(engine: Engine) -> dict[str, set[str]]:
    """Everything a migration can create, beyond Alembic's own version table."""
    inspector = inspect(engine)
    found = {"tables": set(inspector.get_table_names()) - {"alembic_version"}}
    found["views"] = set(inspector.get_view_names())
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            found["functions"] = set(conn.scalars(sa.text(_PG_FUNCTIONS)))
            found["types"] = set(conn.scalars(sa.text(_PG_TYPES)))
            found["sequences"] = set(inspector.get_sequence_names())
    else:
        with engine.connect() as conn:
            found["triggers"] = set(conn.scalars(sa.text(_SQLITE_TRIGGERS)))
    return found


_PG_FUNCTIONS = (
    "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname = 'public'"
)
_PG_TYPES = (
    "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
    "WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')"
)
_SQLITE_TRIGGERS = "SELECT name FROM sqlite_master WHERE type = 'trigger'"


def test_downgrade_to_base_and_back(roundtrip_url: str) -> None:
    """On both engines: every revision steps down and up one at a time, base leaves nothing
    behind (PostgreSQL: no trigger functions or types either), and the schema rebuilt
    from base agrees with the models."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["url"] = roundtrip_url
    command.upgrade(config, "head")
    revisions = list(ScriptDirectory.from_config(config).walk_revisions())
    assert len(revisions) >= 2
    for _ in revisions:  # one revision at a time, down to base and up again
        command.downgrade(config, "-1")
    for _ in revisions:
        command.upgrade(config, "+1")
    command.downgrade(config, "base")
    engine = make_engine(roundtrip_url)
    try:
        assert all(not names for names in _leftovers(engine).values()), _leftovers(engine)
        command.upgrade(config, "head")
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()
