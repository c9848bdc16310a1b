"""DSR intake in `make bench` (bench.run): a generated BasicAudioProfile 1.2 file, its
parse rate in-process, and its booking through POST /v1/sales/dsr next to POST /v1/sales
on the very same rows (BENCH_DSR_LINES SU01 lines, default 50,000; run after the close,
so both book into the next open month alike).

``python -m bench.dsr_in FILE LINES`` writes a file of LINES SU01 lines.
``python -m bench.dsr_in memory LINES`` books such a file (uniform over every recording of
the bench catalogue: the most the pricing cache can be asked to hold) on a server of one
worker, against a copy of `make bench`'s database (run `make bench` first), and prints
the server's RSS as lines are booked (docs/dsr-intake.md, "Memory").
"""

import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.catalogue import CURRENCY_OF, TERRITORIES
from bench.catalogue import Catalogue as _Catalogue
from bench.workload import PRICES
from service.sales.dsr_intake import mapping, parser
from service.sales.dsr_intake.service import CHUNK
from service.sales.pricing.generation import tune_gc

ADMIN_TOKEN = _Catalogue().admin_token  # the bench catalogue's admin key
BLOCK = 20  # SU01 lines per block (one recording's sales in a month)
_AS = "\t".join(["AS02.02", "{block}", "R1", "R1", "{isrc}", "Title", "", "Artist", "", ""])
_AS += "\tSoundRecording" + "\t" * 11
_SU = "SU01\t{block}\t{summary}\tT{line}\t\tR1\ttrue\tfalse\t{usages}\t{returns}\t{price}\t"


def _summaries() -> list[tuple[str, str, str]]:
    """(id, territory, currency): every territory in its currency, RU in USD too."""
    pairs = [(t, CURRENCY_OF[t]) for t in TERRITORIES] + [("RU", "USD")]
    return [(f"SR{n}", t, c) for n, (t, c) in enumerate(pairs, 1)]


def _lines(isrcs: list[str], count: int, message_id: str, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    summaries = _summaries()
    yield "\t".join(
        [
            "HEAD", "dsrf/1.1/1.2/1.1", "BasicAudioProfile", "1.2", message_id,
            "2006-12-01T00:00:00Z", "1", "1", "2006-11-01", "2006-11-30",
            "PADPIDA2007040502I", "BenchStore", "Downloads", "", "", "",
        ]
    )  # fmt: skip
    for sid, territory, currency in summaries:
        yield (
            f"SY02.02\t{sid}\t\t\tPayAsYouGoModel\tPermanentDownload\t{territory}\tDownloads\t0"
            f"\t\t{currency}\t0\t\t\t\t\t\t\tMusic\t\t\t"
        )
    written = 0
    block = 0
    while written < count:
        block += 1
        yield _AS.format(block=block, isrc=rng.choice(isrcs))
        for _ in range(min(BLOCK, count - written)):
            sid, _, currency = rng.choice(summaries)
            usages = 1 if rng.random() < 0.9 else rng.randint(2, 3)
            returns = 1 if rng.random() < 0.02 else 0
            yield _SU.format(
                block=block,
                summary=sid,
                line=written,
                usages=usages,
                returns=returns,
                price=PRICES[currency],
            )
            written += 1
    total = 1 + len(summaries) + block + count + 1
    yield f"FOOT\t{total}\t{total}\t{len(summaries)}\t{block}\t{block}"


def write(path: Path, isrcs: list[str], count: int, message_id: str, seed: int = 23) -> int:
    """Write a file of ``count`` SU01 lines; its number of lines."""
    lines = 0
    with path.open("w") as out:
        for line in _lines(isrcs, count, message_id, seed):
            out.write(line + "\n")
            lines += 1
    return lines


def parse_rates(path: Path) -> tuple[float, float]:
    """Lines/s of the structural pass, and of the mapping pass (lines to the chunks of
    rows ``record_sales`` books), with the server's collector thresholds (``create_app``
    raises them: CPython's defaults re-traverse a chunk's rows over and over)."""
    tune_gc()
    with path.open("rb") as stream:
        started = time.perf_counter()
        outline = parser.outline(stream)
        structure_s = time.perf_counter() - started
        stream.seek(0)
        started = time.perf_counter()
        for _ in mapping.chunks(stream, outline, now=datetime.now(UTC), size=CHUNK):
            pass
        mapping_s = time.perf_counter() - started
    return outline.lines / structure_s, outline.lines / mapping_s


def _rows(path: Path) -> list[tuple[dict[str, Any], int]]:
    """Each sale of the file as POST /v1/sales takes it, with the units its line returns."""
    with path.open("rb") as stream:
        outline = parser.outline(stream)
        stream.seek(0)
        found = []
        for chunk in mapping.chunks(stream, outline, now=datetime.now(UTC), size=CHUNK):
            returns = dict(chunk.returns)
            for i, row in enumerate(chunk.rows):
                assert row.sale is not None
                found.append((row.sale.model_dump(mode="json"), returns.get(i, 0)))
        return found


def post_dsr(base: str, token: str, path: Path) -> tuple[float, dict[str, Any]]:
    """Seconds to book the file through POST /v1/sales/dsr, and its receipt."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/tab-separated-values"}
    started = time.perf_counter()
    with path.open("rb") as body:
        response = httpx.post(f"{base}/v1/sales/dsr", content=body, headers=headers, timeout=None)
    response.raise_for_status()
    return time.perf_counter() - started, response.json()


def store_token(admin: httpx.Client, code: str) -> str:
    """A new store's key (the DSR and the same rows each go to a store of their own)."""
    admin.post("/v1/stores", json={"code": code, "name": code, "country": "RU"}).raise_for_status()
    key = admin.post("/v1/api-keys", json={"role": "store", "subject": code})
    key.raise_for_status()
    return str(key.json()["token"])


def measure(base: str, admin: httpx.Client, isrcs: list[str], lines: int, say: Any) -> str:
    """The summary's DSR fields: parse rates, and DSR vs JSON booking of the same rows."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "bench.tsv"
        write(path, isrcs, lines, "BENCH-DSR-1")
        structure, mapped = parse_rates(path)
        say(
            f"DSR parse: structural pass {structure:,.0f} lines/s, lines to the rows booked "
            f"{mapped:,.0f} lines/s (in-process)"
        )
        dsr_s, receipt = post_dsr(base, store_token(admin, "benchdsr"), path)
        json_s = post_same_rows(base, store_token(admin, "benchjson"), path)
    say(
        f"DSR in: {lines} SU01 lines in {dsr_s:.1f} s = {lines / dsr_s:,.0f} lines/s "
        f"({receipt['sales_recorded']} sales, {receipt['refunds_recorded']} refunds, "
        f"{receipt['rejected']} rejected); the same sales and returns through POST /v1/sales "
        f"and /v1/refunds: "
        f"{json_s:.1f} s = {lines / json_s:,.0f} sales/s (one client each)"
    )
    return (
        f"dsr_in_lines_per_s={lines / dsr_s:.0f} dsr_same_rows_sales_per_s={lines / json_s:.0f} "
        f"dsr_parse_lines_per_s={structure:.0f} dsr_map_lines_per_s={mapped:.0f}"
    )


def post_same_rows(base: str, token: str, path: Path) -> float:
    """Seconds to book the file's sales through POST /v1/sales, 1,000 a batch, one client,
    and their returns through POST /v1/refunds after each batch (as the DSR post books a
    chunk's returns after its sales)."""
    rows = _rows(path)
    headers = {"Authorization": f"Bearer {token}", "Prefer": "return=minimal"}
    json_type = {"Content-Type": "application/json"}
    started = time.perf_counter()
    with httpx.Client(base_url=base, headers=headers, timeout=None) as client:
        for first in range(0, len(rows), 1000):
            batch = rows[first : first + 1000]
            body = json.dumps({"sales": [sale for sale, _ in batch]})
            client.post("/v1/sales", content=body, headers=json_type).raise_for_status()
            refunds = [
                {
                    "sale_id": sale["sale_id"],
                    "refund_id": f"{sale['sale_id']}-r",
                    "quantity": units,
                    "refunded_at": sale["sold_at"],
                }
                for sale, units in batch
                if units
            ]
            if refunds:
                body = json.dumps({"refunds": refunds})
                client.post("/v1/refunds", content=body, headers=json_type).raise_for_status()
    return time.perf_counter() - started


def memory(count: int) -> None:
    """Book ``count`` SU01 lines through POST /v1/sales/dsr; RSS and lines booked every
    30 s (the server's process tree, VmRSS; lines booked: the store's sales so far)."""
    from bench import run  # bench.run imports this module

    url = _clone(run.SERVER_URL, run.DB_NAME, "ledger_dsr_memory")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        isrcs = [r[0] for r in conn.execute("SELECT isrc FROM recording ORDER BY 1")]
    os.environ["BENCH_WORKERS"] = "1"
    server = run.start_server(url, port=run.PORT + 2)
    base = f"http://127.0.0.1:{run.PORT + 2}"
    outcome: dict[str, Any] = {}
    try:
        admin = httpx.Client(
            base_url=base, timeout=60, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        token = store_token(admin, "dsrmemory")
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "memory.tsv"
            write(path, isrcs, count, f"MEMORY-{count}")
            start = run.rss_mb(server.pid)
            print(f"{count} SU01 lines, {len(isrcs)} recordings; server RSS {start:.0f} MB")
            poster = threading.Thread(
                target=lambda: outcome.update(
                    zip(("s", "receipt"), post_dsr(base, token, path), strict=True)
                )
            )
            poster.start()
            while poster.is_alive():
                poster.join(30)
                _memory_line(dsn, run.rss_mb(server.pid), start, run.load_average())
        print(f"receipt: {outcome.get('receipt')}; {outcome.get('s', 0):.0f} s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _memory_line(dsn: str, rss: float, start: float, load: str) -> None:
    with psycopg.connect(dsn) as conn:
        query = "SELECT count(*) FROM sale WHERE store_code = 'dsrmemory'"
        booked = conn.execute(query).fetchone()
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    lines = booked[0] if booked else 0
    print(f"{stamp} booked {lines:>9,} RSS {rss:6.0f} MB growth {rss - start:5.0f} MB; {load}")


def _clone(server_url: str, source: str, name: str) -> str:
    """A copy of ``source`` (the bench catalogue and month) named ``name``."""
    url = make_url(server_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    admin.dispose()
    clone = url.set(database=name).render_as_string(hide_password=False)
    # The clone's log is the template's: the signer's record of it too (bench.run).
    record = Path(tempfile.gettempdir())
    copy = record / f"bench-{name}.signed.json"
    template = record / f"bench-{source}.signed.json"
    if template.exists():
        copy.write_bytes(template.read_bytes())
    return clone


if __name__ == "__main__":
    if sys.argv[1] == "memory":
        memory(int(sys.argv[2]))
        raise SystemExit(0)
    target, count = Path(sys.argv[1]), int(sys.argv[2])
    isrcs = [f"RUB0106{n:05d}" for n in range(10_000)]
    print(write(target, isrcs, count, f"BENCH-{count}"))
