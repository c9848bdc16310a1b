"""Two simultaneous closes of one month produce one set of statements (PostgreSQL)."""

import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.db import get_session
from service.engines import make_engine
from service.ledger.service import Posting, post
from service.main import create_app
from service.parties import service as parties
from service.parties.schemas import SocietyCreate, StoreCreate
from service.tariffs.models import FxRate
from tests.conftest import ADMIN_TOKEN
from tests.factories import bearer
from tests.statements.conftest import Sale, Share, legs_of


def _arrange(session: Session) -> None:
    parties.create_store(session=session, data=StoreCreate(code="shop", name="s", country="RU"))
    for code, currency in (("RACE", "RUB"), ("RACEUS", "USD")):
        parties.create_society(
            session=session,
            data=SocietyCreate(
                code=code,
                name=code,
                country="RU",
                currency=currency,
                right_types=["mechanical"],
                commission_rate=Decimal("0.1"),
            ),
        )
    session.add(FxRate(date=date(2006, 11, 1), from_currency="USD", to_currency="RUB", rate=26))
    postings = []
    for n in range(20):
        parts = [
            Share("society:RACE", "0.5", society_code="RACE"),
            Share("society:RACEUS", "0.25", society_code="RACEUS"),
        ]
        sale = Sale("shop", "USD", f"RUA0106{n:05d}", "RU", 1, "1", parts, sale_pk=n + 1)
        postings.append(Posting("sale", f"race:{n}", "2006-11", legs_of(sale)))
    post(session=session, postings=postings)


def test_simultaneous_closes_issue_one_set_of_statements(pg_isolated_url: str) -> None:
    engine = make_engine(pg_isolated_url)
    with Session(engine) as session:
        _arrange(session)
        session.commit()

    app = create_app()

    def isolated_session() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    app.dependency_overrides[get_session] = isolated_session
    barrier = threading.Barrier(4)
    results: list[tuple[int, dict[str, object]]] = []

    def close() -> None:
        with TestClient(app) as client:
            barrier.wait()
            response = client.post("/v1/periods/2006-11/close", headers=bearer(ADMIN_TOKEN))
            results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(status for status, _ in results) == [200, 200, 200, 201]
    bodies = [body for _, body in results]
    assert all(body == bodies[0] for body in bodies)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM statement")).scalar_one()
        closes = conn.execute(sa.text("SELECT count(*) FROM period_close")).scalar_one()
        fx = conn.execute(
            sa.text("SELECT count(*) FROM ledger_transaction WHERE kind = 'fx_conversion'")
        ).scalar_one()
    assert (count, closes, fx) == (1 + 1, 1, 1)  # RACE converted once; RACEUS in USD
    engine.dispose()
