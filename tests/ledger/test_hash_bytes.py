"""The stored hash chain, recomputed in the test from the documented encoding alone.

Nothing here calls the production encoder: every stored row is re-encoded with hashlib and
the rules written at the top of ``service/ledger/service.py``, so a change to the encoding
or to what the chain covers fails here instead of being mirrored by the expectation.
"""

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from tests.factories import Api, isrc, share
from tests.sales.conftest import Store, a_sale

GENESIS = "0" * 64
LEG_COLUMNS = (
    "account, currency, amount, sale_pk, right_type, isrc, iswc, territory, holder_id, "
    "society_code, non_member, suspense_reason, share, units, gross"
)


def _text(value: str | None) -> str:
    return "-" if value is None else f"{len(value)}:{value}"


def _micros(value: int | None) -> str:
    # Money is stored as integer micro-units; the encoding writes exactly six decimals.
    return "-" if value is None else f"{Decimal(value).scaleb(-6):.6f}"


def _flag(value: Any) -> str:
    return "T" if value in (True, 1) else "F"


def _share(value: Any) -> str:
    return "-" if value is None else format(Decimal(str(value)).normalize(), "f")


def _number(value: int | None) -> str:
    return "-" if value is None else str(value)


def _instant(value: datetime | str) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:  # SQLite keeps the UTC wall time without an offset
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _leg_line(row: Any) -> str:
    (account, currency, amount, sale_pk, right_type, isrc_, iswc, territory, holder_id) = row[:9]
    society_code, non_member, suspense_reason, part, units, gross = row[9:]
    fields = [_text(account), _text(currency), _micros(amount), _number(sale_pk)]
    fields += [_text(right_type), _text(isrc_), _text(iswc), _text(territory), _text(holder_id)]
    fields += [_text(society_code), _flag(non_member), _text(suspense_reason), _share(part)]
    fields += [_number(units), _micros(gross)]
    return "|".join(fields)


def _expected_hash(session: Session, tx: Any, prev_hash: str) -> str:
    legs = session.execute(
        sa.text(f"SELECT {LEG_COLUMNS} FROM ledger_leg WHERE sequence = :s"), {"s": tx.sequence}
    ).all()
    header = "|".join(
        (
            str(tx.sequence),
            _text(tx.kind),
            _text(tx.reference),
            _text(tx.period),
            _flag(tx.adjustment),
            _instant(tx.created_at),
        )
    )
    content = "v2\n" + header + "\n" + "\n".join(sorted(_leg_line(leg) for leg in legs))
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def test_every_stored_hash_is_the_documented_sha256(
    api: Api, store: Store, session: Session
) -> None:
    # A society member, a direct holder, a split work, an unknown recording and a refund:
    # legs with and without holder, society, share, units and sale fields.
    api.society(code="ROMS", country="RU", currency="RUB", right_types=["mechanical"])
    member, label = api.holder()["id"], api.holder(kind="label")["id"]
    api.mandate(holder_id=member, society_code="ROMS", right_type="mechanical", territories=["RU"])
    for right_type, rate in (("mechanical", "0.15"), ("neighbouring", "0.25")):
        api.tariff(territory="RU", right_type=right_type, currency="USD", percent_of_gross=rate)
    recording, work = isrc(), "T-034.524.680-1"
    api.work(work, [share(member, "mechanical", "0.5"), share(label, "mechanical", "0.5")])
    api.recording(recording, [share(label, "neighbouring", "1")], iswc=work)
    sold = a_sale(recording, unit_price="2.70", currency="RUB", quantity=2)
    store.batch([a_sale(recording, unit_price="0.10"), sold, a_sale(isrc(), unit_price="0.10")])
    refund = {"refund_id": "r-1", "quantity": 1, "refunded_at": "2006-11-20T00:00:00Z"}
    store.refund(sold["sale_id"], refund)
    transactions = session.execute(
        sa.text(
            "SELECT sequence, kind, reference, period, adjustment, created_at, prev_hash, hash "
            "FROM ledger_transaction ORDER BY sequence"
        )
    ).all()
    assert [(tx.sequence, tx.kind) for tx in transactions] == [
        (1, "sale"),
        (2, "sale"),
        (3, "sale"),
        (4, "refund"),
    ]
    prev = GENESIS
    for tx in transactions:
        assert tx.prev_hash == prev
        assert tx.hash == _expected_hash(session, tx, prev), tx.sequence
        prev = tx.hash
    assert api.get("/v1/ledger/head").json() == {"sequence": 4, "hash": prev}
