"""A realistic month of sales, booked through the service's own write path (issue 22).

    .venv/bin/python -m bench.month build    # MONTH_SALES sales into a template database

The month is what a store's month looks like to the close: a Zipf catalogue
(bench.catalogue: 8 societies in 5 currencies, 4,000 holders in 4 currencies, 5 % of
works with an unclaimed share, so suspense), sales in six territories with mixed
currencies (FX at close), quantities 1 to 10, 3 % replayed rows (a store retrying), 2 % of
sales refunded, and 1 % *late* sales: sold in October, which is already closed, so they
are booked into November as adjustments. October holds a thousandth of the month's
sales and is closed first, by ``close_period``.

Every sale and refund goes through ``sales.service.record_sales`` / ``record_refunds``
in-process (no HTTP), batches of MONTH_BATCH rows, MONTH_WORKERS processes (pricing runs
outside the chain lock, so two workers overlap): the ledger, its hash chain, the
transparency log and the sales are exactly what the API would have written, nothing is
approximated. ``build`` verifies the chain afterwards (``ledger.service.verify``) and
keeps the result as a template database that ``bench.month_close`` clones.

Environment: MONTH_SALES (100000), MONTH_DB_NAME (ledger_month_<sales>),
MONTH_WORKERS (2), MONTH_BATCH (5000), MONTH_RECORDINGS (sales / 20, 10,000 to 100,000),
BENCH_DATABASE_URL (postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
"""

import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bench.catalogue import NOW, Catalogue, build
from bench.workload import realistic_sale, refunds_of
from service.engines import make_engine
from service.ledger import service as ledger
from service.sales import service as sales
from service.sales.intake.ingest import RefundRow, Row
from service.sales.schemas import RefundIn, SaleIn
from service.sql import table_of
from service.statements.close.service import Issuer, close_period
from service.tariffs.models import FxRate
from service.transparency.signing import OperatorKey, operator_key

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SALES = int(os.environ.get("MONTH_SALES", "100000"))
DB_NAME = os.environ.get("MONTH_DB_NAME", f"ledger_month_{SALES}")
TEMPLATE = f"{DB_NAME}_tpl"
WORKERS = int(os.environ.get("MONTH_WORKERS", "2"))
BATCH = int(os.environ.get("MONTH_BATCH", "5000"))
RECORDINGS = int(os.environ.get("MONTH_RECORDINGS", str(min(100_000, max(10_000, SALES // 20)))))
MONTH, EARLIER = "2006-11", "2006-10"
NOVEMBER = datetime(2006, 11, 1, tzinfo=UTC)
LAST_SECOND = datetime(2006, 11, 30, 23, 59, 59, tzinfo=UTC)
LATE_SHARE = 0.01  # sales of October posted in November: booked as adjustments
# A fixed bench-only operator key (never a real one): the fetch step serves with it and
# verify-statement checks against its public half.
SIGNING_SEED = "YmVuY2gtbW9udGgtc2lnbmluZy1rZXktMDAwMDAwMDA="
ISSUER_ID, ISSUER_NAME = "PADPIDA0000000001O", "royalty-ledger bench"


def say(message: str) -> None:
    print(message, flush=True)


def url_of(database: str) -> str:
    return make_url(SERVER_URL).set(database=database).render_as_string(hide_password=False)


def dsn_of(database: str) -> str:
    url = make_url(SERVER_URL).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def admin_sql(sql: str) -> None:
    with psycopg.connect(dsn_of("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def signer_record(database: str) -> Path:
    """The signer's record of one bench database's log (issue 29: a record per log)."""
    return Path(tempfile.gettempdir()) / f"bench-{database}.signed.json"


def signing_key(database: str = TEMPLATE) -> OperatorKey:
    return replace(operator_key(SIGNING_SEED, "/nonexistent"), record=signer_record(database))


def issuer(database: str = TEMPLATE) -> Issuer:
    return Issuer(ISSUER_ID, ISSUER_NAME, signing_key(database))


def migrate(url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env={**os.environ, "LEDGER_DATABASE_URL": url},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def month_row(i: int, isrcs: list[str]) -> dict[str, Any]:
    """Sale ``i`` of November (Zipf, replays: ``bench.workload.realistic_sale``); one in a
    hundred was sold in October and arrives late."""
    row = realistic_sale(i, isrcs, BATCH)
    if random.Random(f"late-{row['sale_id']}").random() < LATE_SHARE:
        sold = datetime.fromisoformat(row["sold_at"]) - timedelta(days=30)
        row["sold_at"] = sold.isoformat().replace("+00:00", "Z")
    return row


def october_row(i: int, isrcs: list[str]) -> dict[str, Any]:
    row = realistic_sale(i, isrcs, BATCH)
    sold = datetime.fromisoformat(row["sold_at"]) - timedelta(days=30)
    return {**row, "sale_id": f"oct-{i:08d}", "sold_at": sold.isoformat().replace("+00:00", "Z")}


def month_refunds(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``bench.workload.refunds_of`` (one sale in 50, one unit), refunded in November
    within a day of the sale (so the refund lands in the month being closed)."""
    refunds = refunds_of(rows)
    sold = {r["sale_id"]: datetime.fromisoformat(r["sold_at"]) for r in rows}
    for refund in refunds:
        at = max(sold[refund["sale_id"]] + timedelta(hours=20), NOVEMBER)
        refund["refunded_at"] = min(at, LAST_SECOND).isoformat().replace("+00:00", "Z")
    return refunds


def _without_sale(refund: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in refund.items() if k != "sale_id"}


def book(session: Session, store: str, rows: list[dict[str, Any]]) -> int:
    """One batch through the write path, then its refunds; the sales recorded."""
    parsed = [Row(r["sale_id"], SaleIn.model_validate(r)) for r in rows]
    result = sales.record_sales(session=session, store_code=store, rows=parsed, minimal=True)
    refunds = [
        RefundRow(r["sale_id"], r["refund_id"], RefundIn.model_validate(_without_sale(r)))
        for r in month_refunds(rows)
    ]
    if refunds:
        sales.record_refunds(session=session, store_code=store, rows=refunds, minimal=True)
    session.commit()
    return int(result.recorded)


def _worker(args: tuple[str, int, int, list[str], str]) -> int:
    url, worker, workers, isrcs, store = args
    engine = make_engine(url)
    recorded = 0
    try:
        for first in range(worker * BATCH, SALES, workers * BATCH):
            rows = [month_row(i, isrcs) for i in range(first, min(first + BATCH, SALES))]
            with Session(engine) as session:
                recorded += book(session, store, rows)
    finally:
        engine.dispose()
    return recorded


def daily_rates(engine: Any) -> None:
    """A rate per pair and day of October and November (a random walk around the
    catalogue's rates of 31 October, six decimals): the close converts at many rates."""
    rng = random.Random(11)
    base = {
        (r.from_currency, r.to_currency): r.rate for r in Session(engine).exec(select(FxRate)).all()
    }
    rows = []
    for n in range(61):
        day = date(2006, 10, 1) + timedelta(days=n)
        for (source, target), rate in base.items():
            if day == date(2006, 10, 31):
                continue  # the catalogue's own rate
            drift = Decimal(1) + Decimal(rng.randint(-2000, 2000)) / 100_000
            rows.append(
                {"date": day, "from_currency": source, "to_currency": target,
                 "rate": (rate * drift).quantize(Decimal("0.000001")), "created_at": NOW}
            )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(sa.insert(table_of(FxRate)), rows)


def build_month() -> float:
    """Build the template database; returns the seconds the month's sales took."""
    admin_sql(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{TEMPLATE}"')
    signer_record(TEMPLATE).unlink(missing_ok=True)  # a new database is a new log
    url = url_of(TEMPLATE)
    migrate(url)
    engine = make_engine(url)
    cat: Catalogue = build(engine, recordings=RECORDINGS)
    daily_rates(engine)
    say(f"catalogue: {len(cat.isrcs):,} recordings, daily FX rates")
    with Session(engine) as session:
        october = [october_row(i, cat.isrcs) for i in range(max(100, SALES // 1000))]
        book(session, cat.store_code, october)
        close_period(session=session, period=EARLIER, now=datetime.now(UTC), issuer=issuer())
        session.commit()
    started = time.perf_counter()
    jobs = [(url, w, WORKERS, cat.isrcs, cat.store_code) for w in range(WORKERS)]
    if WORKERS == 1:
        recorded = _worker(jobs[0])
    else:
        with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
            recorded = sum(pool.map(_worker, jobs))
    build_s = time.perf_counter() - started
    say(f"month: {recorded:,} sales recorded in {build_s:.1f} s ({recorded / build_s:,.0f}/s)")
    started = time.perf_counter()
    with Session(engine) as session:
        chain = ledger.verify(session=session)
    say(f"ledger verify: ok={chain.ok}, {chain.transactions:,} transactions, "
        f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    if not chain.ok:
        raise SystemExit(f"the built month does not verify at {chain.first_bad_sequence}")
    engine.dispose()
    with psycopg.connect(dsn_of(TEMPLATE), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return build_s


def main() -> int:
    step = sys.argv[1] if len(sys.argv) > 1 else "build"
    if step != "build":
        raise SystemExit(f"unknown step {step!r}: build")
    build_month()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
