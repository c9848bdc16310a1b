"""Time ``withdrawn_sales`` on a 10,000-row batch against 2,000 approved takedowns.

Run against a migrated scratch database (rolled back after):
    .venv/bin/alembic upgrade head  (with LEDGER_DATABASE_URL=sqlite:////tmp/x.db)
    .venv/bin/python -m bench.withdrawn sqlite:////tmp/x.db
"""

import sys
import time
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from service.catalog.models import Recording
from service.engines import make_engine
from service.parties.models import RightsHolder
from service.takedowns.models import Takedown, TakedownTerritory
from service.takedowns.service import SaleAsset, withdrawn_sales

T0 = datetime(2006, 11, 1, tzinfo=UTC)
ROWS = 10_000


def main(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        session.add(RightsHolder(id="bench", name="bench", kind="label", dsr_name="bench"))
        session.add_all(Recording(isrc=f"ZZZ00{n:07d}", title="t", artist="a") for n in range(ROWS))
        session.flush()
        taken = range(0, ROWS, 5)
        session.add_all(
            Takedown(
                id=f"bench{n:08d}",
                isrc=f"ZZZ00{n:07d}",
                claimant_holder_id="bench",
                evidence_kind="contract",
                evidence_reference="bench",
                evidence_sha256="0" * 64,
                status="approved",
                effective_at=T0,
            )
            for n in taken
        )
        session.flush()
        session.add_all(
            TakedownTerritory(takedown_id=f"bench{n:08d}", territory="US") for n in taken
        )
        session.flush()
        sales = [
            SaleAsset(f"ZZZ00{n:07d}", None, "US" if n % 2 else "FR", T0 + timedelta(seconds=n))
            for n in range(ROWS)
        ]
        times = []
        for _ in range(5):
            start = time.perf_counter()
            found = withdrawn_sales(session=session, sales=sales)
            times.append(time.perf_counter() - start)
        print(
            f"{engine.dialect.name}: {len(found)} of {ROWS} withdrawn, "
            f"best of 5: {min(times) * 1000:.0f} ms"
        )
        session.rollback()
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
