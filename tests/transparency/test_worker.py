"""The transparency worker thread of the API process: it signs the grown log through the
signer's record and stores the head (its own committed sessions, on a real database)."""

import time
from pathlib import Path

from sqlmodel import Session, select

from service.config import get_settings
from service.engines import make_engine
from service.transparency import worker
from service.transparency.models import SignedTreeHead
from service.transparency.signing import settings_key
from tests.conftest import migrate


def test_the_worker_signs_and_stores_the_grown_log(tmp_path: Path, signer_record: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate(url)
    engine = make_engine(url)
    thread, stop = worker.start_in_background(engine, settings_key(get_settings()), [], 0.05)
    try:
        deadline = time.monotonic() + 30
        while True:
            with Session(engine) as session:
                heads = session.exec(select(SignedTreeHead)).all()
            if heads or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
        engine.dispose()
    assert [h.tree_size for h in heads] == [0]  # the empty log, signed once
    assert signer_record.read_text().startswith('{"tree_size": 0')
    assert not thread.is_alive()
