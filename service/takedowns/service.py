"""Rules of takedowns (opt-out with proof of ownership)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session


@dataclass(frozen=True, slots=True)
class SaleAsset:
    """What the withdrawn check needs to know about one sale of a batch."""

    isrc: str
    iswc: str | None
    territory: str
    sold_at: datetime


def withdrawn_sales(*, session: Session, sales: Sequence[SaleAsset]) -> dict[int, str]:
    """Index in ``sales`` -> id of the approved takedown that withdraws it.

    A takedown applies from its ``effective_at`` (and until lifted) in its territories;
    a work takedown covers every recording of the work. One query per batch, never one
    per sale. (Placeholder until the takedowns domain lands: nothing is withdrawn.)
    """
    return {}
