"""Downloads (statement CSV/DSR, evidence) that cannot take the service down (issue #24).

A download used to read through one session for as long as the client took to read it,
and a client that went away left that session's connection "idle in transaction" until a
garbage collection closed it: 15 dropped downloads emptied the pool. Now:

- ``Stream`` produces its chunks in a worker thread a batch (``BATCH_BYTES``) at a time.
  A producer whose every query is read whole before it yields (``release=True``: the
  evidence, the CSV) gets its connection back into the pool after each batch, so a slow
  reader holds no connection while the bytes travel; one that streams from a server-side
  cursor (the DSR on PostgreSQL) keeps its session until it ends. Either way ``close``
  ends the producer and its session at once; the request's download scope calls it when
  the response is over, also when the client went away mid-way.
- ``Slots`` limits the downloads running at once, per party and in total, below the
  pool's size: one more answers 429 ``too_many_downloads`` instead of queueing for a
  connection that every other request needs too.
"""

import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from service.engines import READ_ONLY
from service.errors import DomainError
from service.problems import CODES_KEY, PROBLEM_JSON, Problem

# Bytes produced per connection checkout: the first batch small (the client sees bytes at
# once), each next one twice as large up to the last.
FIRST_BATCH_BYTES = 16 * 1024
BATCH_BYTES = 256 * 1024
Produce = Callable[[Session], Iterator[bytes]]


# The answer a download route documents for its 429.
TOO_MANY = {
    "model": Problem,
    "description": "The party (or the service) runs as many downloads at once as it may; "
    "retry when one has finished.",
    "content": {PROBLEM_JSON: {}},
    CODES_KEY: ["too_many_downloads"],
}


class TooManyDownloads(DomainError):
    status = 429
    code = "too_many_downloads"
    title = "Too many downloads at once"


class Stream:
    """The chunks of one download, read through a session of its own (see the module)."""

    def __init__(self, bind: Engine | Connection, produce: Produce, *, release: bool) -> None:
        self._reader = Session(bind=bind, expire_on_commit=False)
        self._chunks = produce(self._reader)
        self._release = release
        self._lock = threading.Lock()
        self._closed = False
        self._batch_bytes = FIRST_BATCH_BYTES

    def _batch(self) -> list[bytes] | None:
        """The next chunks (about ``BATCH_BYTES``), None at the end; runs in a thread."""
        with self._lock:
            if self._closed:
                return None
            batch: list[bytes] = []
            size = 0
            for chunk in self._chunks:
                batch.append(chunk)
                size += len(chunk)
                if size >= self._batch_bytes:
                    break
            else:
                self._close_locked()
                return batch or None
            self._batch_bytes = min(2 * self._batch_bytes, BATCH_BYTES)
            if self._release:
                # Ends the read transaction and returns the connection; the producer's
                # next query checks one out again.
                self._reader.close()
            return batch

    def _close_locked(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                close = getattr(self._chunks, "close", None)  # a generator's: ends it now
                if close is not None:
                    close()
            finally:
                self._reader.close()

    def close(self) -> None:
        """End the producer and its session (idempotent; blocking: call from a thread)."""
        with self._lock:
            self._close_locked()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            batch = await anyio.to_thread.run_sync(self._batch)
            if batch is None:
                return
            for chunk in batch:
                yield chunk


class Slots:
    """Downloads running now, per party and in total, within the configured limits."""

    def __init__(self, *, per_party: int, total: int) -> None:
        self.per_party = per_party
        self.total = total
        self._lock = threading.Lock()
        self._running: Counter[str] = Counter()

    def take(self, party: str) -> None:
        with self._lock:
            if sum(self._running.values()) >= self.total:
                raise TooManyDownloads(
                    f"{self.total} downloads are running; try again in a moment.",
                    limit=self.total,
                )
            if self._running[party] >= self.per_party:
                raise TooManyDownloads(
                    f"At most {self.per_party} downloads at once per party; "
                    "wait for one to finish.",
                    limit=self.per_party,
                )
            self._running[party] += 1

    def give_back(self, party: str) -> None:
        with self._lock:
            self._running[party] -= 1
            if self._running[party] <= 0:
                del self._running[party]

    def running(self) -> int:
        with self._lock:
            return sum(self._running.values())


class Downloads:
    """One request's downloads: a slot taken per stream, all closed and given back by
    ``finish`` (the request's dependency calls it once the response is over)."""

    def __init__(self, slots: Slots, party: str) -> None:
        self._slots = slots
        self._party = party
        self._streams: list[Stream] = []

    def stream(self, session: Session, produce: Produce, *, release: bool = True) -> Stream:
        """A stream reading through a session of its own on ``session``'s bind (the request's
        session has committed and closed before a streamed response starts)."""
        self._slots.take(self._party)
        try:
            stream = Stream(_read_only(session.get_bind()), produce, release=release)
        except BaseException:
            self._slots.give_back(self._party)
            raise
        self._streams.append(stream)
        return stream

    def finish(self) -> None:
        for stream in self._streams:
            try:
                stream.close()
            finally:
                self._slots.give_back(self._party)
        self._streams.clear()


def _read_only(bind: Any) -> Engine | Connection:
    # An engine reads with the option SQLite begins deferred on (no write lock); a
    # connection (a test's) is used as it is.
    if isinstance(bind, Engine):
        return bind.execution_options(**{READ_ONLY: True})
    assert isinstance(bind, Connection)
    return bind
