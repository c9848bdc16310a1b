"""`royalty-ledger post-dsr FILE...`: a store's DDEX DSR files, streamed to the ledger.

Each file is streamed as it is on disk (a ``.gz`` file as gzip, ``Content-Encoding:
gzip``); a file named ``DSR_...`` is sent with its name in ``Content-Disposition``, so the
ledger checks the DSR Part 1 file name against the HEAD. Posting a file again is safe
(nothing is booked twice) and resumes an interrupted post, so a dropped connection or a
busy answer is simply retried.
"""

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

from service.client.api import LedgerClient, LedgerError
from service.client.outcome import Connect, ExitCode

CHUNK = 256 * 1024
BUSY = (429, 502, 503, 504)


def _content(path: Path, progress: tqdm) -> Iterator[bytes]:  # type: ignore[type-arg]
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            progress.update(len(chunk))
            yield chunk


def _headers(path: Path) -> dict[str, str]:
    headers = {"Content-Type": "text/tab-separated-values"}
    if path.name.startswith("DSR_"):
        # Named by DSR Part 1 clause 8.1: the ledger checks the name against the HEAD.
        headers["Content-Disposition"] = f'attachment; filename="{path.name}"'
    if path.name.endswith(".gz"):
        headers["Content-Encoding"] = "gzip"
    return headers


def post_file(client: LedgerClient, path: Path, *, store: str | None = None) -> dict[str, Any]:
    """One file's receipt; a problem answer raises ``LedgerError``. Busy answers and
    dropped connections are retried (a re-post books nothing twice)."""
    params = {"store": store} if store else {}
    # The answer comes once the whole file is booked: no read timeout.
    timeout = httpx.Timeout(client.http.timeout.connect, read=None)
    for attempt in range(client.retries + 1):
        progress = tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            desc=path.name,
            disable=not sys.stderr.isatty(),  # progress on a terminal only
            file=sys.stderr,
        )
        try:
            request = client.http.build_request(
                "POST",
                "/v1/sales/dsr",
                content=_content(path, progress),
                headers={**client.auth, **_headers(path)},
                params=params,
                timeout=timeout,
            )
            response = client.http.send(request)
        except httpx.TransportError:
            if attempt == client.retries:
                raise
        else:
            if response.status_code not in BUSY or attempt == client.retries:
                if response.status_code != 200:
                    raise LedgerError(response)
                return dict(response.json())
        finally:
            progress.close()
        client.sleep(client.backoff * 2**attempt)
    raise AssertionError("unreachable")


def _print_receipt(path: Path, receipt: dict[str, Any]) -> None:
    counts = " ".join(
        f"{name}={receipt[key]}"
        for name, key in (
            ("lines", "lines_read"),
            ("recorded", "sales_recorded"),
            ("duplicates", "duplicates"),
            ("refunds", "refunds_recorded"),
            ("skipped", "skipped"),
            ("rejected", "rejected"),
        )
    )
    print(f"{path}: message={receipt['message_id']} {counts}")
    for r in receipt["rejections"]:
        cell = f" ({r['cell']})" if r["cell"] else ""
        print(f"{path}: line {r['line']}, {r['record_type']}{cell}: {r['code']}: {r['reason']}")


def post_dsr(args: argparse.Namespace, connect: Connect) -> int:
    client = connect()
    failed = False
    for path in args.files:
        started = time.monotonic()
        try:
            receipt = post_file(client, path, store=args.store)
        except LedgerError as exc:
            print(f"{path}: refused: {exc}", file=sys.stderr)
            failed = True
            continue
        _print_receipt(path, receipt)
        failed = failed or receipt["rejected"] > 0
        if sys.stderr.isatty():
            print(f"{path}: {time.monotonic() - started:.1f} s", file=sys.stderr)
    return ExitCode.FAILED if failed else ExitCode.OK


def register(commands: Any, common: argparse.ArgumentParser, **kwargs: Any) -> None:
    """Add post-dsr to the ``commands`` subparsers."""
    command = commands.add_parser(
        "post-dsr",
        parents=[common],
        help="post DDEX DSR sales report files (store token)",
        description="Post a store's DDEX DSR flat files (BasicAudioProfile 1.2; .tsv, or "
        ".tsv.gz sent compressed), one request each, streamed. Each SU01 line is booked as "
        "a sale, its Returns as a refund. A file named DSR_... has its name checked against "
        "its HEAD (DSR Part 1 clause 8.1). A file posted again books nothing twice and "
        "finishes what an interrupted post left. Prints each file's receipt; exits 1 when "
        "a file is refused or a line rejected. Progress is shown on a terminal.",
        **kwargs,
    )
    command.add_argument("files", type=Path, nargs="+", metavar="FILE", help="DSR flat file")
    command.add_argument("--store", help="admin token only: the store the files report for")
    command.set_defaults(run=post_dsr)
