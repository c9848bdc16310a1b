"""Share routing: which society (if any) collects a holder's share of a sale.

A mandate society first; else the territory's extended-collective-licensing society (for
a non-member); else the holder is paid directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from service.sales.pricing.engine.engine import WORLD
from service.sales.pricing.engine.quanta import require_finite


@dataclass(frozen=True, slots=True)
class ShareClaim:
    """A holder's share of one asset, right type and territory (a fraction of 1)."""

    holder_id: str
    share: Decimal

    def __post_init__(self) -> None:
        require_finite(self.share, "share")
        if not 0 <= self.share <= 1:
            raise ValueError(f"a share must be between 0 and 1: {self.share}")


@dataclass(frozen=True, slots=True)
class MandateTerms:
    """A society administers a holder's right type in some territories, over [from, to)."""

    holder_id: str
    society_code: str
    right_type: str
    territories: frozenset[str]
    valid_from: date
    valid_to: date | None

    def covers(self, *, holder_id: str, right_type: str, territory: str, on: date) -> bool:
        return (
            self.holder_id == holder_id
            and self.right_type == right_type
            and (territory in self.territories or WORLD in self.territories)
            and self.valid_from <= on
            and (self.valid_to is None or on < self.valid_to)
        )


@dataclass(frozen=True, slots=True)
class Route:
    """Who collects a share: a society (possibly for a non-member) or, if None, the holder."""

    society_code: str | None
    non_member: bool


def route_share(
    *,
    holder_id: str,
    right_type: str,
    territory: str,
    on: date,
    mandates: Sequence[MandateTerms],
    ecl_society: str | None,
) -> Route:
    """Mandate society first; else the territory's ECL society (non-member); else direct."""
    covering = [
        m
        for m in mandates
        if m.covers(holder_id=holder_id, right_type=right_type, territory=territory, on=on)
    ]
    if covering:
        # Overlapping mandates should not exist, but if they do the result must not
        # depend on query order: the most recent mandate wins, then the lowest code.
        chosen = min(covering, key=lambda m: (-m.valid_from.toordinal(), m.society_code))
        return Route(society_code=chosen.society_code, non_member=False)
    if ecl_society is not None:
        return Route(society_code=ecl_society, non_member=True)
    return Route(society_code=None, non_member=False)


@dataclass(frozen=True, slots=True)
class RoutedClaim:
    """A holder's share with the route it was given when the sale was priced."""

    holder_id: str
    share: Decimal
    society_code: str | None  # None: paid directly
    non_member: bool  # collected by an ECL society for a non-member
