"""How long a scenario takes to re-price a month: prints ``scenario_s=…``.

    .venv/bin/python -m bench.scenario --database-url URL [--period 2006-11]
        [--territory buyer|store_licence] [--store CODE] [--repeat 1]

For ``make bench-month``: call ``main(["--database-url", url, "--period", period])`` (or
run the module) once the month's sales are in the database ``url`` (any engine; the
bench's is PostgreSQL), after the ingestion is timed. It runs ``scenarios.service.run``
in-process, in one transaction that is **rolled back** (the bench database keeps no
scenario), and prints one line::

    scenario_s=12.3 scenario_sales=1000000 scenario_groups=812345 scenario_differs=false

``scenario_s`` is the whole of ``run`` (the grouped read of the sales, the re-pricing
through ``scenarios.pricing``, the books' aggregate and writing the report), the best of
``--repeat`` runs, each with a cold pricing cache; ``scenario_differs`` is the report's
``differs_from_books`` (with the default ``--territory buyer`` it must be false: the
identity check at full size). ``--territory store_licence`` gives every store without a
licence the licence RU/ROMS inside the rolled-back transaction.
``BENCH_SCENARIO_PROFILE=path`` writes a cProfile dump of the last run.
"""

import argparse
import cProfile
import os
import sys
import time
from collections.abc import Sequence

from sqlmodel import Session, col, select

from service.engines import make_engine
from service.parties.models import Society, Store
from service.sales.pricing import generation
from service.scenarios import service as scenarios
from service.scenarios.schemas import ScenarioCreate, TerritoryRule


def _licence_everywhere(session: Session) -> None:
    """Stores without a licence get RU/ROMS (the bench catalogue has ROMS), unflushed
    until the scenario reads them, and rolled back with it."""
    if session.get(Society, "ROMS") is None:
        raise SystemExit("store_licence needs a society ROMS in the database")
    for store in session.exec(select(Store).where(col(Store.licence_territory).is_(None))):
        store.licence_territory, store.licence_society = "RU", "ROMS"
        session.add(store)
    session.flush()


def run_once(url: str, data: ScenarioCreate, profile: str | None) -> tuple[float, object]:
    engine = make_engine(url)
    generation.clear()  # cold: the process cache holds nothing the scenario needs
    try:
        with Session(engine) as session:
            if data.territory is TerritoryRule.store_licence:
                _licence_everywhere(session)
            profiler = cProfile.Profile() if profile else None
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            scenario = scenarios.run(session=session, data=data)
            elapsed = time.perf_counter() - started
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile or "")
            facts = (scenario.sales, scenario.groups, scenario.differs_from_books)
            session.rollback()  # nothing stays: not even the scenario
            return elapsed, facts
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.scenario", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("LEDGER_DATABASE_URL"))
    parser.add_argument("--period", default="2006-11")
    parser.add_argument("--territory", default="buyer", choices=[t.value for t in TerritoryRule])
    parser.add_argument("--store", default=None)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or LEDGER_DATABASE_URL) is required")
    data = ScenarioCreate(
        period_from=args.period, store=args.store, territory=TerritoryRule(args.territory)
    )
    best, facts = float("inf"), None
    for _ in range(max(1, args.repeat)):
        elapsed, facts = run_once(args.database_url, data, os.environ.get("BENCH_SCENARIO_PROFILE"))
        best = min(best, elapsed)
    sales, groups, differs = facts  # type: ignore[misc]
    print(
        f"scenario_s={best:.2f} scenario_sales={sales} scenario_groups={groups} "
        f"scenario_differs={str(differs).lower()}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
