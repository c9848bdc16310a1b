"""Proof latency on a big tree (not run by tests): `python -m bench.proofs`.

Builds a transparency-log tree of BENCH_LEAVES (default 10,000,000) random leaves as tiles
in a fresh PostgreSQL database (only the ``merkle_tile`` table; the ledger rows are not
needed to prove), appending them in batches of 65,536 exactly as the posting path does,
then times 1,000 random inclusion proofs and 1,000 random consistency proofs, each through
the service's functions with a fresh session and tile cache (nothing warm but PostgreSQL's
buffers), and checks every proof against the root.

Environment: BENCH_DATABASE_URL (server; default the local postgres), BENCH_LEAVES,
BENCH_DB_NAME (ledger_bench_proofs), BENCH_PROOFS (1000), BENCH_REUSE (set: skip the build
and time the tree already in BENCH_DB_NAME; the append figure then grows that tree).
"""

import os
import random
import statistics
import time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

from service.engines import make_engine
from service.ledger import log, tiles
from service.ledger.postings import Leg, Posting, PreparedPosting, prepare
from service.proofs import merkle
from service.transparency import service
from service.transparency.models import MerkleTile

SERVER_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DB_NAME = os.environ.get("BENCH_DB_NAME", "ledger_bench_proofs")
LEAVES = int(os.environ.get("BENCH_LEAVES", "10000000"))
PROOFS = int(os.environ.get("BENCH_PROOFS", "1000"))
BATCH = 65536


def fresh_database() -> str:
    admin = sa.create_engine(make_url(SERVER_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{DB_NAME}"')
    admin.dispose()
    return make_url(SERVER_URL).set(database=DB_NAME).render_as_string(hide_password=False)


def build(engine: sa.Engine) -> float:
    MerkleTile.metadata.create_all(engine, tables=[tiles.TILES])
    started = time.perf_counter()
    rng = random.Random(13)
    for start in range(0, LEAVES, BATCH):
        count = min(BATCH, LEAVES - start)
        data = rng.randbytes(32 * count)
        with Session(engine) as session:
            tiles.append(session, start, [data[i : i + 32] for i in range(0, len(data), 32)])
            session.commit()
    return time.perf_counter() - started


def _postings(count: int) -> list[PreparedPosting]:
    """Sales as the posting path prepares them: four legs each (store, two holders, a
    society), with every royalty dimension filled."""
    postings = []
    for i in range(count):
        legs = [
            Leg(
                account,
                "USD",
                amount,
                i + 1,
                "mechanical",
                "RUA010600001",
                None,
                "RU",
                holder,
                "ROMS",
                False,
                None,
                Decimal("0.5"),
                1,
                Decimal("0.99"),
            )
            for account, amount, holder in (
                ("holder:h1", Decimal("0.074250"), "h1"),
                ("holder:h2", Decimal("0.074250"), "h2"),
                ("society:ROMS", Decimal("0.010000"), None),
                ("store:allofmp3", Decimal("-0.158500"), None),
            )
        ]
        postings.append(prepare(Posting("sale", f"sale:allofmp3/{i}", "2006-11", legs)))
    return postings


def append_cost(engine: sa.Engine, count: int = 10000) -> float:
    """µs per transaction the log adds to a batch's append: salts, leaf hashes, tiles."""
    postings = _postings(count)
    with Session(engine) as session:
        size = tiles.stored_size(session)
        started = time.perf_counter()
        salts = log.new_salts(postings)
        log.append_postings(session, size + 1, postings, salts)
        session.commit()
    return (time.perf_counter() - started) / count * 1e6


def main() -> int:
    if os.environ.get("BENCH_REUSE"):  # time proofs again on the tree a previous run built
        url = make_url(SERVER_URL).set(database=DB_NAME).render_as_string(hide_password=False)
        engine = make_engine(url)
    else:
        engine = make_engine(fresh_database())
        build_s = build(engine)
        print(f"tree: {LEAVES:,} leaves as tiles in {build_s:.1f} s", flush=True)
    with Session(engine) as session:
        size = tiles.stored_size(session)
        root = service.root_hash(session=session, size=size)
        tile_count = session.execute(sa.select(sa.func.count()).select_from(tiles.TILES)).scalar()
    assert size >= LEAVES  # a reused tree also holds earlier runs' appended leaves
    rng = random.Random(7)
    inclusion_ms, consistency_ms = [], []
    for _ in range(PROOFS):
        index = rng.randrange(size)
        started = time.perf_counter()
        with Session(engine) as session:
            leaf, path = service.inclusion(session=session, leaf_index=index, size=size)
        inclusion_ms.append((time.perf_counter() - started) * 1000)
        assert merkle.verify_inclusion(index, size, leaf, path, root)
        first = rng.randrange(1, size)
        started = time.perf_counter()
        with Session(engine) as session:
            proof = service.consistency(session=session, first=first, second=size)
            first_root = service.root_hash(session=session, size=first)
        consistency_ms.append((time.perf_counter() - started) * 1000)
        assert merkle.verify_consistency(first, size, first_root, root, proof)
    p95 = statistics.quantiles(inclusion_ms, n=20)[-1]
    print(
        f"{PROOFS} inclusion proofs: median {statistics.median(inclusion_ms):.2f} ms, "
        f"p95 {p95:.2f} ms; {PROOFS} consistency proofs (with the old root): median "
        f"{statistics.median(consistency_ms):.2f} ms; {tile_count} tile rows",
        flush=True,
    )
    per_tx = append_cost(engine)
    print(f"log append: {per_tx:.1f} µs per transaction (4 legs), batches of 10,000")
    print(
        f"leaves={LEAVES} append_us={per_tx:.1f} proof_ms={statistics.median(inclusion_ms):.2f} "
        f"consistency_ms={statistics.median(consistency_ms):.2f}"
    )
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
