"""Statement pulls at month end: 50 clients fetching JSON statements of a closed month.

Each client holds its own party's API key (society or rights holder, as at month end)
and fetches its statement (JSON, first page of lines) again and again for a fixed time;
``pull_rate`` is completed pulls per second. ``main`` in ``bench/run.py`` measures it
against the primary alone and against a server whose reads go to the hot standby
(``scripts/pg-standby.sh up``; BENCH_REPLICA_URL's server, default 127.0.0.1:5433).
"""

import os
import random
import threading
import time
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

REPLICA_SERVER = os.environ.get(
    "BENCH_REPLICA_URL", "postgresql+psycopg://postgres@127.0.0.1:5433/postgres"
)
CLIENTS = int(os.environ.get("BENCH_PULL_CLIENTS", "50"))
SECONDS = float(os.environ.get("BENCH_PULL_SECONDS", "15"))


def pullers(admin: httpx.Client, statements: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(token, statement id) for CLIENTS parties, each with a key of its own."""
    chosen = random.Random(7).sample(statements, min(CLIENTS, len(statements)))
    found = []
    for st in chosen:
        kind, subject = st["party"].split(":", 1)
        role = "society" if kind == "society" else "rights_holder"
        key = admin.post("/v1/api-keys", json={"role": role, "subject": subject})
        key.raise_for_status()
        found.append((key.json()["token"], st["id"]))
    return found


def pull_rate(base: str, jobs: list[tuple[str, str]], seconds: float = SECONDS) -> float:
    """Completed JSON pulls per second over ``seconds``, one thread per client."""
    done = [0] * len(jobs)
    errors: list[str] = []
    deadline = time.perf_counter() + seconds

    def client(n: int, token: str, statement_id: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, timeout=60, headers=headers) as http:
            while time.perf_counter() < deadline:
                response = http.get(f"/v1/statements/{statement_id}")
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:100]}")
                    return
                done[n] += 1

    threads = [threading.Thread(target=client, args=(n, *job)) for n, job in enumerate(jobs)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"pulls failed: {errors[0]}")
    return sum(done) / (time.perf_counter() - started)


def replica_url(primary_url: str) -> str | None:
    """The bench database on the standby once it has replayed it, else None (no standby)."""
    name = make_url(primary_url).database
    replica = make_url(REPLICA_SERVER).set(database=name)
    primary_dsn = make_url(primary_url).set(drivername="postgresql")
    control = make_url(REPLICA_SERVER).set(drivername="postgresql", database="postgres")
    try:
        with psycopg.connect(control.render_as_string(hide_password=False)) as standby:
            with psycopg.connect(primary_dsn.render_as_string(hide_password=False)) as primary:
                lsn = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                row = standby.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn[0] if lsn else None,)
                ).fetchone()
                if row and row[0]:
                    return replica.render_as_string(hide_password=False)
                time.sleep(0.2)
    except psycopg.OperationalError:
        return None
    return None
