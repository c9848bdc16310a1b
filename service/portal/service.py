"""What the portal's pages show, read through the other domains with the caller's scope.

A society sees the lines of its own statements, a rights holder its own lines on every
statement (its direct statements and its remittance on society statements), an admin
everything: the same scoping as ``/v1/statements`` and ``/v1/royalties``.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.auth.caller import Caller
from service.catalog.models import Recording, Share, ShareVersion, Work
from service.ledger import service as ledger
from service.ledger.models import LedgerTransaction
from service.pagination import PageParams
from service.parties.models import Society
from service.rights import Role
from service.sales.suspense import list_suspense
from service.sql import table_of
from service.statements.models import Payment, Statement, StatementLine
from service.statements.service import own_party

LINES = table_of(StatementLine)
STATEMENTS = table_of(Statement)
RELEASED_BY = {
    "unknown_recording": "the recording being registered in the catalogue (its ISRC)",
    "unknown_work": "the recording being linked to its work (PATCH its ISWC)",
    "unclaimed_share": "the missing shares being registered, so they total 1",
    "missing_fx_rate": "the missing exchange rate being published",
}


@dataclass(frozen=True, slots=True)
class Amount:
    label: str
    currency: str
    value: Decimal


@dataclass(slots=True)
class Overview:
    party: str | None
    balances: dict[str, Decimal]
    latest: Statement | None
    last_payment: Payment | None
    monthly: list[Amount]  # label = period, oldest first
    month: str | None  # the latest month with lines
    by_territory: list[Amount]
    by_right_type: list[Amount]
    top_recordings: list[Amount]
    top_works: list[Amount]
    suspense: list[dict[str, Any]] = field(default_factory=list)


def scope(caller: Caller) -> sa.ColumnElement[bool]:
    """The statement lines ``caller`` may read."""
    if caller.is_admin:
        return sa.true()
    if caller.role is Role.rights_holder:
        return LINES.c.holder_id == caller.subject
    party = own_party(caller)
    return STATEMENTS.c.party == party if party else sa.false()


def _scoped(caller: Caller, *columns: Any) -> sa.Select[Any]:
    return (
        sa.select(*columns)
        .select_from(LINES.join(STATEMENTS, STATEMENTS.c.id == LINES.c.statement_id))
        .where(scope(caller))
    )


def _sums(
    session: Session, caller: Caller, key: Any, *, month: str | None, limit: int
) -> list[Amount]:
    total = sa.func.sum(LINES.c.royalty).label("total")
    query = _scoped(caller, key.label("k"), STATEMENTS.c.currency, total).where(key.is_not(None))
    if month is not None:
        query = query.where(STATEMENTS.c.period == month)
    rows = session.execute(
        query.group_by(key, STATEMENTS.c.currency).order_by(total.desc(), key).limit(limit)
    )
    return [Amount(str(r.k), r.currency, Decimal(r.total)) for r in rows]


def _monthly(session: Session, caller: Caller) -> list[Amount]:
    periods = [
        p
        for (p,) in session.execute(
            _scoped(caller, STATEMENTS.c.period)
            .distinct()
            .order_by(STATEMENTS.c.period.desc())
            .limit(12)
        )
    ]
    if not periods:
        return []
    total = sa.func.sum(LINES.c.royalty)
    rows = session.execute(
        _scoped(caller, STATEMENTS.c.period, STATEMENTS.c.currency, total.label("total"))
        .where(STATEMENTS.c.period.in_(periods))
        .group_by(STATEMENTS.c.period, STATEMENTS.c.currency)
        .order_by(STATEMENTS.c.period, STATEMENTS.c.currency)
    )
    return [Amount(r.period, r.currency, Decimal(r.total)) for r in rows]


def _top(session: Session, caller: Caller, key: Any) -> list[Amount]:
    """The ten assets that earned most, every month together."""
    return _sums(session, caller, key, month=None, limit=10)


def _titled(session: Session, amounts: list[Amount], model: Any, key: str) -> list[Amount]:
    column = getattr(model, key)
    titles = dict(
        session.execute(
            sa.select(column, model.title).where(column.in_({a.label for a in amounts}))
        ).all()
    )
    return [Amount(f"{titles.get(a.label, '?')} ({a.label})", a.currency, a.value) for a in amounts]


def overview(*, session: Session, caller: Caller) -> Overview:
    party = own_party(caller)
    latest = last_payment = None
    balances: dict[str, Decimal] = {}
    if party is not None:
        # Other currencies net to zero once converted at close: show what is owed.
        balances = {c: v for c, v in ledger.balances(session=session, account=party).items() if v}
        latest = session.exec(
            select(Statement).where(Statement.party == party).order_by(col(Statement.period).desc())
        ).first()
        last_payment = session.exec(
            select(Payment).where(Payment.party == party).order_by(col(Payment.paid_at).desc())
        ).first()
    monthly = _monthly(session, caller)
    month = monthly[-1].label if monthly else None
    return Overview(
        party=party,
        balances=balances,
        latest=latest,
        last_payment=last_payment,
        monthly=monthly,
        month=month,
        by_territory=_sums(session, caller, LINES.c.territory, month=month, limit=50),
        by_right_type=_sums(session, caller, LINES.c.right_type, month=month, limit=10),
        top_recordings=_titled(session, _top(session, caller, LINES.c.isrc), Recording, "isrc"),
        top_works=_titled(session, _top(session, caller, LINES.c.iswc), Work, "iswc"),
        suspense=concerning_suspense(session=session, caller=caller),
    )


def holder_isrcs(session: Session, holder_id: str) -> set[str]:
    """Recordings a holder has a share in, directly or through the work."""
    assets = set(
        session.execute(
            sa.select(col(ShareVersion.asset_kind), col(ShareVersion.asset_id))
            .join(Share, col(Share.version_id) == col(ShareVersion.id))
            .where(col(Share.holder_id) == holder_id)
        ).all()
    )
    isrcs = {asset for kind, asset in assets if kind == "recording"}
    works = {asset for kind, asset in assets if kind == "work"}
    if works:
        isrcs |= set(session.exec(select(Recording.isrc).where(col(Recording.iswc).in_(works))))
    return isrcs


def concerning_suspense(*, session: Session, caller: Caller) -> list[dict[str, Any]]:
    """Money held that concerns the caller: a holder's recordings, a society's right
    types (everything for an admin), with what would release it."""
    held, _ = list_suspense(session=session, page=PageParams(limit=1000, cursor=None))
    if caller.role is Role.rights_holder and caller.subject:
        mine = holder_isrcs(session, caller.subject)
        held = [h for h in held if h.isrc in mine]
    elif caller.role is Role.society:
        society = session.get(Society, caller.subject)
        rights = set(society.right_types) if society else set()
        held = [h for h in held if h.right_type in rights]
    return [
        {**h.model_dump(), "released_by": RELEASED_BY.get(h.reason, "an operator's decision")}
        for h in held
    ]


def pinned_head_holds(*, session: Session, statement: Statement) -> bool:
    """Is the statement's pinned head the hash the ledger holds at that sequence?"""
    chain = table_of(LedgerTransaction)
    stored = session.execute(
        sa.select(chain.c.hash).where(chain.c.sequence == statement.ledger_sequence)
    ).scalar_one_or_none()
    return stored == statement.ledger_hash
