"""Guards the mutation run (issue #9) found untested: unbalanced postings, a tampered head
row, and the hash encoding of adjustments, legs without a sale and non-UTC timestamps."""

import hashlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from service.ledger.exceptions import Unbalanced
from service.ledger.service import Leg, Posting, post, transaction_hash
from tests.factories import Api, isrc
from tests.hardening.test_history import unguard
from tests.sales.conftest import Store, a_sale

D = Decimal


def _transactions(session: Session) -> int:
    return session.execute(sa.text("SELECT count(*) FROM ledger_transaction")).scalar_one()


@pytest.mark.parametrize(
    "legs",
    [
        [Leg("store:s", "USD", D("-1.00")), Leg("holder:h", "USD", D("0.99"))],
        # Balanced in total, not per currency.
        [Leg("store:s", "USD", D("-1")), Leg("holder:h", "RUB", D("1"))],
    ],
    ids=["off-by-a-cent", "across-currencies"],
)
def test_a_posting_that_does_not_balance_per_currency_is_refused(
    session: Session, legs: list[Leg]
) -> None:
    before = _transactions(session)
    with pytest.raises(Unbalanced, match="do not sum to zero"):
        post(session=session, postings=[Posting("payment", "test:1", "2006-11", legs)])
    assert _transactions(session) == before


def test_a_head_row_that_disagrees_with_the_chain_fails_verification(
    api: Api, store: Store, session: Session, dialect: str
) -> None:
    api.tariff(territory="RU", right_type="mechanical", currency="USD", percent_of_gross="0.15")
    store.batch([a_sale(isrc()), a_sale(isrc())])
    intact = api.get("/v1/ledger/verify").json()
    assert intact["ok"] is True and intact["transactions"] == 2

    # Every transaction intact, but the head names a hash the chain does not end with (a
    # superuser's edit: the head row's own guard refuses it otherwise).
    unguard(session, dialect)
    session.execute(sa.text("UPDATE ledger_head SET hash = :h"), {"h": "f" * 64})
    verification = api.get("/v1/ledger/verify").json()
    assert verification["ok"] is False
    assert verification["transactions"] == 2
    assert verification["first_bad_sequence"] == 2  # the last transaction, not one past it


def test_the_encoding_of_an_adjustment_without_sale_fields_is_pinned() -> None:
    """A payment booked as an adjustment at 13:00 Moscow time (UTC+3), legs without a sale,
    share, units or gross: hashed over text written here by hand."""
    moscow = timezone(timedelta(hours=3))
    legs = [
        dict(account=account, currency="RUB", amount=amount, sale_pk=None, right_type=None)
        | dict(isrc=None, iswc=None, territory=None, holder_id=None, society_code=None)
        | dict(non_member=False, suspense_reason=None, share=None, units=None, gross=None)
        for account, amount in (("society:ROMS", D("-100.5")), ("cash", D("100.5")))
    ]
    digest = transaction_hash(
        prev_hash="a" * 64,
        sequence=42,
        kind="payment",
        reference="payment:wire-1",
        period="2006-12",
        adjustment=True,
        created_at=datetime(2006, 12, 5, 13, 0, tzinfo=moscow),
        legs=legs,
    )
    content = (
        "v2\n"
        "42|7:payment|14:payment:wire-1|7:2006-12|T|2006-12-05T10:00:00.000000+00:00\n"
        "12:society:ROMS|3:RUB|-100.500000|-|-|-|-|-|-|-|F|-|-|-|-\n"
        "4:cash|3:RUB|100.500000|-|-|-|-|-|-|-|F|-|-|-|-"
    )
    # Sorted leg lines: "12:..." sorts before "4:cash" as text.
    assert digest == hashlib.sha256(("a" * 64 + content).encode()).hexdigest()


@pytest.mark.parametrize("beyond", [5, -10], ids=["past-the-head", "before-genesis"])
def test_a_leg_naming_a_transaction_outside_the_chain_fails_verification(
    api: Api, store: Store, session: Session, beyond: int
) -> None:
    """No foreign key ties a leg to its transaction (migration 0012): verify does."""
    api.tariff(territory="RU", right_type="mechanical", currency="USD", percent_of_gross="0.15")
    store.batch([a_sale(isrc())])
    head = api.get("/v1/ledger/verify").json()
    assert head["ok"] is True
    orphan = head["transactions"] + beyond if beyond > 0 else beyond
    session.execute(
        sa.text(
            "INSERT INTO ledger_leg (sequence, period, account, currency, amount, non_member) "
            "VALUES (:sequence, '2006-11', 'holder:x', 'USD', 1000000, false)"
        ),
        {"sequence": orphan},
    )
    verification = api.get("/v1/ledger/verify").json()
    assert verification["ok"] is False
    assert verification["first_bad_sequence"] == orphan
