"""The withdrawn check of the sales path: which sales of a batch a takedown stops.

Re-exported by ``service.takedowns.service`` (the name the sales domain imports).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import or_
from sqlmodel import Session, col

from service.identifiers import WORLD
from service.sql import among, table_of
from service.takedowns.models import IN_EFFECT, Takedown, TakedownTerritory

_TAKEDOWNS = table_of(Takedown)


@dataclass(frozen=True, slots=True)
class SaleAsset:
    """What the withdrawn check needs to know about one sale of a batch."""

    isrc: str
    iswc: str | None
    territory: str
    sold_at: datetime


@dataclass(frozen=True, slots=True)
class _Window:
    takedown_id: str
    territories: frozenset[str]
    start: datetime
    end: datetime | None  # the lift's effective_at; sales from it on are fine again

    def covers(self, sale: SaleAsset) -> bool:
        return (
            (WORLD in self.territories or sale.territory in self.territories)
            and self.start <= sale.sold_at
            and (self.end is None or sale.sold_at < self.end)
        )


def withdrawn_sales(*, session: Session, sales: Sequence[SaleAsset]) -> dict[int, str]:
    """Index in ``sales`` -> id of the approved takedown that withdraws it.

    A takedown applies from its ``effective_at`` (and until lifted) in its territories;
    a work takedown covers every recording of the work. One query per batch: the
    takedowns in effect for the batch's ISRCs and ISWCs, matched in memory.
    """
    if not sales:
        return {}
    isrcs = {s.isrc for s in sales}
    iswcs = {s.iswc for s in sales if s.iswc}
    # One array parameter on PostgreSQL instead of 10,000 binds (``among``): rendering
    # those cost more than the query's execution.
    asset = among(session, _TAKEDOWNS.c.isrc, sorted(isrcs))
    if iswcs:
        asset = or_(asset, among(session, _TAKEDOWNS.c.iswc, sorted(iswcs)))
    # Plain columns, not entities: hydrating ORM objects cost more than the query itself.
    query = (
        sa.select(
            col(Takedown.id),
            col(Takedown.isrc),
            col(Takedown.iswc),
            col(Takedown.effective_at),
            col(Takedown.lift_effective_at),
            col(TakedownTerritory.territory),
        )
        .join(TakedownTerritory, col(TakedownTerritory.takedown_id) == col(Takedown.id))
        .where(col(Takedown.status).in_(IN_EFFECT), asset)
    )
    territories: dict[str, set[str]] = defaultdict(set)
    heads: dict[str, tuple[str | None, str | None, datetime | None, datetime | None]] = {}
    for takedown_id, isrc, iswc, start, end, territory in session.execute(query):
        territories[takedown_id].add(territory)
        heads[takedown_id] = (isrc, iswc, start, end)
    by_asset: dict[tuple[str, str], list[_Window]] = defaultdict(list)
    for takedown_id, (isrc, iswc, start, end) in heads.items():
        assert start is not None  # set by every approval
        window = _Window(takedown_id, frozenset(territories[takedown_id]), start, end)
        by_asset[("isrc", isrc) if isrc else ("iswc", str(iswc))].append(window)
    result: dict[int, str] = {}
    for index, sale in enumerate(sales):
        candidates = by_asset.get(("isrc", sale.isrc), [])
        if sale.iswc:
            candidates = candidates + by_asset.get(("iswc", sale.iswc), [])
        hit = min(  # several may cover it: name the oldest, so the answer is stable
            (w for w in candidates if w.covers(sale)),
            key=lambda w: (w.start, w.takedown_id),
            default=None,
        )
        if hit is not None:
            result[index] = hit.takedown_id
    return result
