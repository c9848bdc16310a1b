"""Month close and statement streaming at 10^6 sales, without waiting for ingestion.

    .venv/bin/python -m bench.close_scale load    # build the template database once
    .venv/bin/python -m bench.close_scale close   # clone it, close the month, time it
    .venv/bin/python -m bench.close_scale fetch   # serve it, stream the largest statement
    .venv/bin/python -m bench.close_scale big     # add a 10^6-line statement, stream it

``load`` builds the bench catalogue (bench.catalogue) and prices CLOSE_SALES sales of
bench.run's generator with the service's own pure pricing path (load_snapshot, price,
sale_deltas, legs_for), then writes sales, ledger transactions and legs with COPY. Every
transaction is hashed with ``service.ledger.service.transaction_hash`` over the same leg
dicts ``post()`` builds, so the chain verifies exactly as if the sales had been posted
(only the HTTP batch path is skipped). The result is kept as a template database.

``close`` clones the template and runs ``close_period`` in-process in one transaction,
printing how long it took (a cProfile dump with CLOSE_PROFILE=path; the EXPLAIN (ANALYZE,
BUFFERS) of every statement over 200 ms, through auto_explain, with CLOSE_EXPLAIN=path).
``fetch`` serves the closed clone with uvicorn and fetches the largest statement as CSV
(twice: the first request also computes the ETag) and as DSR, sampling the server's RSS.

Environment: CLOSE_SALES (1000000), CLOSE_DB_NAME (ledger_close_scale), CLOSE_PORT (8767),
BENCH_RECORDINGS (10000), BENCH_DATABASE_URL (postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
"""

import cProfile
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from bench.catalogue import Catalogue, build
from bench.run import ROOT, RssSampler, fetch, rss_mb, sale
from service.engines import make_engine
from service.ledger.models import GENESIS_HASH
from service.ledger.service import LEG_FIELDS, transaction_hash
from service.sales.postings import SaleDims, legs_for
from service.sales.pricing import basis as bases
from service.sales.pricing.price import load_snapshot, price
from service.timeutil import period_of

SERVER_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DB_NAME = os.environ.get("CLOSE_DB_NAME", "ledger_close_scale")
TEMPLATE = f"{DB_NAME}_tpl"
PORT = int(os.environ.get("CLOSE_PORT", "8767"))
BIG_PARTY = os.environ.get("CLOSE_BIG_PARTY", "society:BENCHBIG")
PERIOD = "2006-11"
CSV = "text/csv"
CHUNK = 50_000
CREATED = datetime(2006, 12, 1, tzinfo=UTC)


def say(message: str) -> None:
    print(message, flush=True)


def _url(database: str) -> str:
    return make_url(SERVER_URL).set(database=database).render_as_string(hide_password=False)


def _dsn(database: str) -> str:
    url = make_url(SERVER_URL).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def _admin(sql: str) -> None:
    with psycopg.connect(_dsn("postgres"), autocommit=True) as conn:
        conn.execute(sql)


@dataclass(frozen=True, slots=True)
class Facts:
    sale_id: str
    isrc: str
    territory: str
    sold_at: datetime
    quantity: int
    unit_price: Decimal
    currency: str


def _facts(i: int, isrcs: list[str]) -> Facts:
    row = sale(i, isrcs)
    return Facts(
        row["sale_id"],
        row["isrc"],
        row["territory"],
        datetime.fromisoformat(row["sold_at"]),
        row["quantity"],
        Decimal(row["unit_price"]),
        row["currency"],
    )


def _micros(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 1_000_000)


def load(total: int) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{TEMPLATE}"')
    url = _url(TEMPLATE)
    # At head: the bench's COPY writes the current columns (clones still upgrade, in case
    # a later revision lands after the template was built).
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env={**os.environ, "LEDGER_DATABASE_URL": url},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    engine = make_engine(url)
    cat: Catalogue = build(engine, recordings=int(os.environ.get("BENCH_RECORDINGS", "10000")))
    say(f"catalogue: {len(cat.isrcs)} recordings")
    started = time.perf_counter()
    sequence, prev_hash, pk, legs_written = 0, GENESIS_HASH, 0, 0
    cache: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    with psycopg.connect(_dsn(TEMPLATE)) as conn:
        # COPY bypasses the service, so the append-only and head-guard triggers are off for
        # this bench connection only (their rules are what the service's own writes obey).
        conn.execute("SET session_replication_role = replica")
        for first in range(0, total, CHUNK):
            facts = [_facts(i, cat.isrcs) for i in range(first, min(first + CHUNK, total))]
            with Session(engine) as session:
                snap = load_snapshot(session=session, sales=facts)
            sale_rows, tx_rows, leg_rows = [], [], []
            for f in facts:
                # The bench catalogue has no validity change within the month: a sale's
                # pricing depends only on these, so it is computed once per distinct key.
                key = (f.isrc, f.territory, f.currency, f.unit_price, f.quantity)
                priced = cache.get(key)
                if priced is None:
                    basis = price(f, snap)
                    deltas = bases.sale_deltas(basis, units=f.quantity, territory=f.territory)
                    priced = cache[key] = (
                        basis,
                        deltas,
                        bases.holds(basis),
                        json.dumps(bases.dump(basis)),
                    )
                basis, deltas, held, dumped = priced
                if not basis:
                    continue
                pk += 1
                iswc = snap.iswc_of(f.isrc)
                period = period_of(f.sold_at)
                sale_rows.append(
                    (pk, cat.store_code, f.sale_id, f.isrc, f.territory, f.sold_at, period,
                     f.quantity, _micros(f.unit_price), f.currency, iswc, held, dumped, CREATED)
                )  # fmt: skip
                dims = SaleDims(pk, cat.store_code, f.isrc, iswc, f.territory, f.currency,
                                f.unit_price)  # fmt: skip
                legs = legs_for(dims, deltas, store_units=f.quantity)
                if not legs:
                    continue
                sequence += 1
                reference = f"sale:{cat.store_code}/{f.sale_id}"
                dicts: list[dict[str, Any]] = [
                    {
                        **{name: getattr(leg, name) for name in LEG_FIELDS},
                        "sequence": sequence,
                        "period": period,
                    }
                    for leg in legs
                ]
                digest = transaction_hash(
                    prev_hash=prev_hash,
                    sequence=sequence,
                    kind="sale",
                    reference=reference,
                    period=period,
                    adjustment=False,
                    created_at=CREATED,
                    legs=dicts,
                )
                tx_rows.append(
                    (sequence, "sale", reference, period, False, CREATED, prev_hash, digest)
                )
                prev_hash = digest
                for d in dicts:
                    leg_rows.append(
                        (d["sequence"], d["account"], d["currency"], _micros(d["amount"]),
                         d["period"], d["sale_pk"], d["right_type"], d["isrc"], d["iswc"],
                         d["territory"], d["holder_id"], d["society_code"], d["non_member"],
                         d["suspense_reason"], d["share"], d["units"], _micros(d["gross"]))
                    )  # fmt: skip
            with conn.cursor() as cur:
                with cur.copy(
                    "COPY sale (id, store_code, sale_id, isrc, territory, sold_at, period, "
                    "quantity, unit_price, currency, iswc, held, basis, recorded_at) FROM STDIN"
                ) as copy:
                    for row in sale_rows:
                        copy.write_row(row)
                with cur.copy(
                    "COPY ledger_transaction (sequence, kind, reference, period, adjustment, "
                    "created_at, prev_hash, hash) FROM STDIN"
                ) as copy:
                    for row in tx_rows:
                        copy.write_row(row)
                with cur.copy(
                    "COPY ledger_leg (sequence, account, currency, amount, period, sale_pk, "
                    "right_type, isrc, iswc, territory, holder_id, society_code, non_member, "
                    "suspense_reason, share, units, gross) FROM STDIN"
                ) as copy:
                    for row in leg_rows:
                        copy.write_row(row)
            conn.commit()
            legs_written += len(leg_rows)
            say(
                f"  {min(first + CHUNK, total):>9,} sales priced and copied "
                f"({legs_written:,} legs) at {time.perf_counter() - started:.0f} s"
            )
        conn.execute(
            "INSERT INTO ledger_head (id, sequence, hash) VALUES (1, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash",
            (sequence, prev_hash),
        )
        conn.execute("SELECT setval(pg_get_serial_sequence('sale', 'id'), %s)", (pk,))
        conn.commit()
    from service.ledger import log

    with Session(engine) as session:  # the log's leaves, as posting would have appended them
        log.catch_up(session, upto=sequence)
        session.commit()
    with psycopg.connect(_dsn(TEMPLATE), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    engine.dispose()
    say(
        f"loaded {pk:,} sales, {sequence:,} transactions, {legs_written:,} legs "
        f"in {time.perf_counter() - started:.0f} s into template {TEMPLATE}"
    )


def clone() -> str:
    started = time.perf_counter()
    _admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{DB_NAME}" TEMPLATE "{TEMPLATE}"')
    url = _url(DB_NAME)
    subprocess.run(  # the template may predate a newer migration of the close work
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env={**os.environ, "LEDGER_DATABASE_URL": url},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with psycopg.connect(_dsn(DB_NAME), autocommit=True) as conn:
        conn.execute("ANALYZE")
    say(f"cloned {TEMPLATE} -> {DB_NAME} in {time.perf_counter() - started:.0f} s")
    return url


def close() -> None:
    from service.config import get_settings
    from service.statements.close.service import close_period, issuer_of

    url = clone()
    engine = make_engine(url)
    profile_to = os.environ.get("CLOSE_PROFILE")
    profiler = cProfile.Profile() if profile_to else None
    started = time.perf_counter()
    plans: list[str] = []
    with Session(engine) as session:
        if os.environ.get("CLOSE_EXPLAIN"):
            # auto_explain: every statement slower than 200 ms, with EXPLAIN (ANALYZE,
            # BUFFERS), sent back as a notice (adds some timing overhead to the close).
            raw = session.connection().connection.dbapi_connection
            raw.add_notice_handler(lambda d: plans.append(d.message_primary or ""))  # type: ignore[union-attr]
            for sql in (
                "LOAD 'auto_explain'",
                "SET auto_explain.log_min_duration = 200",
                "SET auto_explain.log_analyze = on",
                "SET auto_explain.log_buffers = on",
                "SET auto_explain.log_level = notice",
            ):
                session.execute(sa.text(sql))
        if profiler:
            profiler.enable()
        close_period(
            session=session, period=PERIOD, now=datetime.now(UTC), issuer=issuer_of(get_settings())
        )
        session.commit()
        if profiler:
            profiler.disable()
    close_s = time.perf_counter() - started
    if profiler and profile_to:
        profiler.dump_stats(profile_to)
    if plans:
        with open(os.environ["CLOSE_EXPLAIN"], "w") as out:
            out.write("\n\n".join(plans))
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM statement) AS statements, "
                "(SELECT count(*) FROM statement_line) AS lines, "
                "(SELECT count(*) FROM statement_usage) AS usage, "
                "(SELECT fx_transactions FROM period_close) AS fx, "
                "(SELECT count(*) FROM ledger_leg l JOIN ledger_transaction t "
                "  ON t.sequence = l.sequence WHERE t.kind = 'fx_conversion') AS fx_legs, "
                "(SELECT count(*) FROM sale) AS sales"
            )
        ).one()
    engine.dispose()
    say(
        f"close {PERIOD}: {close_s:.1f} s for {row.sales:,} sales -> {row.statements:,} "
        f"statements, {row.lines:,} lines, {row.usage:,} usage rows, {row.fx:,} fx "
        f"transactions with {row.fx_legs:,} legs"
    )
    say(f"close_sales={row.sales} close_s={close_s:.1f}")


def serve(url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_DEMO": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "service.main:app", "--port", str(PORT),
         "--log-level", "warning", "--no-access-log"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the service did not start")


def fetch_largest() -> None:
    url = _url(DB_NAME)
    server = serve(url)
    try:
        token = Catalogue().admin_token
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{PORT}",
            timeout=3600,
            headers={"Authorization": f"Bearer {token}"},
        )
        with psycopg.connect(_dsn(DB_NAME)) as conn:
            found = conn.execute(
                "SELECT id, party, line_count FROM statement "
                "WHERE party NOT LIKE 'society:BENCHBIG%%' ORDER BY line_count DESC LIMIT 1"
            ).fetchone()
            # Usage rows are written on a statement's first DSR request: take the statement
            # with the most legs in the month (its DSR file is the largest).
            usage = conn.execute(
                "SELECT s.id, s.party, count(*) FROM ledger_leg l JOIN statement s "
                "ON s.party = l.account AND s.period = l.period "
                "WHERE s.party NOT LIKE 'society:BENCHBIG%%' "
                "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1"
            ).fetchone()
        assert found is not None
        sid, party, lines = found
        say(f"largest statement {party}: {lines:,} lines")
        before = rss_mb(server.pid)
        sampler = RssSampler(server.pid)
        sampler.start()
        for attempt in ("first (computes the ETag)", "second"):
            csv_s, csv_lines = fetch(client, f"/v1/statements/{sid}", headers={"Accept": CSV})
            say(f"CSV {attempt}: {csv_lines:,} lines in {csv_s:.2f} s = "
                f"{csv_lines / csv_s:,.0f} lines/s")  # fmt: skip
        peak = sampler.stop()
        say(f"server RSS before {before:.0f} MB, peak while serving CSV {peak:.0f} MB "
            f"(growth {peak - before:.0f} MB)")  # fmt: skip
        if usage is not None:
            dsid, dparty, _rows = usage
            sampler = RssSampler(server.pid)
            sampler.start()
            for attempt in ("first (computes the ETag)", "second"):
                dsr_s, dsr_lines = fetch(client, f"/v1/statements/{dsid}", params={"format": "dsr"})
                say(f"DSR {dparty} {attempt}: {dsr_lines:,} lines in {dsr_s:.2f} s = "
                    f"{dsr_lines / dsr_s:,.0f} lines/s")  # fmt: skip
            peak_dsr = sampler.stop()
            say(f"server RSS peak while serving DSR {peak_dsr:.0f} MB")
        say(f"csv_lines={lines} csv_lines_per_s={csv_lines / csv_s:.0f} "
            f"rss_growth_mb={peak - before:.0f}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)


def big_statement(lines: int) -> None:
    """Add one statement of ``lines`` lines to the closed clone (copies of its real lines),
    then serve it and stream it as CSV: the target is about a 10^6-line statement, and
    the bench month's largest has about 10^5 (lines saturate with the catalogue)."""
    with psycopg.connect(_dsn(DB_NAME)) as conn:
        started = time.perf_counter()
        row = conn.execute("SELECT id FROM statement WHERE party = %s", (BIG_PARTY,)).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO statement SELECT 'benchbig' || substr(md5(%s), 1, 24), period, "
                "%s, party_type, 'A 10^6-line statement', currency, "
                "commission_rate, payout_threshold, royalty_exact, royalty, commission, net, "
                "opening_balance, payments, closing_balance, balance_exact, payable, %s, "
                "ledger_sequence, ledger_hash, closed_at, NULL, NULL, NULL, dsr_sender_id, "
                "dsr_sender_name FROM statement WHERE party_type = 'society' "
                "ORDER BY line_count DESC LIMIT 1",
                (BIG_PARTY, BIG_PARTY, lines),
            )
            conn.execute(
                "INSERT INTO statement_line (statement_id, line_no, isrc, iswc, territory, "
                "right_type, holder_id, share, units, gross_sales, royalty, adjustment, "
                "non_member) "
                "SELECT s.id, row_number() OVER (ORDER BY copy, l.id), l.isrc, l.iswc, "
                "l.territory, l.right_type, l.holder_id, l.share, l.units, l.gross_sales, "
                "l.royalty + copy, l.adjustment, l.non_member "
                "FROM (SELECT * FROM statement_line WHERE statement_id NOT LIKE 'benchbig%%') l "
                "CROSS JOIN generate_series(0, 99) copy "
                "CROSS JOIN (SELECT id FROM statement WHERE party = %s) s "
                "ORDER BY copy, l.id LIMIT %s",
                (BIG_PARTY, lines),
            )
            usage_row = conn.execute("SELECT count(*) FROM statement_usage").fetchone()
            usage_rows = usage_row[0] if usage_row else 0
            conn.execute(
                "INSERT INTO statement_usage (statement_id, row_no, isrc, territory, "
                "right_type, currency, sale_pk, usages, returns, gross_sold, gross_returned, "
                "royalty) "
                "SELECT s.id, row_number() OVER (ORDER BY u.isrc, u.copy, u.statement_id, "
                "u.row_no), u.isrc, u.territory, u.right_type, u.currency, NULL, u.usages, "
                "u.returns, u.gross_sold, u.gross_returned, u.royalty "
                "FROM (SELECT * FROM statement_usage CROSS JOIN generate_series(0, %s) copy "
                "  WHERE statement_id NOT LIKE 'benchbig%%' "
                "  ORDER BY copy, statement_id, row_no LIMIT %s) u "
                "CROSS JOIN (SELECT id FROM statement WHERE party = %s) s",
                (lines // max(usage_rows, 1), lines, BIG_PARTY),
            )
            conn.commit()
            say(
                f"big statement: {lines:,} lines and usage rows written in "
                f"{time.perf_counter() - started:.0f} s"
            )
        with psycopg.connect(_dsn(DB_NAME), autocommit=True) as conn2:
            conn2.execute("VACUUM ANALYZE statement_line")
            conn2.execute("VACUUM ANALYZE statement_usage")
    _prepare_big()
    server = serve(_url(DB_NAME))
    try:
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{PORT}",
            timeout=3600,
            headers={"Authorization": f"Bearer {Catalogue().admin_token}"},
        )
        with psycopg.connect(_dsn(DB_NAME)) as conn:
            found = conn.execute(
                "SELECT id, line_count FROM statement WHERE party = %s", (BIG_PARTY,)
            ).fetchone()
        assert found is not None
        sid, count = found
        for attempt in ("first (computes the ETag)", "second", "third"):
            before = rss_mb(server.pid)
            sampler = RssSampler(server.pid)
            sampler.start()
            csv_s, csv_lines = fetch(client, f"/v1/statements/{sid}", headers={"Accept": CSV})
            peak = sampler.stop()
            say(
                f"CSV {attempt}: {csv_lines:,} lines in {csv_s:.2f} s = "
                f"{csv_lines / csv_s:,.0f} lines/s; server RSS {before:.0f} MB -> peak "
                f"{peak:.0f} MB (growth {peak - before:.0f} MB)"
            )
        for attempt in ("first", "second", "third"):
            before = rss_mb(server.pid)
            sampler = RssSampler(server.pid)
            sampler.start()
            dsr_s, dsr_lines = fetch(client, f"/v1/statements/{sid}", params={"format": "dsr"})
            dsr_peak = sampler.stop()
            say(
                f"DSR {attempt}: {dsr_lines:,} lines in {dsr_s:.2f} s = "
                f"{dsr_lines / dsr_s:,.0f} lines/s; server RSS {before:.0f} MB -> peak "
                f"{dsr_peak:.0f} MB (growth {dsr_peak - before:.0f} MB)"
            )
        say(
            f"big_csv_lines={count} csv_lines_per_s={csv_lines / csv_s:.0f} "
            f"dsr_lines_per_s={dsr_lines / dsr_s:.0f}"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def _prepare_big() -> None:
    """What the close does for a statement, done for the big one (added after the close):
    its CSV and DSR digests, so that its first request is served like any other."""
    from service.statements import repository
    from service.statements.close.representations import digest_of
    from service.statements.models import Statement
    from service.statements.render.csv_file import csv_chunks, csv_digests
    from service.statements.render.dsr_document import dsr_document

    engine = make_engine(_url(DB_NAME))
    with Session(engine) as session:
        statement = session.exec(select(Statement).where(col(Statement.party) == BIG_PARTY)).one()
        started = time.perf_counter()
        csv = csv_digests(session, [statement])[statement.id]
        csv = csv or digest_of(csv_chunks(session, statement))
        csv_s = time.perf_counter() - started
        dsr = digest_of(dsr_document(session, statement).chunks())
        dsr_s = time.perf_counter() - csv_s - started
        repository.store_etags(session, [(statement.id, "csv", csv), (statement.id, "dsr", dsr)])
        session.commit()
    engine.dispose()
    say(f"big statement digests, as the close takes them: CSV {csv_s:.1f} s, DSR {dsr_s:.1f} s")


def main() -> int:
    step = sys.argv[1] if len(sys.argv) > 1 else "close"
    if step == "load":
        load(int(os.environ.get("CLOSE_SALES", "1000000")))
    elif step == "close":
        close()
    elif step == "fetch":
        fetch_largest()
    elif step == "big":
        big_statement(int(os.environ.get("CLOSE_BIG_LINES", "1000000")))
    else:
        raise SystemExit(f"unknown step {step!r}: load | close | fetch | big")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
