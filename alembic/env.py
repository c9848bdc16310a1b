"""Alembic environment: the database URL comes from the service's settings."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from service.all_models import metadata
from service.config import get_settings
from service.engines import make_engine

config = context.config
# alembic.ini's loggers: each applied revision is logged ("Running upgrade 0011 -> 0012").
# Existing loggers stay enabled (the server's and the tests' own).
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return config.attributes.get("url") or get_settings().database_url


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Exact-decimal and UTC types are ours; render them by import path.
    module = type(obj).__module__
    if type_ == "type" and module.startswith("service."):
        return f"{module}.{type(obj).__name__}()"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
