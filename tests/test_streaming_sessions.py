"""A streamed statement reads through a session of its own and leaves nothing open.

Runs the app against a real SQLite file (no shared test transaction), where a session left
open by a stream would hold the database's write lock and stall every other request.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from service.db import get_session
from service.engines import make_engine
from service.main import create_app
from tests.conftest import ADMIN_TOKEN, migrate
from tests.factories import Api, bearer, share


@pytest.fixture
def real_sqlite(tmp_path: Path) -> Iterator[tuple[TestClient, Engine]]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate(url)
    engine = make_engine(url)

    def session() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    app = create_app()
    app.dependency_overrides[get_session] = session
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, engine
    engine.dispose()


def test_streams_release_their_connection(real_sqlite: tuple[TestClient, Engine]) -> None:
    client, engine = real_sqlite
    api = Api(client, ADMIN_TOKEN)
    api.society(code="ROMS", country="RU", currency="RUB")
    member = api.holder()
    api.mandate(holder_id=member["id"], society_code="ROMS", right_type="mechanical")
    api.work("T-034.524.680-1", [share(member["id"], "mechanical", "1")])
    api.recording("RUA010600001", [], iswc="T-034.524.680-1")
    api.tariff(territory="RU", right_type="mechanical", currency="RUB", percent_of_gross="0.15")
    store = api.store()["code"]
    sale = {
        "sale_id": "o-1",
        "isrc": "RUA010600001",
        "territory": "RU",
        "sold_at": "2006-11-03T10:00:00Z",
        "quantity": 1,
        "unit_price": "27.00",
        "currency": "RUB",
    }
    posted = client.post("/v1/sales", json=sale, headers=bearer(api.key("store", store)))
    assert posted.status_code == 201, posted.text
    assert client.post("/v1/periods/2006-11/close", headers=api.admin).status_code in (200, 201)
    society = bearer(api.key("society", "ROMS"))
    statement = client.get("/v1/statements", headers=society).json()["data"][0]

    for params, headers in (({}, {"Accept": "text/csv"}), ({"format": "dsr"}, {})):
        response = client.get(
            f"/v1/statements/{statement['id']}", params=params, headers={**society, **headers}
        )
        assert response.status_code == 200, response.text
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        # A writer right after the stream is not blocked by a lock the stream kept.
        assert (
            client.post(
                "/v1/fx-rates",
                json={
                    "date": f"2006-12-0{1 + len(params)}",
                    "from": "USD",
                    "to": "RUB",
                    "rate": "26.7",
                },
                headers=api.admin,
            ).status_code
            == 201
        )
