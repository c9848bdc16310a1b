"""What a writer hands the ledger: a transaction (``Posting``) with its legs (``Leg``), or
one already encoded (``PreparedPosting``, from ``service.sales.pricing.compiled``)."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from service.ledger.encoding import LEG_HASHED, leg_line
from service.ledger.exceptions import Unbalanced
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


LEG_FIELDS = tuple(f.name for f in fields(Leg))
assert set(LEG_HASHED) == set(LEG_FIELDS)


@dataclass(slots=True)
class Posting:
    """A transaction in the month it belongs to (``append`` books it, see
    ``service.ledger.periods``)."""

    kind: str
    reference: str
    period: str
    legs: list[Leg]
    adjustment: bool = False
    created_at: datetime = field(default_factory=utcnow)


@dataclass(slots=True)
class PreparedPosting:
    """A posting whose legs are already encoded: each leg's row in ``LEG_HASHED`` order
    (``values``) and its canonical line (``lines``, as ``leg_line`` writes it). The legs
    balance per currency (``prepare`` checks it; a compiled plan balances by construction)."""

    kind: str
    reference: str
    period: str
    adjustment: bool
    created_at: datetime
    values: list[tuple[Any, ...]]
    lines: list[str]
    # PostgreSQL only: each leg's COPY text row from ``account`` to ``gross`` (``LEG_HASHED``
    # order, money in micro-units, escaped; see ``copy_text``), instead of ``values``: the
    # append writes it between the sequence, the period and the salt, converting nothing.
    copy: list[str] | None = None


def check_balanced(legs: Sequence[Leg]) -> None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        totals[leg.currency] += leg.amount
    off = {cur: total for cur, total in totals.items() if total != 0}
    if off:
        raise Unbalanced(f"Legs do not sum to zero: {off}")


def prepare(posting: Posting) -> PreparedPosting:
    """``posting`` encoded, after checking that its legs balance."""
    check_balanced(posting.legs)
    values = [tuple(getattr(leg, name) for name in LEG_HASHED) for leg in posting.legs]
    return PreparedPosting(
        posting.kind,
        posting.reference,
        posting.period,
        posting.adjustment,
        posting.created_at,
        values,
        [leg_line(*v) for v in values],
    )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: str | None) -> str:
    """A text value in PostgreSQL's COPY text format (None is ``\\N``)."""
    if value is None:
        return "\\N"
    # Tabs, newlines and carriage returns are not printable: the common case is one check.
    if value.isprintable() and "\\" not in value:
        return value
    return value.translate(_COPY_ESCAPES)
