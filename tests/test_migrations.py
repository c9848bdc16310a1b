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
from service.engines import make_engine
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


def _schema(engine: Engine) -> dict[str, set[str]]:
    """Everything a migration can create, beyond Alembic's own version table."""
    inspector = inspect(engine)
    tables = set(inspector.get_table_names()) - {"alembic_version"}
    found = {"tables": tables, "views": set(inspector.get_view_names())}
    found["indexes"] = {f"{t}.{i['name']}" for t in tables for i in inspector.get_indexes(t)}
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            found["functions"] = set(conn.scalars(sa.text(_PG_FUNCTIONS)))
            found["types"] = set(conn.scalars(sa.text(_PG_TYPES)))
            found["triggers"] = set(conn.scalars(sa.text(_PG_TRIGGERS)))
            found["sequences"] = set(inspector.get_sequence_names())
        else:
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
_PG_TRIGGERS = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
_SQLITE_TRIGGERS = "SELECT name FROM sqlite_master WHERE type = 'trigger'"


def test_downgrade_to_base_and_back(roundtrip_url: str) -> None:
    """On both engines: each revision's downgrade restores exactly the schema its upgrade
    started from (tables, indexes, triggers; on PostgreSQL functions, types and sequences
    too), base leaves nothing behind, and the schema rebuilt from base matches the models."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["url"] = roundtrip_url
    command.upgrade(config, "head")
    revisions = list(ScriptDirectory.from_config(config).walk_revisions())
    assert len(revisions) >= 2
    command.downgrade(config, "base")
    engine = make_engine(roundtrip_url)
    try:
        empty = {kind: set() for kind in _schema(engine)}
        assert _schema(engine) == empty
        levels = [empty]
        for _ in revisions:  # up one revision at a time, noting what each one leaves
            command.upgrade(config, "+1")
            levels.append(_schema(engine))
        for expected in reversed(levels[:-1]):  # down again: each step restores the level
            command.downgrade(config, "-1")
            assert _schema(engine) == expected
        command.upgrade(config, "head")
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()
