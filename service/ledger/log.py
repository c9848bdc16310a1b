"""The log's leaves: one per ledger transaction, appended with it under the chain lock.

Leaf ``i`` is ledger transaction ``i + 1``; its bytes are ``verifier.leaf_data`` of the
transaction's header and one salted commitment per leg (``docs/transparency.md``). Legs
booked before the log existed (migration 0010) have no salt: their commitment is over an
empty salt, which hides nothing, and the document says so.
"""

import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from service.ledger import tiles
from service.ledger.encoding import LEG_HASHED, leg_line
from service.ledger.postings import PreparedPosting
from service.ledger.repository import LEGS, TRANSACTIONS
from service.proofs.merkle import leaf_hash
from service.proofs.verifier import commitment, header_bytes, header_of, leaf_data

SALT_BYTES = 16
_CHUNK = 5000


def new_salts(postings: Sequence[PreparedPosting]) -> list[list[bytes]]:
    """16 random bytes per leg, drawn with one call per batch (a syscall per leg costs
    more than the rest of the leaf)."""
    pool = os.urandom(SALT_BYTES * sum(len(p.lines) for p in postings))
    salts, at = [], 0
    for p in postings:
        salts.append(
            [
                pool[i : i + SALT_BYTES]
                for i in range(at, at + SALT_BYTES * len(p.lines), SALT_BYTES)
            ]
        )
        at += SALT_BYTES * len(p.lines)
    return salts


def append_postings(
    session: Session, first: int, postings: Sequence[PreparedPosting], salts: list[list[bytes]]
) -> None:
    """Add the leaves of ``postings`` (sequences ``first …``), catching up first on any
    transaction the tree does not hold yet (a ledger older than the log)."""
    leaves = []
    for offset, (p, leg_salts) in enumerate(zip(postings, salts, strict=True)):
        header = header_bytes(
            sequence=first + offset,
            kind=p.kind,
            reference=p.reference,
            period=p.period,
            adjustment=p.adjustment,
            created_at=p.created_at,
        )
        commitments = [commitment(s, line) for s, line in zip(leg_salts, p.lines, strict=True)]
        leaves.append(leaf_hash(leaf_data(header, commitments)))
    catch_up(session, upto=first - 1)
    tiles.append(session, first - 1, leaves)


def catch_up(session: Session, *, upto: int) -> None:
    """Extend the stored tree to the first ``upto`` ledger transactions."""
    size = tiles.stored_size(session)
    if size >= upto:
        return
    for after in range(size, upto, _CHUNK):
        hashes = [h for _, h in leaf_hashes(session, after=after, upto=min(after + _CHUNK, upto))]
        tiles.append(session, after, hashes)


def leg_commitment(leg: dict[str, Any]) -> bytes:
    line = leg_line(*(leg[name] for name in LEG_HASHED))
    return commitment(bytes(leg["salt"] or b""), line)


def transaction_leaf(tx: dict[str, Any], legs: Sequence[dict[str, Any]]) -> bytes:
    """A stored transaction's leaf hash, recomputed from its rows."""
    return leaf_hash(leaf_data(header_of(tx), [leg_commitment(leg) for leg in legs]))


def ledger_rows(
    session: Session, *, after: int, upto: int
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Transactions ``after+1 … upto`` with their legs, in sequence order."""
    txs = session.execute(
        sa.select(TRANSACTIONS)
        .where(TRANSACTIONS.c.sequence > after, TRANSACTIONS.c.sequence <= upto)
        .order_by(TRANSACTIONS.c.sequence)
    ).mappings()
    legs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = session.execute(
        sa.select(LEGS).where(LEGS.c.sequence > after, LEGS.c.sequence <= upto)
    ).mappings()
    for row in rows:
        legs[row["sequence"]].append(dict(row))
    for tx in txs.all():
        yield dict(tx), legs[tx["sequence"]]


def leaf_hashes(session: Session, *, after: int, upto: int) -> list[tuple[int, bytes]]:
    """(leaf index, leaf hash) of transactions ``after+1 … upto``, recomputed from the rows."""
    return [
        (tx["sequence"] - 1, transaction_leaf(tx, legs))
        for tx, legs in ledger_rows(session, after=after, upto=upto)
    ]
