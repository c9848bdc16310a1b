"""Suspense: royalties that cannot be routed yet, and their release.

What is held is read from the ledger (the ``suspense:<reason>`` accounts), never from a
copy. A sale that holds something is flagged ``held``; when the catalog changes (a new
recording, a work linked, a new share version) or an admin asks after adding FX rates,
its held right types are re-based on what is now known for the ORIGINAL sale date and
the difference is booked as one ``release`` transaction per sale, in the sale's month
(or, if closed, the oldest open one). The new basis is stored in the same transaction,
under the chain lock, so an amount is released once and never twice.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from service.catalog.events import CatalogChanged, subscribe
from service.catalog.models import Recording
from service.catalog.service import RECORDING
from service.ledger import repository as ledger_repository
from service.ledger.kinds import TransactionKind
from service.ledger.models import LedgerHead
from service.ledger.service import Posting, append, lock_chain
from service.money import MICRO
from service.pagination import PageParams, paginate
from service.rights import RightType
from service.sales.models import Sale
from service.sales.postings import SaleDims, legs_for
from service.sales.pricing import basis as bases
from service.sales.pricing.price import load_snapshot, reprice
from service.sales.repository import held_sales, refunded_units
from service.sales.results import Held, HeldMoney, ReleaseCount

_CHUNK = 2000


# --- releasing ---------------------------------------------------------------------------


def release(*, session: Session, isrcs: Iterable[str] | None = None) -> ReleaseCount:
    """Re-base every held sale (of ``isrcs``, or all) and book what can now be allocated."""
    locked = lock_chain(session)  # before reading: a sale committed meanwhile is seen, not missed
    wanted = None if isrcs is None else sorted(set(isrcs))
    examined = released = 0
    after = 0
    while True:
        chunk = held_sales(session, after=after, isrcs=wanted, limit=_CHUNK)
        if not chunk:
            return ReleaseCount(examined=examined, released=released)
        examined += len(chunk)
        released += _release_chunk(session, locked, chunk)
        after = chunk[-1].id or after


def _release_chunk(session: Session, locked: LedgerHead, sales: Sequence[Sale]) -> int:
    snap = load_snapshot(session=session, sales=sales)
    refunded = refunded_units(session, (s.id for s in sales if s.id is not None))
    postings = []
    for sale in sales:
        assert sale.id is not None
        old = bases.load(sale.basis)
        new = reprice(sale, old, snap)
        if new == old:
            continue
        iswc = snap.iswc_of(sale.isrc)
        dims = SaleDims(
            sale.id,
            sale.store_code,
            sale.isrc,
            iswc,
            sale.territory,
            sale.currency,
            sale.unit_price,
        )
        deltas = bases.release_deltas(
            old,
            new,
            sold=sale.quantity,
            refunded=refunded.get(sale.id, 0),
            territory=sale.territory,
        )
        legs = legs_for(dims, deltas, store_units=None)
        if legs:
            reference = f"{TransactionKind.release}:{sale.store_code}/{sale.sale_id}"
            postings.append(Posting(TransactionKind.release, reference, sale.period, legs))
        sale.basis = bases.dump(new)
        sale.held = bases.holds(new)
        sale.iswc = iswc
        session.add(sale)
    append(session=session, postings=postings, locked=locked)
    session.flush()
    return len(postings)


def _on_catalog_change(session: Session, change: CatalogChanged) -> None:
    if change.asset_kind == RECORDING:
        isrcs = [change.asset_id]
    else:
        isrcs = list(session.exec(select(Recording.isrc).where(Recording.iswc == change.asset_id)))
    if isrcs:
        release(session=session, isrcs=isrcs)


def subscribe_to_catalog() -> None:
    """Release held sales whenever the catalog changes (``create_app`` calls this; so
    must anything else that changes the catalog without the app)."""
    subscribe(_on_catalog_change)


# --- listing -----------------------------------------------------------------------------


def list_suspense(
    *,
    session: Session,
    page: PageParams,
    reason: str | None = None,
    territory: str | None = None,
    isrc: str | None = None,
    right_type: str | None = None,
) -> tuple[list[Held], str | None]:
    held = ledger_repository.held_in_suspense(
        reason=reason,
        territory=territory,
        isrc=isrc and isrc.replace("-", "").upper(),
        right_type=right_type,
    )
    key = (held.c.suspense_reason, held.c.territory, held.c.isrc, held.c.right_type)
    # One page of distinct keys first, then every currency's amount under those keys.
    found, cursor = paginate(
        session, sa.select(*key).distinct(), key=key, params=page, convert=_text
    )
    keys = [tuple(row) for row in found]
    if not keys:
        return [], None
    amounts: dict[tuple[Any, ...], list[HeldMoney]] = defaultdict(list)
    rows = session.execute(
        sa.select(*key, held.c.currency, held.c.amount, held.c.units)
        .where(sa.tuple_(*key) >= sa.tuple_(*keys[0]), sa.tuple_(*key) <= sa.tuple_(*keys[-1]))
        .order_by(*key, held.c.currency)
    )
    for row in rows:
        amounts[tuple(row[:4])].append(
            HeldMoney(
                currency=row.currency,
                amount=Decimal(row.amount).quantize(MICRO),
                units=int(row.units or 0),
            )
        )
    data = [
        Held(
            reason=k[0],
            territory=k[1],
            isrc=k[2],
            right_type=RightType(k[3]),
            amounts=amounts[k],
        )
        for k in keys
    ]
    return data, cursor


def _text(value: Any) -> str:
    """A key column of a suspense cursor: always text (anything else was not issued here)."""
    if not isinstance(value, str):
        raise TypeError("not a key of this list")
    return value
