"""Tree-head timestamps never decrease (issue #24, break 9): a head is never dated before
its own last transaction nor before a head of a smaller tree, whatever the clocks say."""

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.ledger.models import LedgerTransaction
from service.ledger.postings import Leg, Posting
from service.ledger.service import post
from service.proofs.verifier import check_sth
from service.statements import router as statements_router
from tests.factories import Api
from tests.statements.test_end_to_end import World
from tests.transparency.conftest import post_sales


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _booked(session: Session, sequence: int) -> datetime:
    return session.exec(
        select(LedgerTransaction.created_at).where(LedgerTransaction.sequence == sequence)
    ).one()


def _head(client: TestClient, size: int | None = None) -> dict[str, object]:
    path = "/v1/transparency/sth" if size is None else f"/v1/transparency/sth/{size}"
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _payment(created_at: datetime) -> Posting:
    legs = [
        Leg(account="cash", currency="USD", amount=Decimal("-1")),
        Leg(account="society:ROMS", currency="USD", amount=Decimal("1")),
    ]
    reference = f"dates:{created_at.isoformat()}"
    return Posting("payment", reference, "2006-11", legs, created_at=created_at)


def test_an_on_demand_head_is_never_dated_before_its_last_transaction(
    client: TestClient, world: World, session: Session
) -> None:
    # Heads are dated in whole seconds; rounding down dated a head before its own last
    # transaction (booked at some fraction of a second).
    post_sales(client, world, 3)
    sth = _head(client)
    assert _when(str(sth["timestamp"])) >= _booked(session, int(str(sth["tree_size"])))


def test_the_ledger_never_dates_a_transaction_before_the_one_it_follows(
    client: TestClient, world: World, session: Session
) -> None:
    post_sales(client, world, 2)
    before = _head(client)
    size = int(str(before["tree_size"]))
    # A writer whose clock is an hour behind (another process, an NTP step).
    late = _booked(session, size) - timedelta(hours=1)
    [sequence] = post(session=session, postings=[_payment(late)])
    assert _booked(session, sequence) >= _booked(session, size)
    after = _head(client)
    assert after["tree_size"] == size + 1
    assert _when(str(after["timestamp"])) >= _when(str(before["timestamp"]))


@pytest.mark.parametrize("skew", [timedelta(0), timedelta(days=-7300)])
def test_a_close_never_signs_a_head_older_than_the_tree_or_an_earlier_head(
    client: TestClient,
    api: Api,
    world: World,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    skew: timedelta,
) -> None:
    post_sales(client, world, 4)
    on_demand = _head(client)
    # The closing process's clock: right, or far behind the one that booked the sales
    # (but still after the month, which the close insists on).
    now = max(datetime.now(UTC) + skew, datetime(2006, 12, 1, 0, 0, 0, 500_000, tzinfo=UTC))
    monkeypatch.setattr(statements_router, "utcnow", lambda: now)
    closed = client.post("/v1/periods/2006-11/close", headers=api.admin)
    assert closed.status_code == 201, closed.text
    pinned = closed.json()["ledger_head"]["sequence"]
    signed = _head(client, pinned)
    check_sth(signed, base64.b64decode(client.get("/v1/transparency/key").json()["public_key"]))
    assert _when(str(signed["timestamp"])) >= _booked(session, pinned)
    assert _when(str(signed["timestamp"])) >= _when(str(on_demand["timestamp"]))
    # A later on-demand head is not dated before the close's either.
    post_sales(client, world, 1, day="2006-12-02")
    later = _head(client)
    assert _when(str(later["timestamp"])) >= _when(str(signed["timestamp"]))
