"""One 10,000-row batch through the real HTTP service on PostgreSQL (not run by tests).

Builds a fresh database with the synthetic catalogue (bench.catalogue), serves the app
with uvicorn and times: a fresh JSON batch, the same batch replayed (all duplicates),
and a fresh batch as CSV. Then verifies the ledger chain.

    .venv/bin/python -m bench.sales_batch

Environment: BENCH_DATABASE_URL (server; default the local postgres), BENCH_ROWS (10000),
BENCH_RECORDINGS (2000), BENCH_PORT (8766).
"""

import csv
import io
import os
import subprocess
import sys
import time
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.catalogue import build
from bench.run import sale
from service.db import make_engine

SERVER_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DB_NAME = "ledger_bench_sales_batch"
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


def timed(client: httpx.Client, label: str, **kwargs: Any) -> dict[str, Any]:
    started = time.perf_counter()
    response = client.post("/v1/sales", **kwargs)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    body = response.json()
    print(
        f"{label}: {elapsed:.2f} s for {len(body['results'])} rows "
        f"({body['recorded']} recorded, {body['duplicates']} duplicates, "
        f"{body['rejected']} rejected) = {len(body['results']) / elapsed:,.0f} rows/s",
        flush=True,
    )
    return dict(body)


def as_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main() -> int:
    url = fresh_database()
    engine = make_engine(url)
    cat = build(engine, recordings=int(os.environ.get("BENCH_RECORDINGS", "2000")))
    engine.dispose()
    server = serve(url)
    try:
        headers = {"Authorization": f"Bearer {cat.store_token}"}
        with httpx.Client(base_url=BASE, timeout=600, headers=headers) as client:
            batch = [sale(i, cat.isrcs) for i in range(ROWS)]
            timed(client, "fresh JSON batch", json={"sales": batch})
            timed(client, "same batch replayed", json={"sales": batch})
            more = [sale(i, cat.isrcs) for i in range(ROWS, 2 * ROWS)]
            timed(
                client,
                "fresh CSV batch",
                content=as_csv(more),
                headers={**headers, "Content-Type": "text/csv"},
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
