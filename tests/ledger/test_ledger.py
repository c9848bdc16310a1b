"""The ledger through HTTP: balances, head, verification, tampering, append-only rows."""

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from service.ledger.encoding import canonical_content, leg_line, transaction_hash
from service.ledger.models import GENESIS_HASH
from tests.factories import Api, bearer, isrc, share
from tests.sales.conftest import Store, a_sale, balance

D = Decimal


@pytest.fixture
def booked(api: Api, store: Store) -> dict[str, Any]:
    """Three sales: a society, a direct holder and suspense each get money."""
    api.society(code="ROMS", country="RU", currency="RUB", right_types=["mechanical"])
    member, label = api.holder()["id"], api.holder(kind="label")["id"]
    api.mandate(holder_id=member, society_code="ROMS", right_type="mechanical", territories=["RU"])
    api.tariff(territory="RU", right_type="mechanical", currency="USD", percent_of_gross="0.15")
    api.tariff(territory="RU", right_type="neighbouring", currency="USD", percent_of_gross="0.25")
    recording = isrc()
    api.work("T-034.524.680-1", [share(member, "mechanical", "1")])
    api.recording(recording, [share(label, "neighbouring", "1")], iswc="T-034.524.680-1")
    store.batch(
        [
            a_sale(recording, unit_price="0.10"),
            a_sale(recording, unit_price="2.70", currency="RUB", quantity=2),
            a_sale(isrc(), unit_price="0.10"),
        ]
    )
    return {"member": member, "label": label}


def test_balances_per_party_and_currency(api: Api, store: Store, booked: dict[str, Any]) -> None:
    # 0.10 USD: 0.015 mechanical, 0.025 neighbouring; 5.40 RUB: 0.81 and 1.35.
    assert api.get("/v1/balances", party="society:ROMS").json() == {
        "party": "society:ROMS",
        "balances": [
            {"currency": "RUB", "amount": "0.810000"},
            {"currency": "USD", "amount": "0.015000"},
        ],
    }
    assert balance(api, f"holder:{booked['label']}", "RUB") == D("1.35")
    assert balance(api, f"holder:{booked['label']}", "USD") == D("0.025")
    # The unknown recording's 0.04 USD is held; the store owes everything.
    assert balance(api, f"store:{store.code}", "USD") == D("-0.08")
    assert balance(api, f"store:{store.code}", "RUB") == D("-2.16")
    # A store sees its own balances without naming itself, and nobody else's.
    own = store.get("/v1/balances").json()
    assert own["party"] == f"store:{store.code}"
    assert store.get("/v1/balances", party="society:ROMS").status_code == 404


def test_every_transaction_balances_per_currency(session: Session, booked: dict[str, Any]) -> None:
    rows = session.execute(
        sa.text(
            "SELECT sequence, currency, sum(amount) FROM ledger_leg GROUP BY sequence, currency"
        )
    ).all()
    assert len(rows) == 3
    assert all(total == 0 for _, _, total in rows)


def test_head_and_verify_on_an_intact_chain(api: Api, booked: dict[str, Any]) -> None:
    head = api.get("/v1/ledger/head").json()
    assert head["sequence"] == 3
    assert len(head["hash"]) == 64
    verification = api.get("/v1/ledger/verify").json()
    assert verification == {
        "ok": True,
        "transactions": 3,
        "head": head,
        "first_bad_sequence": None,
    }


def test_empty_chain_head(api: Api) -> None:
    assert api.get("/v1/ledger/head").json() == {"sequence": 0, "hash": GENESIS_HASH}
    assert api.get("/v1/ledger/verify").json()["ok"] is True


def test_verify_is_admin_only(store: Store) -> None:
    assert store.get("/v1/ledger/verify").status_code == 403
    assert store.get("/v1/ledger/head").status_code == 200
    assert store.client.get("/v1/ledger/head").status_code == 401


def _unguard(session: Session, dialect: str) -> None:
    """Lift the append-only triggers inside the test's transaction (rolled back after)."""
    if dialect == "postgresql":
        session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    else:
        for table in ("ledger_leg", "ledger_transaction"):
            for action in ("update", "delete"):
                session.execute(sa.text(f"DROP TRIGGER {table}_no_{action}"))


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE ledger_leg SET amount = amount + 1 WHERE sequence = 2 AND account LIKE 'store:%'",
        "UPDATE ledger_leg SET account = 'holder:thief' WHERE sequence = 2 AND amount > 0",
        "UPDATE ledger_transaction SET reference = 'sale:elsewhere' WHERE sequence = 2",
        "DELETE FROM ledger_leg WHERE id = (SELECT max(id) FROM ledger_leg WHERE sequence = 2)",
    ],
)
def test_verify_names_the_first_tampered_transaction(
    api: Api, session: Session, dialect: str, booked: dict[str, Any], tamper: str
) -> None:
    _unguard(session, dialect)
    session.execute(sa.text(tamper))
    verification = api.get("/v1/ledger/verify").json()
    assert verification["ok"] is False
    assert verification["first_bad_sequence"] == 2
    assert verification["transactions"] == 1  # the intact prefix


def test_a_rehashed_forgery_breaks_the_next_link(
    api: Api, session: Session, dialect: str, booked: dict[str, Any]
) -> None:
    """Recomputing a tampered transaction's own hash does not help: its successor's
    prev_hash still names the original."""
    _unguard(session, dialect)
    session.execute(
        sa.text("UPDATE ledger_transaction SET hash = :h WHERE sequence = 2"),
        {"h": hashlib.sha256(b"forged").hexdigest()},
    )
    assert api.get("/v1/ledger/verify").json()["first_bad_sequence"] == 2


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_leg SET amount = 0",
        "DELETE FROM ledger_leg",
        "UPDATE ledger_transaction SET kind = 'sale'",
        "DELETE FROM ledger_transaction",
    ],
)
def test_ledger_rows_cannot_be_updated_or_deleted(
    session: Session, booked: dict[str, Any], statement: str
) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), session.begin_nested():
        session.execute(sa.text(statement))
    assert session.execute(sa.text("SELECT count(*) FROM ledger_transaction")).scalar_one() == 3


def test_hashes_chain_each_transaction_to_the_previous(
    session: Session, booked: dict[str, Any]
) -> None:
    rows = session.execute(
        sa.text("SELECT sequence, prev_hash, hash FROM ledger_transaction ORDER BY sequence")
    ).all()
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[0][1] == GENESIS_HASH
    assert [r[1] for r in rows[1:]] == [r[2] for r in rows[:-1]]


def test_store_may_not_read_other_parties(api: Api, store: Store, booked: dict[str, Any]) -> None:
    society_token = api.key("society", "ROMS")
    mine = store.client.get("/v1/balances", headers=bearer(society_token)).json()
    assert mine["party"] == "society:ROMS"
    other = store.client.get(
        "/v1/balances", params={"party": f"store:{store.code}"}, headers=bearer(society_token)
    )
    assert other.status_code == 404


def test_ledger_tables_cannot_be_truncated_on_postgresql(
    session: Session, dialect: str, booked: dict[str, Any]
) -> None:
    if dialect != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    for table in ("ledger_leg", "ledger_transaction"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), session.begin_nested():
            session.execute(sa.text(f"TRUNCATE {table} CASCADE"))


# --- the canonical encoding ----------------------------------------------------------------


def test_the_canonical_encoding_is_fixed_and_documented() -> None:
    """Pinned: changing the encoding silently would make every existing chain unverifiable."""
    leg = dict(
        account="holder:h|1",
        currency="USD",
        amount=D("0.015"),
        sale_pk=7,
        right_type="mechanical",
        isrc="RUA010600001",
        iswc=None,
        territory="RU",
        holder_id="h|1",
        society_code=None,
        non_member=False,
        suspense_reason=None,
        share=D("0.500000"),
        units=1,
        gross=D("0.1"),
    )
    store_leg = {**leg, "account": "store:s", "amount": D("-0.015"), "holder_id": None}
    store_leg.update(right_type=None, share=None)
    lines = [leg_line(**leg), leg_line(**store_leg)]
    created = datetime(2006, 11, 3, 10, 0, tzinfo=UTC)
    content = canonical_content(1, "sale", "sale:s/o-1", "2006-11", False, created, lines)
    assert content == (
        "v2\n"
        "1|4:sale|10:sale:s/o-1|7:2006-11|F|2006-11-03T10:00:00.000000+00:00\n"
        "10:holder:h|1|3:USD|0.015000|7|10:mechanical|12:RUA010600001|-|2:RU|3:h|1|-|F|-|0.5|1"
        "|0.100000\n"
        "7:store:s|3:USD|-0.015000|7|-|12:RUA010600001|-|2:RU|-|-|F|-|-|1|0.100000"
    )
    digest = transaction_hash(
        prev_hash=GENESIS_HASH,
        sequence=1,
        kind="sale",
        reference="sale:s/o-1",
        period="2006-11",
        adjustment=False,
        created_at=created,
        legs=[store_leg, {**leg, "id": 99, "sequence": 1, "period": "2006-11"}],
    )
    # Pinned hex, computed once with hashlib over "0" * 64 + the content above: not with
    # the production function, so a change to the hashing itself fails here.
    assert digest == "9ac1872e030a6a3483b822f62de57fb3e974c40dd950fb46680a5347d5333f2e"
