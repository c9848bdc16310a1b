"""`make bench-month`: build a month, close it, pull its largest statement, verify it.

    SALES=1000000 make bench-month
    .venv/bin/python -m bench.month_close [all | close]   # close: reuse the template, close only

``all`` (the default) builds the month (``bench.month``: through the write path, into a
template database; MONTH_REUSE=1 reuses an existing template and reports build_s=0),
clones the template, closes November in a child process (wall time, the child's CPU and
the database backend's CPU, the child's peak RSS), serves the closed clone with uvicorn
and streams the statement with the most lines as CSV and the one with the most DSR
usage rows as DSR, twice each (the first and a later request; the slower is reported),
then runs ``royalty-ledger verify-statement --all`` on the statement with the most lines
(every inclusion proof, every line re-added). Its last line is the summary:

    month_sales= build_s= close_s= close_peak_rss_mb= statements= lines=
    csv_lines_per_s= dsr_lines_per_s= verify_s= scenario_s=

CLOSE_PROFILE=file writes a cProfile of the close; CLOSE_EXPLAIN=file the EXPLAIN
(ANALYZE, BUFFERS) of every statement of the close slower than 200 ms (auto_explain).
"""

import cProfile
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa
from sqlmodel import Session

from bench import month, scenario
from bench.catalogue import Catalogue
from bench.run import RssSampler, fetch, load_average
from service.engines import make_engine
from service.scenarios.schemas import ScenarioCreate, TerritoryRule
from service.statements.close.service import close_period

PORT = int(os.environ.get("MONTH_PORT", "8771"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a local process (the PostgreSQL backend)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def signer_record() -> Path:
    return month.signer_record(month.DB_NAME)


def clone() -> str:
    month.admin_sql(f'DROP DATABASE IF EXISTS "{month.DB_NAME}" WITH (FORCE)')
    month.admin_sql(f'CREATE DATABASE "{month.DB_NAME}" TEMPLATE "{month.TEMPLATE}"')
    url = month.url_of(month.DB_NAME)
    # The clone's log extends the template's: its signer's record starts from the template's.
    signer_record().unlink(missing_ok=True)
    if month.signer_record(month.TEMPLATE).exists():
        shutil.copyfile(month.signer_record(month.TEMPLATE), signer_record())
    month.migrate(url)
    with psycopg.connect(month.dsn_of(month.DB_NAME), autocommit=True) as conn:
        conn.execute("ANALYZE")
    return url


def _auto_explain(session: Session, plans: list[str]) -> None:
    raw = session.connection().connection.dbapi_connection
    raw.add_notice_handler(lambda d: plans.append(d.message_primary or ""))  # type: ignore[union-attr]
    for sql in (
        "LOAD 'auto_explain'",
        "SET auto_explain.log_min_duration = 200",
        "SET auto_explain.log_analyze = on",
        "SET auto_explain.log_buffers = on",
        "SET auto_explain.log_nested_statements = on",
        "SET auto_explain.log_level = notice",
    ):
        session.execute(sa.text(sql))


def close_child(url: str) -> None:
    """Close November in this process; print what it cost as JSON (the parent's summary)."""
    engine = make_engine(url)
    plans: list[str] = []
    profile_to = os.environ.get("CLOSE_PROFILE")
    profiler = cProfile.Profile() if profile_to else None
    with Session(engine) as session:
        backend = int(session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
        if os.environ.get("CLOSE_EXPLAIN"):
            _auto_explain(session, plans)
        backend_cpu, cpu = _cpu_of(backend), time.process_time()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        close_period(
            session=session,
            period=month.MONTH,
            now=datetime.now(UTC),
            issuer=month.issuer(month.DB_NAME),
        )
        session.commit()
        if profiler:
            profiler.disable()
        close_s = time.perf_counter() - started
        cpu, backend_cpu = time.process_time() - cpu, _cpu_of(backend) - backend_cpu
    if profiler and profile_to:
        profiler.dump_stats(profile_to)
    if plans:
        Path(os.environ["CLOSE_EXPLAIN"]).write_text("\n\n".join(plans))
    engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"close_s": close_s, "cpu_s": cpu, "db_cpu_s": backend_cpu, "rss": peak}))


def close(url: str) -> dict[str, Any]:
    child = subprocess.run(
        [sys.executable, "-m", "bench.month_close", "close-child", url],
        cwd=month.ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    costs: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    with psycopg.connect(month.dsn_of(month.DB_NAME)) as conn:
        row = conn.execute(
            "SELECT count(*), coalesce(sum(line_count), 0), max(line_count) FROM statement "
            "WHERE period = %s",
            (month.MONTH,),
        ).fetchone()
        usage = conn.execute("SELECT count(*) FROM statement_usage").fetchone()
        sold = conn.execute(
            "SELECT count(*) FROM sale s WHERE EXISTS (SELECT 1 FROM ledger_leg l "
            "WHERE l.sale_pk = s.id AND l.period = %s)",
            (month.MONTH,),
        ).fetchone()
    assert row is not None and usage is not None and sold is not None
    costs |= {"statements": row[0], "lines": row[1], "largest": row[2], "usage": usage[0]}
    costs["sales"] = sold[0]
    month.say(
        f"close {month.MONTH}: {costs['close_s']:.1f} s wall, {costs['cpu_s']:.1f} s CPU in "
        f"Python + {costs['db_cpu_s']:.1f} s in the database backend, peak RSS "
        f"{costs['rss']:.0f} MB; {row[0]:,} statements, {row[1]:,} lines (largest "
        f"{row[2]:,}), {usage[0]:,} DSR usage rows; {load_average()}"
    )
    return costs


def serve(url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": url,
        "LEDGER_DEMO": "false",
        "LEDGER_SIGNING_KEY": month.SIGNING_SEED,
        # The clone's own log: its own signer's record (issue 29), never the repository's.
        "LEDGER_SIGNER_RECORD_FILE": str(signer_record()),
        "LEDGER_WEBHOOKS_WORKER": "false",
        "LEDGER_DOWNLOADS_PER_PARTY": "8",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "service.main:app", "--port", str(PORT),
         "--log-level", "warning", "--no-access-log"],
        cwd=month.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,  # one JSON log line per request (verify sends thousands)
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the service did not start")


def _largest(conn: psycopg.Connection[Any], query: str) -> tuple[str, str, int]:
    found = conn.execute(query, (month.MONTH,)).fetchone()
    assert found is not None, "the month has no statement"
    return str(found[0]), str(found[1]), int(found[2])


def pulls(client: httpx.Client) -> dict[str, Any]:
    """CSV of the statement with the most lines and DSR of the one with the most usage
    rows, twice each; the slower request's lines/s (a GET writes nothing, so the first
    request is as fast as the later ones)."""
    with psycopg.connect(month.dsn_of(month.DB_NAME)) as conn:
        csv = _largest(
            conn,
            "SELECT id, party, line_count FROM statement WHERE period = %s "
            "ORDER BY line_count DESC LIMIT 1",
        )
        dsr = _largest(
            conn,
            "SELECT s.id, s.party, count(*) FROM statement_usage u JOIN statement s "
            "ON s.id = u.statement_id WHERE s.period = %s GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1",
        )
    rates: dict[str, list[float]] = {"csv": [], "dsr": []}
    for kind, (sid, party, _n) in (("csv", csv), ("dsr", dsr)):
        for attempt in ("first", "second"):
            seconds, lines = fetch(client, f"/v1/statements/{sid}", params={"format": kind})
            rates[kind].append(lines / seconds)
            month.say(f"{kind.upper()} {party} {attempt}: {lines:,} lines in {seconds:.2f} s "
                      f"= {lines / seconds:,.0f} lines/s; {load_average()}")  # fmt: skip
    return {"csv": min(rates["csv"]), "dsr": min(rates["dsr"]), "verify_id": csv[0]}


def verify(statement_id: str) -> float:
    public = month.signing_key().public
    started = time.perf_counter()
    done = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "royalty-ledger"), "verify-statement",
         statement_id, "--all", "--public-key", __import__("base64").b64encode(public).decode()],
        cwd=month.ROOT,
        env={**os.environ, "LEDGER_URL": f"http://127.0.0.1:{PORT}",
             "LEDGER_TOKEN": Catalogue().admin_token},
        capture_output=True,
        text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"verify-statement failed ({done.returncode}): {done.stderr}{done.stdout}")
    month.say(done.stdout.strip().splitlines()[0] if done.stdout.strip() else "verified")
    month.say(f"verify-statement --all: {seconds:.1f} s; {load_average()}")
    return seconds


def summary(fields: dict[str, Any]) -> str:
    """The last line `make bench-month` prints, keys in this order (``scenario_s`` last)."""
    return " ".join(f"{key}={value}" for key, value in fields.items())


def rerun_month(url: str) -> float:
    """Issue 28: seconds a scenario takes to re-price the month (buyer's rule, cold pricing
    cache, rolled back); its report must not differ from the books."""
    data = ScenarioCreate(period_from=month.MONTH, territory=TerritoryRule.buyer)
    seconds, (sales, groups, differs) = scenario.run_once(url, data, None)  # type: ignore[misc]
    month.say(f"scenario: {sales} sales in {groups} groups, {seconds:.1f} s, differs={differs}")
    return seconds


def run_all(step: str) -> None:
    build_s = 0.0
    if step == "all" and os.environ.get("MONTH_REUSE") != "1":
        build_s = month.build_month()
    url = clone()
    costs = close(url)
    fields: dict[str, Any] = {
        "month_sales": costs["sales"],
        "build_s": f"{build_s:.1f}",
        "close_s": f"{costs['close_s']:.1f}",
        "close_peak_rss_mb": f"{costs['rss']:.0f}",
        "statements": costs["statements"],
        "lines": costs["lines"],
    }
    if step == "close":
        month.say(summary(fields))
        return
    server = serve(url)
    try:
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{PORT}",
            timeout=3600,
            headers={"Authorization": f"Bearer {Catalogue().admin_token}"},
        )
        pulled = pulls(client)
        sampler = RssSampler(server.pid)
        sampler.start()
        verify_s = verify(pulled["verify_id"])
        sampler.stop()
    finally:
        server.terminate()
        server.wait(timeout=30)
    fields |= {
        "csv_lines_per_s": f"{pulled['csv']:.0f}",
        "dsr_lines_per_s": f"{pulled['dsr']:.0f}",
        "verify_s": f"{verify_s:.1f}",
        "scenario_s": f"{rerun_month(url):.1f}",
    }
    month.say(summary(fields))


def main() -> int:
    step = sys.argv[1] if len(sys.argv) > 1 else "all"
    if step == "close-child":
        close_child(sys.argv[2])
    elif step in ("all", "close"):
        run_all(step)
    else:
        raise SystemExit(f"unknown step {step!r}: all | close")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
