"""Rewrites of history (issue #10, finding 4): the head row is guarded, verification
compares the chain with every pinned head and names the first bad sequence exactly."""

from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from service.ledger import repository
from service.ledger.encoding import transaction_hash
from tests.factories import Api
from tests.hardening.conftest import priced_recording
from tests.sales.conftest import Store, a_sale

HEAD_TRIGGERS = ("ledger_head_no_delete", "ledger_head_forward", "ledger_head_genesis")


@pytest.fixture
def chain(api: Api, store: Store) -> dict[str, Any]:
    """Five sales in November (sequences 1-5), November closed, two in December (6-7)."""
    holder, code = priced_recording(api)
    for _ in range(5):
        store.one(a_sale(code, sold_at="2006-11-03T10:00:00Z"))
    close = api.client.post("/v1/periods/2006-11/close", headers=api.admin)
    assert close.status_code == 201, close.text
    for _ in range(2):
        store.one(a_sale(code, sold_at="2006-12-03T10:00:00Z"))
    head = api.get("/v1/ledger/head").json()
    assert head["sequence"] == 7
    return {"holder": holder, "close": close.json()}


def unguard(session: Session, dialect: str) -> None:
    """Act as a database superuser: every trigger off, in the test's transaction only."""
    if dialect == "postgresql":
        session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        return
    for table in ("ledger_leg", "ledger_transaction"):
        for action in ("update", "delete"):
            session.execute(sa.text(f"DROP TRIGGER {table}_no_{action}"))
    for trigger in HEAD_TRIGGERS:
        session.execute(sa.text(f"DROP TRIGGER {trigger}"))


def rechain(session: Session, start: int) -> None:
    """Recompute every hash from ``start`` on and move the head: a consistent forgery."""
    txs = [(tx, legs) for tx, legs in repository.chain(session, 1000) if tx.sequence >= start]
    prev = session.execute(
        sa.text("SELECT hash FROM ledger_transaction WHERE sequence = :s"), {"s": start - 1}
    ).scalar_one()
    for tx, legs in txs:
        fields = ("sequence", "kind", "reference", "period", "adjustment", "created_at")
        new = transaction_hash(prev_hash=prev, legs=legs, **{f: getattr(tx, f) for f in fields})
        session.execute(
            sa.text("UPDATE ledger_transaction SET prev_hash = :p, hash = :h WHERE sequence = :s"),
            {"p": prev, "h": new, "s": tx.sequence},
        )
        prev = new
    session.execute(sa.text("UPDATE ledger_head SET hash = :h"), {"h": prev})


def verification(api: Api) -> dict[str, Any]:
    response = api.get("/v1/ledger/verify")
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_head SET sequence = sequence - 1",
        "UPDATE ledger_head SET hash = 'f'",
        "UPDATE ledger_head SET sequence = sequence + 1",
        "DELETE FROM ledger_head",
        "INSERT INTO ledger_head (id, sequence, hash) VALUES (2, 0, 'x')",
    ],
)
def test_the_head_row_only_moves_forward(
    session: Session, chain: dict[str, Any], statement: str
) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="ledger head"), session.begin_nested():
        session.execute(sa.text(statement))
    assert session.execute(sa.text("SELECT sequence FROM ledger_head")).scalar_one() == 7


def test_a_gap_names_the_missing_sequence(
    api: Api, session: Session, dialect: str, chain: dict[str, Any]
) -> None:
    unguard(session, dialect)
    session.execute(sa.text("DELETE FROM ledger_leg WHERE sequence = 3"))
    session.execute(sa.text("DELETE FROM ledger_transaction WHERE sequence = 3"))
    result = verification(api)
    assert (result["ok"], result["first_bad_sequence"], result["transactions"]) == (False, 3, 2)


def test_a_rewound_head_names_the_first_transaction_past_it(
    api: Api, session: Session, dialect: str, chain: dict[str, Any]
) -> None:
    unguard(session, dialect)
    session.execute(
        sa.text(
            "UPDATE ledger_head SET sequence = 6, hash = "
            "(SELECT hash FROM ledger_transaction WHERE sequence = 6)"
        )
    )
    result = verification(api)
    assert (result["ok"], result["first_bad_sequence"]) == (False, 7)


def test_deleting_a_pinned_last_transaction_and_rewinding_the_head_is_caught(
    api: Api, session: Session, dialect: str, chain: dict[str, Any]
) -> None:
    """November's close pinned sequence 5: delete 7, 6 and 5 and rewind the head to 4."""
    pinned = chain["close"]["ledger_head"]["sequence"]
    unguard(session, dialect)
    session.execute(sa.text("DELETE FROM ledger_leg WHERE sequence >= :s"), {"s": pinned})
    session.execute(sa.text("DELETE FROM ledger_transaction WHERE sequence >= :s"), {"s": pinned})
    session.execute(
        sa.text(
            "UPDATE ledger_head SET sequence = :s, hash = "
            "(SELECT hash FROM ledger_transaction WHERE sequence = :s)"
        ),
        {"s": pinned - 1},
    )
    result = verification(api)
    assert (result["ok"], result["first_bad_sequence"]) == (False, pinned)


def test_a_balanced_move_with_every_later_hash_recomputed_is_caught_by_the_close(
    api: Api, session: Session, dialect: str, chain: dict[str, Any]
) -> None:
    pinned = chain["close"]["ledger_head"]["sequence"]
    unguard(session, dialect)
    # Move 1.00 from the store to the holder inside transaction 2: still balanced.
    session.execute(
        sa.text(
            "UPDATE ledger_leg SET amount = amount + (CASE WHEN account LIKE 'store:%' "
            "THEN -1000000 ELSE 1000000 END) WHERE sequence = 2"
        )
    )
    rechain(session, 2)
    result = verification(api)
    assert result["ok"] is False
    assert result["first_bad_sequence"] == pinned  # the first hash proven different


def test_an_untouched_chain_with_pins_verifies(api: Api, chain: dict[str, Any]) -> None:
    assert verification(api) == {
        "ok": True,
        "transactions": 7,
        "head": api.get("/v1/ledger/head").json(),
        "first_bad_sequence": None,
    }
