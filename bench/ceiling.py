"""The machine's ceiling for booking sales, measured beside the service (issue 21).

A bare set-based Python + PostgreSQL pipeline books the realistic workload's rows in the
same sitting as the service, and the bench prints the service's realistic figure divided
by it (``ceiling_ratio=``). Per batch of 1,000 rows, in one transaction:

* COPY the rows into a staging table, ``INSERT … SELECT … ON CONFLICT DO NOTHING
  RETURNING`` them into a sales table (a replayed sale_id books nothing);
* in Python, each sale's royalty (a percentage of its gross, ``Decimal``, rounded once)
  split over its recording's holders by the largest remainder, the unclaimed rest to
  suspense, and the store's balancing leg (four to five legs a sale);
* under one row lock, a SHA-256 chain over the sales' transactions, one COPY of the
  transactions and one of the legs.

Two processes post at once (the service's two workers). No HTTP, no validation, no
tariff, mandate, FX or transparency log: the least a hand-written pipeline does to book
"a sale, split exactly, in a hash chain" on this machine.

    .venv/bin/python -m bench.ceiling DATABASE_URL [SALES]
"""

import hashlib
import multiprocessing
import sys
import time
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bench import workload

RATE = Decimal("0.15")
MICRO = Decimal("0.000001")
BATCH = 1_000

_TABLES = """
DROP TABLE IF EXISTS ceiling_sale, ceiling_tx, ceiling_leg, ceiling_head;
CREATE TABLE ceiling_sale (id bigserial PRIMARY KEY, sale_id text UNIQUE NOT NULL,
    isrc text NOT NULL, territory text NOT NULL, quantity int NOT NULL,
    unit_price numeric NOT NULL);
CREATE TABLE ceiling_tx (sequence bigint PRIMARY KEY, sale_pk bigint NOT NULL,
    prev_hash text NOT NULL, hash text NOT NULL);
CREATE TABLE ceiling_leg (id bigserial PRIMARY KEY, sequence bigint NOT NULL,
    account text NOT NULL, amount bigint NOT NULL, isrc text NOT NULL);
CREATE INDEX ON ceiling_leg (sequence);
CREATE INDEX ON ceiling_leg (account);
CREATE TABLE ceiling_head (id int PRIMARY KEY, sequence bigint NOT NULL, hash text NOT NULL);
INSERT INTO ceiling_head VALUES (1, 0, repeat('0', 64));
"""


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _shares(conn: psycopg.Connection[Any]) -> dict[str, list[tuple[str, Decimal]]]:
    found: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    rows = conn.execute(
        "SELECT v.asset_id, s.holder_id, s.share FROM share s "
        "JOIN share_version v ON v.id = s.version_id "
        "WHERE v.asset_kind = 'recording' AND s.right_type = 'neighbouring' "
        "ORDER BY v.asset_id, s.holder_id"
    )
    for isrc, holder, share in rows:
        found[isrc].append((holder, share))
    return found


def _split(total: int, weights: list[Decimal]) -> list[int]:
    """Largest remainder over decimal weights (as integers over a common scale)."""
    scaled = [int(w * 10**12) for w in weights]
    whole = sum(scaled)
    parts = [total * w // whole for w in scaled]
    order = sorted(range(len(scaled)), key=lambda i: -(total * scaled[i] % whole))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _book(conn: psycopg.Connection[Any], rows: list[dict[str, Any]], shares: Any) -> None:
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS ceiling_stage (sale_id text, isrc text, "
            "territory text, quantity int, unit_price numeric) ON COMMIT DELETE ROWS"
        )
        with cur.copy("COPY ceiling_stage FROM STDIN") as copy:
            for r in rows:
                copy.write_row(
                    (r["sale_id"], r["isrc"], r["territory"], r["quantity"], r["unit_price"])
                )
        fresh = cur.execute(
            "INSERT INTO ceiling_sale (sale_id, isrc, territory, quantity, unit_price) "
            "SELECT DISTINCT ON (sale_id) * FROM ceiling_stage ORDER BY sale_id "
            "ON CONFLICT DO NOTHING RETURNING id, isrc, quantity, unit_price"
        ).fetchall()
        legs: list[list[tuple[str, int]]] = []
        for _, isrc, quantity, price in fresh:
            royalty = int((quantity * price * RATE).quantize(MICRO, ROUND_HALF_EVEN) / MICRO)
            owners = shares.get(isrc, [])
            weights = [s for _, s in owners]
            parts = _split(royalty, [*weights, Decimal(1) - sum(weights, Decimal(0))])
            sale_legs = [(f"holder:{h}", p) for (h, _), p in zip(owners, parts, strict=False)]
            sale_legs.append(("suspense:unclaimed_share", parts[-1]))
            sale_legs.append(("store:bench", -royalty))
            legs.append(sale_legs)
        sequence, prev = cur.execute(
            "SELECT sequence, hash FROM ceiling_head WHERE id = 1 FOR UPDATE"
        ).fetchone()
        tx_rows, leg_rows = [], []
        for (pk, isrc, _, _), sale_legs in zip(fresh, legs, strict=True):
            sequence += 1
            text = "\n".join(f"{a}|{m}|{pk}|{isrc}" for a, m in sale_legs)
            digest = hashlib.sha256(f"{prev}{sequence}\n{text}".encode()).hexdigest()
            tx_rows.append((sequence, pk, prev, digest))
            leg_rows.extend((sequence, a, m, isrc) for a, m in sale_legs)
            prev = digest
        with cur.copy("COPY ceiling_tx FROM STDIN") as copy:
            for row in tx_rows:
                copy.write_row(row)
        with cur.copy("COPY ceiling_leg (sequence, account, amount, isrc) FROM STDIN") as copy:
            for row in leg_rows:
                copy.write_row(row)
        cur.execute(
            "UPDATE ceiling_head SET sequence = %s, hash = %s WHERE id = 1", (sequence, prev)
        )


def _poster(dsn: str, batches: list[list[dict[str, Any]]], ready: Any, go: Any) -> None:
    with psycopg.connect(dsn) as conn:
        shares = _shares(conn)
        conn.commit()
        ready.release()
        go.wait()
        for rows in batches:
            _book(conn, rows, shares)


def measure(url: str, rows: list[dict[str, Any]], processes: int = 2) -> float:
    """Sales per second of the bare pipeline over ``rows`` (``processes`` at once)."""
    dsn = _dsn(url)
    with psycopg.connect(dsn) as conn:
        conn.execute(_TABLES)
    batches = [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]
    context = multiprocessing.get_context("fork")
    ready, go = context.Semaphore(0), context.Event()
    workers = [
        context.Process(target=_poster, args=(dsn, batches[n::processes], ready, go))
        for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.acquire()
    started = time.perf_counter()
    go.set()
    for worker in workers:
        worker.join()
        if worker.exitcode:
            raise RuntimeError(f"a ceiling poster failed ({worker.exitcode})")
    elapsed = time.perf_counter() - started
    with psycopg.connect(dsn) as conn:
        conn.execute("DROP TABLE ceiling_sale, ceiling_tx, ceiling_leg, ceiling_head")
    return len(rows) / elapsed


def main() -> int:
    url = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 150_000
    with psycopg.connect(_dsn(url)) as conn:
        isrcs = [r[0] for r in conn.execute("SELECT isrc FROM recording ORDER BY 1")]
    rows = [workload.realistic_sale(i, isrcs) for i in range(total)]
    print(f"ceiling: {total} realistic sales at {measure(url, rows):,.0f} sales/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
