"""Pricing alone, in-process: what a sale costs from a cold and from a warm plan (issue 21).

Prices the workload's sales (``realistic`` or ``worst``, bench.workload) with the write
path's compiled plans against a database with the bench catalogue, writing nothing:
first with the plan memo empty (every new recording, territory and currency compiles a
plan, as a cold service does), then again (every plan warm). CPU seconds
(``time.process_time``), so another process on the machine changes the figures less
than wall time would.

    .venv/bin/python -m bench.pricing DATABASE_URL [SALES] [realistic|worst]
"""

import sys
import time

from sqlmodel import Session

from bench import workload
from service.engines import make_engine
from service.sales.pricing.generation import tune_gc
from service.sales.pricing.plans import plan_for
from service.sales.pricing.price import load_snapshot
from service.sales.schemas import SaleIn


def main() -> int:
    tune_gc()  # as the service does (create_app): a filled cache is ~10^6 long-lived objects
    url = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 30_000
    kind = sys.argv[3] if len(sys.argv) > 3 else "realistic"
    engine = make_engine(url)
    with engine.connect() as conn:
        isrcs = [r[0] for r in conn.exec_driver_sql("SELECT isrc FROM recording ORDER BY 1")]
    draw = workload.realistic_sale if kind == "realistic" else workload.worst_sale
    sales = [SaleIn.model_validate(draw(i, isrcs)) for i in range(total)]
    batches = [sales[i : i + 1000] for i in range(0, total, 1000)]
    with Session(engine) as session:
        snaps = [load_snapshot(session=session, sales=b) for b in batches]  # catalogue loaded
    generation = snaps[0].generation
    generation.memo_plans.clear()
    generation.memo_compiled.young.clear()
    generation.memo_compiled.old.clear()
    # Unbounded for this measure, so that the second pass is warm whatever the sales
    # count (the service keeps 12,000 plans: generation.MAX_COMPILED).
    generation.memo_compiled.half = 10**9
    for label in ("cold plans", "warm plans"):
        started = time.process_time()
        for batch, snap in zip(batches, snaps, strict=True):
            for sale in batch:
                plan = plan_for(sale, snap)
                if plan is not None:
                    plan.apply(sale.unit_price, sale.quantity)
        seconds = time.process_time() - started
        print(
            f"{kind}, {label}: {total} sales in {seconds:.2f} s of CPU = "
            f"{seconds / total * 1e6:.1f} µs a sale ({len(generation.memo_compiled)} plans)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
