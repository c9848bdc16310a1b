"""The only writer of money: balanced transactions appended to a SHA-256 hash chain.

Writers take one short lock on the chain's head per batch (not per sale), hash the batch's
transactions in order in Python and append them with one COPY per table (PostgreSQL) or
one executemany (SQLite).
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.ledger.exceptions import Unbalanced
from service.ledger.models import GENESIS_HASH, LedgerHead, LedgerLeg, LedgerTransaction
from service.money import MICRO, normalize
from service.sql import copy_rows, table_of
from service.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class Leg:
    """One posting. Positive amounts are owed TO the account's party."""

    account: str
    currency: str
    amount: Decimal
    sale_pk: int | None = None
    right_type: str | None = None
    isrc: str | None = None
    iswc: str | None = None
    territory: str | None = None
    holder_id: str | None = None
    society_code: str | None = None
    non_member: bool = False
    suspense_reason: str | None = None
    share: Decimal | None = None
    units: int | None = None
    gross: Decimal | None = None


_LEG_FIELDS = tuple(f.name for f in fields(Leg))


@dataclass(slots=True)
class Posting:
    kind: str
    reference: str
    period: str
    legs: list[Leg]
    adjustment: bool = False
    created_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True)
class Head:
    sequence: int
    hash: str


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    transactions: int
    head: Head
    first_bad_sequence: int | None


LEGS = table_of(LedgerLeg)
TRANSACTIONS = table_of(LedgerTransaction)


# --- the hash chain's canonical encoding -------------------------------------------------
#
# Each transaction's hash is ``sha256(prev_hash + content)`` (hex), where ``content`` is
#
#     "v2\n" + header + "\n" + "\n".join(sorted(leg lines))
#     header   = sequence | kind | reference | period | adjustment | created_at
#     leg line = account | currency | amount | sale_pk | right_type | isrc | iswc |
#                territory | holder_id | society_code | non_member | suspense_reason |
#                share | units | gross
#
# fields joined by "|", in exactly that order, each written as: a string as
# ``<length>:<text>``; None as ``-``; a boolean as ``T``/``F``; an integer in decimal;
# ``amount``/``gross`` with exactly six decimals, ``share`` without trailing zeros (never
# in exponent notation); ``created_at`` as UTC ISO 8601 with microseconds. Strings carry
# their length, so no text can imitate a separator: the encoding is injective. Leg lines
# are sorted, so the order legs are stored or read in does not matter.
#
# Chains written before this encoding hashed a JSON document instead (``_legacy_hash``);
# ``verify`` accepts either for a transaction, so an existing chain stays verifiable.

_HASH_VERSION = "v2"
_LEG_HASHED = (
    "account",
    "currency",
    "amount",
    "sale_pk",
    "right_type",
    "isrc",
    "iswc",
    "territory",
    "holder_id",
    "society_code",
    "non_member",
    "suspense_reason",
    "share",
    "units",
    "gross",
)
assert set(_LEG_HASHED) == set(_LEG_FIELDS)


def text_field(value: str | None) -> str:
    """A string field of the canonical encoding (``<length>:<text>``, None as ``-``)."""
    return "-" if value is None else f"{len(value)}:{value}"


def micro_text(value: Decimal | None) -> str:
    """A money field of the canonical encoding (six decimals, None as ``-``)."""
    return "-" if value is None else str(value.quantize(MICRO))


_text = text_field
_micro_text = micro_text


def leg_line(
    account: str,
    currency: str,
    amount: Decimal,
    sale_pk: int | None,
    right_type: str | None,
    isrc: str | None,
    iswc: str | None,
    territory: str | None,
    holder_id: str | None,
    society_code: str | None,
    non_member: bool,
    suspense_reason: str | None,
    share: Decimal | None,
    units: int | None,
    gross: Decimal | None,
) -> str:
    """One leg's canonical line (arguments in ``_LEG_HASHED`` order)."""
    return "|".join(
        (
            _text(account),
            _text(currency),
            str(amount.quantize(MICRO)),
            "-" if sale_pk is None else str(sale_pk),
            _text(right_type),
            _text(isrc),
            _text(iswc),
            _text(territory),
            _text(holder_id),
            _text(society_code),
            "T" if non_member else "F",
            _text(suspense_reason),
            "-" if share is None else str(normalize(share)),
            "-" if units is None else str(units),
            _micro_text(gross),
        )
    )


def canonical_content(
    sequence: int,
    kind: str,
    reference: str,
    period: str,
    adjustment: bool,
    created_at: datetime,
    leg_lines: list[str],
) -> str:
    """The text a transaction's hash covers (after the previous hash); sorts ``leg_lines``."""
    leg_lines.sort()
    header = "|".join(
        (
            str(sequence),
            _text(kind),
            _text(reference),
            _text(period),
            "T" if adjustment else "F",
            created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        )
    )
    return f"{_HASH_VERSION}\n{header}\n" + "\n".join(leg_lines)


def leg_line_pieces(*values: Any) -> tuple[str, str, str]:
    """``leg_line`` of these fields in three pieces around the per-sale ones.

    With ``values`` in ``_LEG_HASHED`` order, ``leg_line(*values)`` is
    ``account | before + sale_pk + middle + isrc|iswc|territory + after + gross``
    (each in its own encoding): the pieces a template fills in per sale.
    """
    v = values
    before = f"{_text(v[1])}|{v[2].quantize(MICRO)}|"
    middle = f"|{_text(v[4])}|"
    after = (
        "|"
        + "|".join(
            (
                _text(v[8]),
                _text(v[9]),
                "T" if v[10] else "F",
                _text(v[11]),
                "-" if v[12] is None else str(normalize(v[12])),
                "-" if v[13] is None else str(v[13]),
            )
        )
        + "|"
    )
    return before, middle, after


def _digest(prev_hash: str, *content: Any) -> str:
    return hashlib.sha256((prev_hash + canonical_content(*content)).encode()).hexdigest()


def transaction_hash(
    *,
    prev_hash: str,
    sequence: int,
    kind: str,
    reference: str,
    period: str,
    adjustment: bool,
    created_at: datetime,
    legs: Sequence[Mapping[str, Any]],
) -> str:
    """SHA-256 over the previous hash and the transaction's canonical encoding (above).

    ``legs`` are mappings with at least the ``Leg`` fields (other keys are ignored).
    """
    lines = [leg_line(*(leg[name] for name in _LEG_HASHED)) for leg in legs]
    return _digest(prev_hash, sequence, kind, reference, period, adjustment, created_at, lines)


def _legacy_canonical_leg(leg: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in leg.items():
        if key in ("id", "sequence", "period"):
            continue
        if isinstance(value, Decimal):
            value = (
                str(value.quantize(MICRO)) if key in ("amount", "gross") else str(normalize(value))
            )
        out[key] = value
    return out


def _legacy_hash(
    *,
    prev_hash: str,
    sequence: int,
    kind: str,
    reference: str,
    period: str,
    adjustment: bool,
    created_at: datetime,
    legs: Sequence[Mapping[str, Any]],
) -> str:
    """The first encoding (sorted-key JSON), still accepted by ``verify`` for old chains."""
    encoded_legs = sorted(
        json.dumps(_legacy_canonical_leg(leg), sort_keys=True, separators=(",", ":"))
        for leg in legs
    )
    content = json.dumps(
        {
            "sequence": sequence,
            "kind": kind,
            "reference": reference,
            "period": period,
            "adjustment": adjustment,
            "created_at": created_at.isoformat(timespec="microseconds"),
            "legs": encoded_legs,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def check_balanced(legs: Sequence[Leg]) -> None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        totals[leg.currency] += leg.amount
    off = {cur: total for cur, total in totals.items() if total != 0}
    if off:
        raise Unbalanced(f"Legs do not sum to zero: {off}")


def lock_chain(session: Session) -> LedgerHead:
    """Take the chain's lock for the rest of the transaction (idempotent within it).

    Writers that must decide something consistently with the chain (which month a sale
    is booked in, what a month close sees) take it first, then post.
    """
    # FOR UPDATE serialises appenders on PostgreSQL; SQLite's BEGIN IMMEDIATE already does.
    # populate_existing: a head read earlier in this transaction must not mask the row the
    # lock now returns (another writer may have appended meanwhile).
    head = session.exec(
        select(LedgerHead)
        .where(LedgerHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if head is None:
        head = LedgerHead(id=1, sequence=0, hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


_TX_COLUMNS = (
    "sequence",
    "kind",
    "reference",
    "period",
    "adjustment",
    "created_at",
    "prev_hash",
    "hash",
)
_LEG_COPY_COLUMNS = ("sequence", "period", *_LEG_HASHED)


@dataclass(slots=True)
class PreparedPosting:
    """A posting whose legs are already encoded: each leg's fields in ``_LEG_HASHED``
    order (``values``) and its canonical line (``lines``, as ``leg_line`` writes it).

    For writers that build many similar legs from templates (the sales batch path); the
    legs must balance per currency, as ``post`` checks for ordinary postings.
    """

    kind: str
    reference: str
    period: str
    adjustment: bool
    created_at: datetime
    values: list[tuple[Any, ...]]
    lines: list[str]


def post(*, session: Session, postings: Sequence[Posting]) -> list[int]:
    """Append balanced postings atomically; returns their sequence numbers in order."""
    if not postings:
        return []
    prepared = []
    for posting in postings:
        check_balanced(posting.legs)
        values = [_leg_values(leg) for leg in posting.legs]
        prepared.append(
            PreparedPosting(
                posting.kind,
                posting.reference,
                posting.period,
                posting.adjustment,
                posting.created_at,
                values,
                [leg_line(*v) for v in values],
            )
        )
    return post_prepared(session=session, postings=prepared)


def post_prepared(*, session: Session, postings: Sequence[PreparedPosting]) -> list[int]:
    """Append postings whose legs are already encoded; their sequence numbers in order."""
    if not postings:
        return []
    head = lock_chain(session)
    sequence, prev_hash = head.sequence, head.hash
    first = sequence + 1
    tx_rows: list[tuple[Any, ...]] = []
    leg_rows: list[tuple[Any, ...]] = []
    for posting in postings:
        sequence += 1
        digest = _digest(
            prev_hash,
            sequence,
            posting.kind,
            posting.reference,
            posting.period,
            posting.adjustment,
            posting.created_at,
            posting.lines,
        )
        tx_rows.append(
            (
                sequence,
                posting.kind,
                posting.reference,
                posting.period,
                posting.adjustment,
                posting.created_at,
                prev_hash,
                digest,
            )
        )
        leg_rows.extend((sequence, posting.period, *v) for v in posting.values)
        prev_hash = digest
    # One COPY per table on PostgreSQL (one executemany on SQLite), whatever the batch size.
    copy_rows(session, TRANSACTIONS, _TX_COLUMNS, tx_rows)
    copy_rows(session, LEGS, _LEG_COPY_COLUMNS, leg_rows)
    head.sequence, head.hash = sequence, prev_hash
    session.add(head)
    session.flush()
    return list(range(first, sequence + 1))


def _leg_values(leg: Leg) -> tuple[Any, ...]:
    """A leg's fields in ``_LEG_HASHED`` order."""
    return (
        leg.account,
        leg.currency,
        leg.amount,
        leg.sale_pk,
        leg.right_type,
        leg.isrc,
        leg.iswc,
        leg.territory,
        leg.holder_id,
        leg.society_code,
        leg.non_member,
        leg.suspense_reason,
        leg.share,
        leg.units,
        leg.gross,
    )


def head(*, session: Session) -> Head:
    row = session.get(LedgerHead, 1)
    return Head(0, GENESIS_HASH) if row is None else Head(row.sequence, row.hash)


_LEG_COLUMNS = [c for c in LEGS.columns if c.key != "id"]


def _chain(
    session: Session, chunk: int
) -> Iterator[tuple[LedgerTransaction, list[dict[str, Any]]]]:
    after = 0
    while True:
        txs = session.exec(
            select(LedgerTransaction)
            .where(LedgerTransaction.sequence > after)
            .order_by(col(LedgerTransaction.sequence))
            .limit(chunk)
        ).all()
        if not txs:
            return
        legs: dict[int, list[dict[str, Any]]] = defaultdict(list)
        rows = session.execute(
            sa.select(*_LEG_COLUMNS).where(
                LEGS.c.sequence.between(txs[0].sequence, txs[-1].sequence)
            )
        )
        for row in rows.mappings():
            legs[row["sequence"]].append(dict(row))
        for tx in txs:
            yield tx, legs[tx.sequence]
        after = txs[-1].sequence


def verify(*, session: Session, chunk: int = 5000) -> Verification:
    """Recompute the chain from genesis; the first transaction that does not match is bad."""
    prev_hash, count, expected_sequence = GENESIS_HASH, 0, 1
    for tx, legs in _chain(session, chunk):
        content: dict[str, Any] = {
            "prev_hash": prev_hash,
            "sequence": tx.sequence,
            "kind": tx.kind,
            "reference": tx.reference,
            "period": tx.period,
            "adjustment": tx.adjustment,
            "created_at": tx.created_at,
            "legs": legs,
        }
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for leg in legs:
            totals[leg["currency"]] += leg["amount"]
        intact = (
            tx.sequence == expected_sequence
            and tx.prev_hash == prev_hash
            and (
                tx.hash == transaction_hash(**content)
                # A transaction appended before the current encoding existed.
                or tx.hash == _legacy_hash(**content)
            )
            and all(v == 0 for v in totals.values())
            and all(leg["period"] == tx.period for leg in legs)
        )
        if not intact:
            return Verification(False, count, head(session=session), tx.sequence)
        prev_hash, count, expected_sequence = tx.hash, count + 1, expected_sequence + 1
    current = head(session=session)
    ok = current.sequence == count and current.hash == prev_hash
    return Verification(ok, count, current, None if ok else count + 1)


def balances(*, session: Session, account: str) -> dict[str, Decimal]:
    """Exact balance per currency of one account, every month included."""
    rows = session.execute(
        sa.select(LEGS.c.currency, sa.func.sum(LEGS.c.amount))
        .where(LEGS.c.account == account)
        .group_by(LEGS.c.currency)
        .order_by(LEGS.c.currency)
    )
    # SUM keeps the column's Money type, so totals arrive already converted from micros.
    return {currency: Decimal(total).quantize(MICRO) for currency, total in rows}
