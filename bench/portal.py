"""Portal page timings: every page with the demo, and a 1,000-line statement page.

    .venv/bin/python -m bench.portal

Builds a temporary SQLite database (migrations, the demo of `make run`, plus 250
recordings sold in RU, US and GB in 2007-01 so ROMS's January statement has 1,000 lines),
then times each page in-process (median of 5 requests after one warm-up; server time,
no network). Prints one `page ms` line each.
"""

import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.catalog import service as catalog
from service.catalog.schemas import RecordingCreate, ShareIn, WorkCreate
from service.config import Settings
from service.demo import load_demo
from service.engines import make_engine
from service.identifiers import normalize_iswc
from service.main import create_app
from service.parties.models import RightsHolder
from service.rights import RightType
from service.sales.intake.ingest import validate
from service.sales.recording import record_sales
from service.statements.close.service import close_period, issuer_of
from tests.conftest import migrate
from tests.portal.conftest import csrf_of

LINK = re.compile(r"/portal/statements/([0-9a-f]{32})")
M, P = RightType.mechanical, RightType.performance
BIG = 250  # recordings; x (RU mech, US mech, GB mech + perf) = 1,000 ROMS lines


def _iswc(n: int) -> str:
    body = f"{500000000 + n:09d}"
    for check in range(10):
        try:
            return normalize_iswc(f"T-{body[:3]}.{body[3:6]}.{body[6:]}-{check}")
        except ValueError:
            continue
    raise ValueError(body)


def _big_month(session: Session) -> None:
    writer = session.exec(
        select(RightsHolder.id).where(RightsHolder.name == "Vladimir Composer")
    ).one()
    rows = []
    for n in range(BIG):
        iswc = _iswc(n)
        shares = [
            ShareIn(holder_id=writer, right_type=r, share=Decimal(1))
            for r in (RightType.mechanical, RightType.performance)
        ]
        catalog.create_work(
            session=session, data=WorkCreate(iswc=iswc, title=f"Work {n}", shares=shares)
        )
        isrc = f"RUB0107{n:05d}"
        catalog.create_recording(
            session=session,
            data=RecordingCreate(
                isrc=isrc, title=f"Track {n}", artist="Bench", duration_s=200, iswc=iswc, shares=[]
            ),
        )
        for territory, currency in (("RU", "USD"), ("US", "USD"), ("GB", "GBP")):
            rows.append(
                validate(
                    {
                        "sale_id": f"bench-{n}-{territory}",
                        "isrc": isrc,
                        "territory": territory,
                        "sold_at": "2007-01-15T12:00:00Z",
                        "quantity": 1 + n % 5,
                        "unit_price": "0.99",
                        "currency": currency,
                    },
                    datetime.now(UTC),
                )
            )
    record_sales(session=session, store_code="allofmp3", rows=rows)
    close_period(
        session=session, period="2007-01", now=datetime.now(UTC), issuer=issuer_of(Settings())
    )


def _time(client: TestClient, path: str) -> float:
    client.get(path)
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(samples)


def _sign_in(client: TestClient, token: str) -> None:
    client.cookies.clear()
    page = client.get("/portal")
    client.post("/portal/sign-in", data={"token": token, "csrf_token": csrf_of(page.text)})


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate(url)
        with Session(make_engine(url)) as session:
            tokens = load_demo(session)
            _big_month(session)
            session.commit()
        client = TestClient(create_app(Settings(database_url=url)))
        out = sys.stdout
        for who, pages in [
            ("SOCIETY", ["/portal/overview", "/portal/statements"]),
            ("HOLDER_TOKEN", ["/portal/overview", "/portal/remittance", "/portal/takedowns"]),
            ("ADMIN", ["/portal/admin/close?period=2006-11", "/portal/admin/keys"]),
        ]:
            _sign_in(client, tokens[who])
            for path in pages:
                out.write(f"{who:<15} {path:<40} {_time(client, path):7.1f} ms\n")
        _sign_in(client, tokens["SOCIETY"])
        listing = client.get("/portal/statements", params={"period": "2007-01"}).text
        statement = re.findall(r"/portal/statements/([0-9a-f]{32})", listing)[0]
        small = re.findall(
            r"/portal/statements/([0-9a-f]{32})",
            client.get("/portal/statements", params={"period": "2006-10"}).text,
        )[0]
        for label, path in [
            ("statement (demo, 100/page)", f"/portal/statements/{small}"),
            ("statement 1,000 lines/page", f"/portal/statements/{statement}?size=1000"),
            (
                "1,000 lines sorted by royalty",
                f"/portal/statements/{statement}?size=1000&sort=royalty&order=desc",
            ),
            ("1,000 lines, verify now (sample)", f"/portal/statements/{statement}?verify=sample"),
            ("1,000 lines, verify every leaf", f"/portal/statements/{statement}?verify=all"),
        ]:
            page = client.get(path).text
            lines = page.count('<tr><td class="num">')
            out.write(
                f"{'society ROMS':<15} {label:<40} {_time(client, path):7.1f} ms ({lines} rows)\n"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
