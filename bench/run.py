"""`make bench`: ingestion, month close and statement streaming at catalogue scale.

Against the local PostgreSQL (BENCH_DATABASE_URL's server), in a fresh database:
builds a synthetic catalogue, starts the real service with uvicorn, posts BENCH_SALES
sales through POST /v1/sales in batches of 1,000 from separate processes, loads the same
rows with a bare COPY (the physical floor), closes the month, fetches the largest statement
as CSV and as DSR while sampling the server's RSS, measures statement pulls by 50
clients with and without a hot standby (bench/pulls.py), and prints one summary line last.

Ingestion is timed three times (bench/workload.py): the realistic workload (Zipf-like
over 100,000 recordings, replays and refunds), the worst case (uniform over 10,000
recordings) and a replay of the worst case's sales (all duplicates). Posters send
`Prefer: return=minimal`.

Environment: BENCH_SALES (realistic sales, default 150000), BENCH_WORST_SALES (50000),
BENCH_RECORDINGS (100000), BENCH_POSTERS (2), BENCH_DSR_LINES (50000, bench/dsr_in.py),
BENCH_WORKERS (worker processes of service.server, 2), BENCH_DB_NAME (ledger_bench),
BENCH_PORT (8765),
BENCH_DATABASE_URL (postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
"""

import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench import ceiling, dsr_in, pulls, workload
from bench.catalogue import Catalogue, build
from bench.workload import post_all, sale
from service.engines import make_engine

ROOT = Path(__file__).resolve().parent.parent
SERVER_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DB_NAME = os.environ.get("BENCH_DB_NAME", "ledger_bench")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
PERIOD = "2006-11"


def say(message: str) -> None:
    print(message, flush=True)


# --- the database ------------------------------------------------------------------------


def signer_record(url: str) -> Path:
    """Where the signer keeps the heads it signed for one benchmark database's log."""
    return Path(tempfile.gettempdir()) / f"bench-{make_url(url).database}.signed.json"


def fresh_database() -> str:
    admin = sa.create_engine(
        make_url(SERVER_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{DB_NAME}"')
    admin.dispose()
    url = make_url(SERVER_URL).set(database=DB_NAME).render_as_string(hide_password=False)
    signer_record(url).unlink(missing_ok=True)  # a new database is a new log
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return url


# --- the sales: bench/workload.py ----------------------------------------------------------

__all__ = ["sale"]  # bench.close_scale draws the same uniform sales


def copy_floor(url: str, cat: Catalogue, total: int) -> float:
    """The same rows through a bare COPY into an equivalent table: the physical floor."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    rows = [workload.worst_sale(i, cat.isrcs) for i in range(total)]  # distinct sale_ids
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "CREATE TABLE bench_copy_sale (id bigserial PRIMARY KEY, store_code varchar(64), "
            "sale_id varchar(100), isrc varchar(12), territory varchar(2), sold_at timestamptz, "
            "period varchar(7), quantity int, unit_price bigint, currency varchar(3), "
            "UNIQUE (store_code, sale_id))"
        )
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY bench_copy_sale (store_code, sale_id, isrc, territory, sold_at, period, "
                "quantity, unit_price, currency) FROM STDIN"
            ) as copy,
        ):
            for r in rows:
                copy.write_row(
                    (
                        cat.store_code,
                        r["sale_id"],
                        r["isrc"],
                        r["territory"],
                        r["sold_at"],
                        PERIOD,
                        r["quantity"],
                        int(Decimal(r["unit_price"]) * 1_000_000),
                        r["currency"],
                    )
                )
        conn.commit()
        return time.perf_counter() - started


# --- the server --------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    total = 0.0
    for p in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return total


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text().split() if (task / "children").exists() else []
        found.extend(int(c) for c in text)
    return found


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, rss_mb(pid), True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.05)

    def stop(self) -> float:
        self.running = False
        self.join()
        return self.peak


def start_server(
    url: str, port: int = PORT, read_url: str | None = None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_DEMO": "false"}
    if read_url:
        env["LEDGER_READ_DATABASE_URL"] = read_url
    # The benchmark's own signing key (created on first use), not the working directory's.
    env.setdefault("LEDGER_SIGNING_KEY_FILE", str(Path(tempfile.gettempdir()) / "bench.key"))
    # The signer's record is per log: each benchmark database has its own (issue 29: one
    # record across fresh databases would rightly refuse to sign the second log).
    env.setdefault("LEDGER_SIGNER_RECORD_FILE", str(signer_record(url)))
    # The server `make run` and the image use (its protocol, timeouts and TCP_NODELAY).
    env["LEDGER_WORKERS"] = os.environ.get("BENCH_WORKERS", "2")
    server = subprocess.Popen(
        [sys.executable, "-m", "service.server", "--port", str(port), "--no-access-log"],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the service did not start")


def all_statements(client: httpx.Client) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"period": PERIOD, "limit": 1000}
    while True:
        page = client.get("/v1/statements", params=params).json()
        found.extend(page["data"])
        if not page["next_cursor"]:
            return found
        params["cursor"] = page["next_cursor"]


def fetch(client: httpx.Client, path: str, **kwargs: Any) -> tuple[float, int]:
    started = time.perf_counter()
    lines = 0
    with client.stream("GET", path, **kwargs) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            lines += chunk.count(b"\n")
    return time.perf_counter() - started, lines


def measure_pulls(
    url: str, admin: httpx.Client, statements: list[dict[str, Any]]
) -> tuple[float, str]:
    """Pulls per second from the primary, then from a second server reading the standby."""
    jobs = pulls.pullers(admin, statements)
    workers = os.environ.get("BENCH_WORKERS", "2")
    rate = pulls.pull_rate(BASE, jobs)
    say(f"pulls, primary only: {len(jobs)} clients, {workers} workers: {rate:,.0f} statements/s")
    read_url = pulls.replica_url(url)
    if read_url is None:
        say("pulls, with the standby: skipped (no hot standby: make replica-up)")
        return rate, "n/a"
    server = start_server(url, port=PORT + 1, read_url=read_url)
    try:
        replica_rate = pulls.pull_rate(f"http://127.0.0.1:{PORT + 1}", jobs)
    finally:
        server.terminate()
        server.wait(timeout=30)
    say(f"pulls, reads on the standby: {replica_rate:,.0f} statements/s; {load_average()}")
    return rate, f"{replica_rate:.0f}"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def median_proof_ms(client: httpx.Client, count: int = 1000) -> float:
    """Median wall time of ``count`` random inclusion proofs against the latest STH."""
    size = client.get("/v1/transparency/sth").json()["tree_size"]
    rng = random.Random(9)
    times = []
    for _ in range(count):
        params = {"leaf_index": rng.randrange(size), "tree_size": size}
        started = time.perf_counter()
        client.get("/v1/transparency/inclusion", params=params).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def ingest(
    cat: Catalogue, total: int, worst: int, posters: int
) -> tuple[float, float, float, float]:
    """Sales/s of the realistic workload, of the worst case and of replays; batch p99 (ms)."""
    ingest_s, posted = post_all(BASE, cat, "realistic", 0, total, posters)
    say(
        f"ingest, realistic: {total} sales ({posted.recorded} recorded, {posted.duplicates} "
        f"replayed, {posted.rejected} rejected, {posted.refunds} refunds) in {ingest_s:.1f} s "
        f"= {total / ingest_s:,.0f} sales/s with {posters} posting processes; batch p99 "
        f"{posted.p99_ms():.0f} ms; {load_average()}"
    )
    worst_s, worst_posted = post_all(BASE, cat, "worst", 0, worst, posters)
    say(
        f"ingest, worst case (uniform over {workload.WORST_RECORDINGS} recordings): {worst} "
        f"sales ({worst_posted.recorded} recorded) in {worst_s:.1f} s = {worst / worst_s:,.0f} "
        f"sales/s; {load_average()}"
    )
    replayed = min(worst, 50_000)
    replay_s, replay_posted = post_all(BASE, cat, "worst", 0, replayed, posters)
    say(
        f"replay: {replayed} sales ({replay_posted.duplicates} duplicates) in {replay_s:.1f} s "
        f"= {replayed / replay_s:,.0f} sales/s"
    )
    return total / ingest_s, worst / worst_s, replayed / replay_s, posted.p99_ms()


def main() -> int:
    total = int(os.environ.get("BENCH_SALES", "150000"))
    worst = int(os.environ.get("BENCH_WORST_SALES", "50000"))
    posters = int(os.environ.get("BENCH_POSTERS", "2"))
    url = fresh_database()
    engine = make_engine(url)
    started = time.perf_counter()
    cat = build(engine, recordings=int(os.environ.get("BENCH_RECORDINGS", "100000")))
    say(f"catalogue: {len(cat.isrcs)} recordings in {time.perf_counter() - started:.1f} s")
    server = start_server(url)
    try:
        rss_start = rss_mb(server.pid)
        whole_run = RssSampler(server.pid)  # the service's RSS through the whole bench
        whole_run.start()
        ingest_rate, worst_rate, replay_rate, p99_ms = ingest(cat, total, worst, posters)
        rows = [workload.realistic_sale(i, cat.isrcs) for i in range(total)]
        ceiling_rate = ceiling.measure(url, rows, processes=posters)
        say(
            f"ceiling (bench/ceiling.py, the same {total} realistic rows through a bare "
            f"set-based pipeline): {ceiling_rate:,.0f} sales/s; the service reaches "
            f"{ingest_rate / ceiling_rate:.2f} of it"
        )
        copy_s = copy_floor(url, cat, total)
        copy_rate = total / copy_s
        say(
            f"COPY floor: {total} rows in {copy_s:.2f} s = {copy_rate:,.0f} rows/s; "
            f"ratio {copy_rate / ingest_rate:.1f}x"
        )
        admin = httpx.Client(
            base_url=BASE, timeout=3600, headers={"Authorization": f"Bearer {cat.admin_token}"}
        )
        started = time.perf_counter()
        closed = admin.post(f"/v1/periods/{PERIOD}/close")
        close_s = time.perf_counter() - started
        closed.raise_for_status()
        say(f"close {PERIOD}: {close_s:.1f} s")
        statements = all_statements(admin)
        largest = max(statements, key=lambda s: s["line_count"])
        say(
            f"statements: {len(statements)}; largest {largest['party']} "
            f"with {largest['line_count']} lines"
        )
        before = rss_mb(server.pid)
        sampler = RssSampler(server.pid)
        sampler.start()
        csv_s, csv_lines = fetch(
            admin, f"/v1/statements/{largest['id']}", headers={"Accept": "text/csv"}
        )
        dsr_s, dsr_lines = fetch(admin, f"/v1/statements/{largest['id']}", params={"format": "dsr"})
        peak = sampler.stop()
        say(f"CSV: {csv_lines} lines in {csv_s:.2f} s = {csv_lines / csv_s:,.0f} lines/s")
        say(f"DSR: {dsr_lines} lines in {dsr_s:.2f} s = {dsr_lines / dsr_s:,.0f} lines/s")
        say(
            f"server RSS: start {rss_start:.0f} MB, before fetch {before:.0f} MB, "
            f"peak while fetching {peak:.0f} MB (growth {peak - before:.0f} MB)"
        )
        peak_overall = max(peak, whole_run.stop(), rss_mb(server.pid))
        pulled, pulled_replica = measure_pulls(url, admin, statements)
        proof_ms = median_proof_ms(admin)
        say(f"inclusion proofs: median {proof_ms:.2f} ms over 1,000 random leaves (HTTP)")
        intake_lines = int(os.environ.get("BENCH_DSR_LINES", "50000"))
        dsr_fields = dsr_in.measure(BASE, admin, cat.isrcs, intake_lines, say)
        say(
            f"ingest_sales_per_s={ingest_rate:.0f} ingest_worst_per_s={worst_rate:.0f} "
            f"replay_per_s={replay_rate:.0f} batch_p99_ms={p99_ms:.0f} "
            f"ceiling_ratio={ingest_rate / ceiling_rate:.2f} "
            f"copy_ratio={copy_rate / ingest_rate:.1f} "
            f"close_s={close_s:.1f} csv_lines_per_s={csv_lines / csv_s:.0f} "
            f"dsr_lines_per_s={dsr_lines / dsr_s:.0f} "
            f"peak_rss_mb={peak_overall:.0f} pull_statements_per_s={pulled:.0f} "
            f"pull_statements_per_s_replica={pulled_replica} proof_ms={proof_ms:.2f} "
            f"{dsr_fields}"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
