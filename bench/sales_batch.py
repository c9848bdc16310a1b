"""One 10,000-row batch through the real HTTP service on PostgreSQL (not run by tests).

Builds a fresh database with the synthetic catalogue (bench.catalogue), serves the app
with uvicorn and times: a fresh JSON batch, the same batch replayed (all duplicates),
and a fresh batch as CSV. Then verifies the ledger chain.

    .venv/bin/python -m bench.sales_batch            # through uvicorn, timed
    .venv/bin/python -m bench.sales_batch --profile  # in-process, under cProfile

``--profile`` skips HTTP: it parses the same JSON body, records it with the service's
own ``record_sales`` in one session, commits and serialises the result, in this process
under cProfile (a cold batch, then a second fresh batch with warm per-process caches), and
prints where the time goes.

Environment: BENCH_DATABASE_URL (server; default the local postgres), BENCH_ROWS (10000),
BENCH_RECORDINGS (2000), BENCH_PORT (8766), BENCH_DB_NAME (ledger_bench_sales_batch),
BENCH_PROFILE_TOP (25), BENCH_CPROFILE (1; 0 times the in-process batches without cProfile).
"""

import cProfile
import csv
import io
import json
import os
import pstats
import subprocess
import sys
import time
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.catalogue import Catalogue, build
from bench.workload import sale
from service.engines import make_engine

SERVER_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DB_NAME = os.environ.get("BENCH_DB_NAME", "ledger_bench_sales_batch")
ROWS = int(os.environ.get("BENCH_ROWS", "10000"))
PORT = int(os.environ.get("BENCH_PORT", "8766"))
BASE = f"http://127.0.0.1:{PORT}"
FIELDS = ("sale_id", "isrc", "territory", "sold_at", "quantity", "unit_price", "currency")


def fresh_database() -> str:
    admin = sa.create_engine(
        make_url(SERVER_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{DB_NAME}"')
    admin.dispose()
    url = make_url(SERVER_URL).set(database=DB_NAME).render_as_string(hide_password=False)
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        env={**os.environ, "LEDGER_DATABASE_URL": url},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return url


def serve(url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_DEMO": "false"}
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "service.main:app", "--port", str(PORT)),
            *("--log-level", "warning", "--no-access-log"),
        ],
        env=env,
    )
    for _ in range(100):
        try:
            if httpx.get(f"{BASE}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the service did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (``/proc/<pid>/stat``, Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(client: httpx.Client, label: str, server: int, **kwargs: Any) -> dict[str, Any]:
    started, cpu = time.perf_counter(), cpu_seconds(server)
    response = client.post("/v1/sales", **kwargs)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(server) - cpu
    response.raise_for_status()
    body = response.json()
    rows = body["recorded"] + body["duplicates"] + body["rejected"]
    print(
        f"{label}: {elapsed:.2f} s for {rows} rows "
        f"({body['recorded']} recorded, {body['duplicates']} duplicates, "
        f"{body['rejected']} rejected, {len(response.content):,} response bytes) "
        f"= {rows / elapsed:,.0f} rows/s; service CPU {cpu / rows * 1e6:,.0f} µs/row",
        flush=True,
    )
    return dict(body)


def as_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _phase_timers() -> dict[str, float]:
    """Wrap the batch path's steps with wall-clock timers (for the no-profiler mode)."""
    from service.sales import recording

    spent: dict[str, float] = {}

    def timed_call(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    for name in (
        "lock_chain",
        "stored_sales",
        "load_snapshot",
        "withdrawn_sales",
        "priced",
        "_insert",
        "append",
        "sale_royalties",
    ):
        setattr(recording, name, timed_call(name, getattr(recording, name)))
    return spent


def profile_in_process(url: str, cat: Catalogue) -> None:
    """Record fresh batches in this process under cProfile and print the hot spots."""
    from sqlmodel import Session

    from service.sales.intake.ingest import parse
    from service.sales.recording import record_sales
    from service.timeutil import utcnow

    engine = make_engine(url)
    top = int(os.environ.get("BENCH_PROFILE_TOP", "25"))
    profiling = os.environ.get("BENCH_CPROFILE", "1") != "0"
    spent = {} if profiling else _phase_timers()
    for label, first in (("cold", 0), ("warm", ROWS), ("warm again", 2 * ROWS)):
        body = json.dumps({"sales": [sale(i, cat.isrcs) for i in range(first, first + ROWS)]})
        profiler = cProfile.Profile()
        spent.clear()
        started = time.perf_counter()
        if profiling:
            profiler.enable()
        parsed = parse(body.encode(), "application/json", now=utcnow())
        with Session(engine, expire_on_commit=False) as session:
            result = record_sales(session=session, store_code=cat.store_code, rows=parsed.rows)
            session.commit()
        encoded = result.model_dump_json()
        profiler.disable()
        elapsed = time.perf_counter() - started
        print(
            f"\n== {label} batch in-process: {elapsed:.2f} s for {ROWS} rows "
            f"({result.recorded} recorded, {len(encoded):,} response bytes) "
            f"= {ROWS / elapsed:,.0f} rows/s ({'under cProfile' if profiling else 'no profiler'})",
            flush=True,
        )
        if not profiling:
            print("   " + ", ".join(f"{k} {v:.2f} s" for k, v in spent.items()), flush=True)
            continue
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
    engine.dispose()


def main() -> int:
    url = fresh_database()
    engine = make_engine(url)
    cat = build(engine, recordings=int(os.environ.get("BENCH_RECORDINGS", "2000")))
    engine.dispose()
    if "--profile" in sys.argv[1:]:
        profile_in_process(url, cat)
        return 0
    server = serve(url)
    try:
        headers = {"Authorization": f"Bearer {cat.store_token}"}
        with httpx.Client(base_url=BASE, timeout=600, headers=headers) as client:
            batch = [sale(i, cat.isrcs) for i in range(ROWS)]
            timed(client, "fresh JSON batch", server.pid, json={"sales": batch})
            timed(client, "same batch replayed", server.pid, json={"sales": batch})
            more = [sale(i, cat.isrcs) for i in range(ROWS, 2 * ROWS)]
            timed(
                client,
                "fresh CSV batch",
                server.pid,
                content=as_csv(more),
                headers={**headers, "Content-Type": "text/csv"},
            )
            # RFC 7240 return=minimal: counts and rejections only (what bench.run posts).
            minimal = {**headers, "Prefer": "return=minimal"}
            warm = [sale(i, cat.isrcs) for i in range(3 * ROWS, 4 * ROWS)]
            timed(client, "fresh JSON batch, warm", server.pid, json={"sales": warm})
            fresh = [sale(i, cat.isrcs) for i in range(2 * ROWS, 3 * ROWS)]
            timed(
                client,
                "fresh JSON batch, minimal",
                server.pid,
                json={"sales": fresh},
                headers=minimal,
            )
            timed(
                client,
                "same batch replayed, minimal",
                server.pid,
                json={"sales": fresh},
                headers=minimal,
            )
            admin = {"Authorization": f"Bearer {cat.admin_token}"}
            started = time.perf_counter()
            verification = client.get("/v1/ledger/verify", headers=admin).json()
            print(
                f"verify: {verification['transactions']} transactions, ok={verification['ok']} "
                f"in {time.perf_counter() - started:.2f} s",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
