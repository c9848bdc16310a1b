"""The thread that writes API keys' last use (service.auth.usage.flushing), on a private
database of each engine: it writes on its own connection, and once more on the way out."""

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from service.auth.models import ApiKey
from service.auth.usage import KeyUse, flushing
from service.engines import make_engine
from service.timeutil import utcnow
from tests.conftest import migrate


@pytest.fixture
def private_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'usage.db'}"
        migrate(url)
        yield url
    else:
        yield request.getfixturevalue("pg_isolated_url")


def test_the_thread_writes_what_requests_noted(private_url: str) -> None:
    engine = make_engine(private_url)
    key_id = uuid.uuid4().hex
    with Session(engine) as session:
        session.add(ApiKey(id=key_id, role="admin", token_hash=uuid.uuid4().hex * 2))
        session.commit()
    used_at = utcnow() - timedelta(seconds=5)
    key_use = KeyUse()
    with flushing(engine, key_use, every_s=3600):  # the hour never comes: the exit writes
        key_use.note(key_id, used_at)
    with Session(engine) as session:
        key = session.get(ApiKey, key_id)
        assert key is not None and key.last_used_at == used_at
    engine.dispose()
