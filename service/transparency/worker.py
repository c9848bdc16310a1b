"""The transparency worker: a thread of the API process that, every
``transparency_interval_seconds``, signs the log as it has grown and asks the witnesses to
cosign (``witnesses.Cosigner``). Month closes sign their own head and never wait for it;
the next round submits that head to the witnesses."""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlmodel import Session

from service.transparency.signing import OperatorKey
from service.transparency.witnesses import Cosigner, Witness

log = logging.getLogger("ledger.transparency")


def committing(engine: Engine) -> "Iterator[Session]":
    with Session(engine) as session:
        yield session
        session.commit()


def start_in_background(
    engine: Engine, key: OperatorKey, fixed: list[Witness], interval_s: float
) -> tuple[threading.Thread, threading.Event]:
    """Start the rounds in a daemon thread; set the event to stop it."""
    stop = threading.Event()
    cosigner = Cosigner(contextmanager(lambda: committing(engine)), key, fixed)

    def loop() -> None:
        while not stop.is_set():
            try:
                cosigner.round(time.monotonic())
            except Exception:  # a bad round must not end the thread; the next one retries
                log.exception("transparency round failed")
            stop.wait(interval_s)

    thread = threading.Thread(target=loop, name="transparency-worker", daemon=True)
    thread.start()
    return thread, stop
