"""The per-process catalog cache: the version token, and prices that follow changes."""

import sqlalchemy as sa
from sqlmodel import Session

from service.sales.pricing import generation
from tests.factories import Api, isrc, share
from tests.sales.conftest import Store, a_sale


def _token(session: Session) -> str:
    return str(session.execute(sa.text("SELECT token FROM catalog_version")).scalar_one())


def test_every_pricing_write_gives_the_token_a_fresh_value(
    session: Session, api: Api, dialect: str
) -> None:
    before = _token(session)
    assert generation.read_token(session) is not None  # nothing written yet: cacheable
    api.tariff(territory="RU", right_type="mechanical", currency="USD", percent_of_gross="0.1")
    after_tariff = _token(session)
    assert after_tariff != before
    api.fx("2006-11-01", "USD", "RUB", "26.7")
    if dialect == "postgresql":
        # Once per transaction (the test's requests share one), and the writing
        # transaction never caches what it may still be changing.
        assert _token(session) == after_tariff
        assert generation.read_token(session) is None
    else:
        assert _token(session) != after_tariff  # SQLite: on every row written
    # A rolled-back change takes its token with it; the next change gets another one.
    current = _token(session)
    with session.begin_nested() as savepoint:
        session.execute(sa.text("UPDATE catalog_version SET writer = NULL"))
        session.execute(sa.text("UPDATE tariff SET per_minute_over_seconds = 1"))
        rolled_back = _token(session)
        assert rolled_back != current
        savepoint.rollback()
    assert _token(session) == current
    session.execute(sa.text("UPDATE catalog_version SET writer = NULL"))
    session.execute(sa.text("UPDATE tariff SET per_minute_over_seconds = 2"))
    assert _token(session) not in (current, rolled_back)


def test_a_cached_batch_sees_the_next_catalog_change(api: Api, store: Store) -> None:
    generation.clear()
    api.society(code="ROMS", country="RU", currency="RUB", right_types=["mechanical"])
    api.tariff(territory="RU", right_type="mechanical", currency="USD", percent_of_gross="0.15")
    holder = api.holder()["id"]
    recording = isrc()
    api.work("T-034.524.680-1", [share(holder, "mechanical", "1")])
    api.recording(recording, [], iswc="T-034.524.680-1")

    first = store.batch([a_sale(recording)])["results"][0]["royalties"]
    assert [(r["holder_id"], r["society_code"]) for r in first] == [(holder, None)]
    # Same token: the second batch is priced from the cache, identically.
    again = store.batch([a_sale(recording)])["results"][0]["royalties"]
    assert again == first
    # A mandate changes the route: the next batch sees it (the token changed).
    api.mandate(holder_id=holder, society_code="ROMS", right_type="mechanical")
    routed = store.batch([a_sale(recording)])["results"][0]["royalties"]
    assert [(r["holder_id"], r["society_code"]) for r in routed] == [(holder, "ROMS")]
    assert routed[0]["amount"] == "0.015000"
