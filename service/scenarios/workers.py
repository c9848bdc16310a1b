"""A month's kinds of sale priced on both cores: the parent and a forked worker.

Compiling a plan per (recording, territory, currency) is pure Python and most of a
scenario's time at 10^6 sales (one plan per kind of sale in a Zipf tail). The snapshot
it prices from is in the parent's memory, so a worker is *forked* (it shares the snapshot
copy-on-write; nothing is pickled on the way in) and reads nothing from the database:
the caller does every read before ``run_parts``. A worker sends back only its result,
pickled through a pipe, and leaves with ``os._exit`` (no finalizer runs, so the
connections it inherited are never touched). A worker that fails or stalls is not
trusted: the parent kills it and prices its part itself, so the answer never depends
on the worker.
"""

import gc
import os
import pickle
import select
import signal
import time
import zlib
from collections.abc import Callable, Sequence
from typing import Protocol, Self, TypeVar, cast

WORKERS = min(2, os.cpu_count() or 1)  # the machine's two cores
PARALLEL_FROM = 20_000  # items: below, forking costs more than the half it saves
_STALLED = 3.0  # a worker this many times slower than the parent is given up on
_GRACE_S = 30.0


class Mergeable(Protocol):
    def add(self, other: Self) -> None: ...


T = TypeVar("T")
R = TypeVar("R", bound=Mergeable)


def run_parts(work: Callable[[list[T]], R], items: Sequence[T], *, key: Callable[[T], str]) -> R:
    """``work`` over ``items``, split by ``key`` (items with one key stay together, so a
    recording's memoised routes serve all its territories), results merged with ``add``."""
    parts = _split(items, key, WORKERS if len(items) >= PARALLEL_FROM else 1)
    if len(parts) == 1 or not hasattr(os, "fork"):
        result = work(parts[0] if parts else [])
        for part in parts[1:]:
            result.add(work(part))
        return result
    gc.freeze()  # the parent's objects stay put: fewer pages copied on write in the worker
    try:
        children = [(_fork(work, part), part) for part in parts[1:]]
        started = time.monotonic()
        result = work(parts[0])
        deadline = time.monotonic() + _STALLED * (time.monotonic() - started) + _GRACE_S
        for (pid, fd), part in children:
            theirs = _collect(pid, fd, deadline)
            result.add(cast(R, theirs) if theirs is not None else work(part))
        return result
    finally:
        gc.unfreeze()


def _split(items: Sequence[T], key: Callable[[T], str], n: int) -> list[list[T]]:
    parts: list[list[T]] = [[] for _ in range(n)]
    for item in items:
        parts[zlib.crc32(key(item).encode()) % n].append(item)
    return parts


def _fork(work: Callable[[list[T]], Mergeable], part: list[T]) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: never returns
        os.close(read_fd)
        status = 1
        try:
            gc.disable()
            payload = pickle.dumps(work(part), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    return pid, read_fd


def _collect(pid: int, fd: int, deadline: float) -> object | None:
    """The worker's result, or None (it failed or missed ``deadline``: killed)."""
    chunks: list[bytes] = []
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([pipe], [], [], max(left, 0.0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return None
            chunk = pipe.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    # Trusted bytes: our own fork wrote them, through a pipe no one else holds.
    found: object = pickle.loads(b"".join(chunks))  # noqa: S301
    return found
