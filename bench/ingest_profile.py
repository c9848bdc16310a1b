"""Where a sales batch's CPU goes, by process, through the real HTTP service (issue 14).

Builds (or, with INGEST_REUSE=1, reuses) a database with the synthetic catalogue, serves
it with uvicorn (INGEST_WORKERS workers), posts INGEST_SALES sales of INGEST_KIND
(``realistic`` or ``worst``, bench.workload) from INGEST_POSTERS processes in batches of
1,000, and prints sales/s, batch latency, how busy the machine was (/proc/stat) and the
CPU seconds of every process that ran, per name (service workers, PostgreSQL backends,
posters), divided per sale. With pg_stat_statements loaded it also prints the
statements' time per sale. INGEST_SPY=<file> records the first worker with py-spy.

    .venv/bin/python -m bench.ingest_profile
    INGEST_KIND=realistic INGEST_WORKERS=1 INGEST_POSTERS=1 .venv/bin/python -m bench.ingest_profile
"""

import os
import subprocess
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from bench import workload
from bench.catalogue import Catalogue, build
from bench.run import children, fresh_database, start_server
from service.engines import make_engine

PORT = int(os.environ.get("INGEST_PORT", "8879"))
STATE = Path(os.environ.get("INGEST_STATE", "/tmp/ingest_profile.url"))
TICK = os.sysconf("SC_CLK_TCK")


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """Every process's name and CPU seconds so far (user + system)."""
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (name, (int(fields[11]) + int(fields[12])) / TICK)
    return found


def machine() -> tuple[int, int]:
    """(all jiffies, idle + iowait jiffies) from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return sum(values), values[3] + values[4]


def database() -> tuple[str, int, Catalogue]:
    """(database URL, first sale number not posted yet, catalogue)."""
    if os.environ.get("INGEST_REUSE") == "1" and STATE.exists():
        url, first = STATE.read_text().split()
        engine = make_engine(url)
        with engine.connect() as conn:
            # The builder numbers ISRCs in creation order: sorting them restores it (and
            # with it the Zipf ranks of bench.workload).
            isrcs = [r[0] for r in conn.exec_driver_sql("SELECT isrc FROM recording ORDER BY 1")]
        engine.dispose()
        return url, int(first), Catalogue(isrcs=isrcs)
    os.environ.setdefault("BENCH_DB_NAME", "ledger_ingest_profile")
    url = fresh_database()
    cat = build(make_engine(url), recordings=int(os.environ.get("BENCH_RECORDINGS", "100000")))
    return url, 0, cat


def statements(url: str, sales: int) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT calls, total_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
                "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
                "WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 10"
            ).all()
    except sa.exc.DBAPIError:
        print("(pg_stat_statements is not loaded: no per-statement figures)")
        return
    finally:
        engine.dispose()
    print("PostgreSQL statements, execution time per sale:")
    for calls, total_ms, query in rows:
        print(f"  {total_ms * 1000 / sales:7.1f} µs  {calls:5d} calls  {query}")


def reset_statements(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            # Only where the server preloads it (shared_preload_libraries).
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.exec_driver_sql("SELECT pg_stat_statements_reset()")
            conn.commit()
    except sa.exc.DBAPIError:
        pass
    finally:
        engine.dispose()


def main() -> int:
    kind = os.environ.get("INGEST_KIND", "worst")
    sales = int(os.environ.get("INGEST_SALES", "20000"))
    posters = int(os.environ.get("INGEST_POSTERS", "2"))
    os.environ["BENCH_WORKERS"] = os.environ.get("INGEST_WORKERS", "2")
    url, first, cat = database()
    server = start_server(url, port=PORT)
    spy = None
    try:
        time.sleep(1)
        workers = children(server.pid) or [server.pid]
        if target := os.environ.get("INGEST_SPY"):
            command = ["py-spy", "record", "-p", str(workers[0]), "-o", target, "-f", "raw"]
            spy = subprocess.Popen([*command, "-r", "200", "--nonblocking"])
            time.sleep(1)
        reset_statements(url)
        cpu_before, busy_before = cpu_by_process(), machine()
        elapsed, posted = workload.post_all(
            f"http://127.0.0.1:{PORT}", cat, kind, first, sales, posters
        )
        cpu_after, busy_after = cpu_by_process(), machine()
    finally:
        if spy is not None:
            spy.send_signal(2)
            spy.wait(timeout=60)
        server.terminate()
        server.wait(timeout=30)
    STATE.write_text(f"{url} {first + sales}")
    total, idle = busy_after[0] - busy_before[0], busy_after[1] - busy_before[1]
    print(
        f"{kind}: {sales} sales ({posted.recorded} recorded, {posted.duplicates} replayed, "
        f"{posted.refunds} refunds) in {elapsed:.1f} s = {sales / elapsed:,.0f} sales/s; "
        f"batch p50 {sorted(posted.latencies)[len(posted.latencies) // 2] * 1000:.0f} ms, "
        f"p99 {posted.p99_ms():.0f} ms; machine busy {(1 - idle / total) * 100:.0f} %"
    )
    by_name: Counter[str] = Counter()
    for pid, (name, seconds) in cpu_after.items():
        by_name[name] += seconds - cpu_before.get(pid, (name, 0.0))[1]
    print("CPU per sale, by process name (posters exit before the count: not included):")
    for name, seconds in by_name.most_common(4):
        print(f"  {name:12s} {seconds:6.2f} s = {seconds / sales * 1e6:6.0f} µs")
    for pid in workers:  # how evenly the connections spread over the workers
        if pid in cpu_after and pid in cpu_before:
            print(f"  worker {pid}: {cpu_after[pid][1] - cpu_before[pid][1]:.2f} s")
    statements(url, sales)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
