"""The withdrawn check the sales path calls once per batch (tested directly here)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from service.takedowns.service import SaleAsset, withdrawn_sales
from tests.takedowns.conftest import Catalog, Takedowns

T0 = datetime(2006, 11, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@contextmanager
def count_queries(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


def sale(isrc: str, territory: str, sold_at: datetime, iswc: str | None = None) -> SaleAsset:
    return SaleAsset(isrc=isrc, iswc=iswc, territory=territory, sold_at=sold_at)


def test_nothing_withdrawn_without_takedowns(session: Session, catalog: Catalog) -> None:
    assert withdrawn_sales(session=session, sales=[]) == {}
    assert withdrawn_sales(session=session, sales=[sale(catalog.isrc_a, "US", T0)]) == {}


def test_a_recording_takedown_from_effective_at_in_its_territories_only(
    td: Takedowns, catalog: Catalog, session: Session
) -> None:
    takedown = td.approved(
        isrc=catalog.isrc_a, territories=["US", "FR"], claimant_holder_id=catalog.label
    )
    sales = [
        sale(catalog.isrc_a, "US", T0, catalog.iswc),  # 0: at effective_at
        sale(catalog.isrc_a, "US", T0 - SECOND, catalog.iswc),  # 1: just before
        sale(catalog.isrc_a, "FR", T0 + 400 * SECOND, catalog.iswc),  # 2
        sale(catalog.isrc_a, "DE", T0 + SECOND, catalog.iswc),  # 3: other territory
        sale(catalog.isrc_b, "US", T0 + SECOND, catalog.iswc),  # 4: other recording
        sale("ZZZ000000001", "US", T0 + SECOND),  # 5: unknown recording
    ]
    assert withdrawn_sales(session=session, sales=sales) == {0: takedown["id"], 2: takedown["id"]}


def test_a_work_takedown_covers_every_recording_of_it(
    td: Takedowns, catalog: Catalog, session: Session
) -> None:
    takedown = td.approved(
        iswc=catalog.iswc, territories=["WORLD"], claimant_holder_id=catalog.publisher
    )
    sales = [
        sale(catalog.isrc_a, "US", T0, catalog.iswc),
        sale(catalog.isrc_b, "JP", T0 + SECOND, catalog.iswc),
        sale(catalog.isrc_lone, "RU", T0 + SECOND),
    ]
    assert withdrawn_sales(session=session, sales=sales) == {0: takedown["id"], 1: takedown["id"]}


def test_pending_and_rejected_takedowns_withdraw_nothing(
    td: Takedowns, catalog: Catalog, session: Session
) -> None:
    td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    rejected = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    td.decide(rejected["id"], approve=False, reason="no")
    assert withdrawn_sales(session=session, sales=[sale(catalog.isrc_a, "US", T0 + SECOND)]) == {}


def test_a_lift_restores_sales_dated_from_its_effective_at(
    td: Takedowns, catalog: Catalog, session: Session
) -> None:
    takedown = td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    lifted_at = T0 + timedelta(days=30)
    td.lift(takedown["id"], effective_at=lifted_at.isoformat())
    sales = [
        sale(catalog.isrc_a, "US", T0 - SECOND),
        sale(catalog.isrc_a, "US", T0),
        sale(catalog.isrc_a, "US", lifted_at - SECOND),
        sale(catalog.isrc_a, "US", lifted_at),
        sale(catalog.isrc_a, "US", lifted_at + timedelta(days=999)),
    ]
    assert withdrawn_sales(session=session, sales=sales) == {1: takedown["id"], 2: takedown["id"]}


def test_the_oldest_covering_takedown_is_named(
    td: Takedowns, catalog: Catalog, session: Session
) -> None:
    later = td.approved(
        "2006-12-01T00:00:00Z", isrc=catalog.isrc_a, claimant_holder_id=catalog.label
    )
    earlier = td.approved(
        iswc=catalog.iswc, territories=["WORLD"], claimant_holder_id=catalog.publisher
    )
    found = withdrawn_sales(
        session=session,
        sales=[
            sale(catalog.isrc_a, "US", datetime(2006, 12, 5, tzinfo=UTC), catalog.iswc),
            sale(catalog.isrc_a, "US", datetime(2006, 11, 5, tzinfo=UTC), catalog.iswc),
        ],
    )
    assert found == {0: earlier["id"], 1: earlier["id"]}
    assert later["id"] != earlier["id"]


def test_one_query_for_a_batch_of_ten_thousand(
    td: Takedowns, catalog: Catalog, session: Session
) -> None:
    us = td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    world = td.approved(
        iswc=catalog.iswc, territories=["WORLD"], claimant_holder_id=catalog.publisher
    )
    sales = [
        sale(f"ZZZ00{n:07d}", "US", T0 + n * SECOND, f"T-{n:09d}-0" if n % 2 else None)
        for n in range(9_996)
    ]
    sales += [
        sale(catalog.isrc_a, "US", T0 - SECOND, catalog.iswc),  # before both
        sale(catalog.isrc_lone, "US", T0 + SECOND),  # never taken down
        sale(catalog.isrc_b, "BR", T0 + SECOND, catalog.iswc),  # the work, worldwide
        sale(catalog.isrc_a, "US", T0 + SECOND, catalog.iswc),  # both: the older is named
    ]
    session.expire_all()
    with count_queries(session) as statements:
        found = withdrawn_sales(session=session, sales=sales)
    assert len(statements) == 1
    assert found == {9_998: world["id"], 9_999: min((us, world), key=lambda t: t["id"])["id"]}
