"""What the portal's pages show, composed from the other domains' services.

The portal owns no ledger, catalogue or statement data and runs no query of its own on
them: statement figures come from ``statements.summaries`` (scoped by the statements'
one access rule), balances from the ledger, titles and shares from the catalogue, held
money from sales (``tests/portal/test_reads_through_owners.py`` checks both).
"""

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from service.auth.caller import Caller
from service.catalog import service as catalog
from service.ledger import service as ledger
from service.pagination import PageParams
from service.parties import service as parties
from service.rights import Role
from service.sales.service import list_suspense
from service.statements import summaries
from service.statements.access import own_party
from service.statements.models import Payment, Statement
from service.statements.summaries import Amount

RELEASED_BY = {
    "unknown_recording": "the recording being registered in the catalogue (its ISRC)",
    "unknown_work": "the recording being linked to its work (PATCH its ISWC)",
    "unclaimed_share": "the missing shares being registered, so they total 1",
    "missing_fx_rate": "the missing exchange rate being published",
}


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


def _titled(amounts: list[Amount], titles: dict[str, str]) -> list[Amount]:
    return [Amount(f"{titles.get(a.label, '?')} ({a.label})", a.currency, a.value) for a in amounts]


def overview(*, session: Session, caller: Caller) -> Overview:
    party = own_party(caller)
    latest = last_payment = None
    balances: dict[str, Decimal] = {}
    if party is not None:
        # Other currencies net to zero once converted at close: show what is owed.
        balances = {c: v for c, v in ledger.balances(session=session, account=party).items() if v}
        latest = summaries.latest_statement(session=session, party=party)
        last_payment = summaries.last_payment(session=session, party=party)
    monthly = summaries.monthly(session=session, caller=caller)
    month = monthly[-1].label if monthly else None
    top_isrcs = summaries.sums(session=session, caller=caller, by="isrc", month=None, limit=10)
    top_iswcs = summaries.sums(session=session, caller=caller, by="iswc", month=None, limit=10)
    isrc_titles = catalog.recording_titles(session=session, isrcs={a.label for a in top_isrcs})
    iswc_titles = catalog.work_titles(session=session, iswcs={a.label for a in top_iswcs})
    return Overview(
        party=party,
        balances=balances,
        latest=latest,
        last_payment=last_payment,
        monthly=monthly,
        month=month,
        by_territory=summaries.sums(
            session=session, caller=caller, by="territory", month=month, limit=50
        ),
        by_right_type=summaries.sums(
            session=session, caller=caller, by="right_type", month=month, limit=10
        ),
        top_recordings=_titled(top_isrcs, isrc_titles),
        top_works=_titled(top_iswcs, iswc_titles),
        suspense=concerning_suspense(session=session, caller=caller),
    )


def concerning_suspense(*, session: Session, caller: Caller) -> list[dict[str, Any]]:
    """Money held that concerns the caller: a holder's recordings, a society's right
    types (everything for an admin), with what would release it."""
    held, _ = list_suspense(session=session, page=PageParams(limit=1000, cursor=None))
    if caller.role is Role.rights_holder and caller.subject:
        mine = catalog.holder_isrcs(session=session, holder_id=caller.subject)
        held = [h for h in held if h.isrc in mine]
    elif caller.role is Role.society:
        rights = parties.society_right_types(session=session, code=caller.subject)
        held = [h for h in held if h.right_type in rights]
    return [
        {**asdict(h), "released_by": RELEASED_BY.get(h.reason, "an operator's decision")}
        for h in held
    ]


def pinned_head_holds(*, session: Session, statement: Statement) -> bool:
    """Is the statement's pinned head the hash the ledger holds at that sequence?"""
    return ledger.hash_at(session=session, sequence=statement.ledger_sequence) == (
        statement.ledger_hash
    )


@dataclass(frozen=True, slots=True)
class Names:
    """What a page of lines shows instead of bare identifiers, read through the owners."""

    recordings: dict[str, str]  # ISRC -> title
    works: dict[str, str]  # ISWC -> title
    holders: dict[str, str]  # holder id -> name


def names_of(*, session: Session, lines: list[dict[str, Any]]) -> Names:
    def named(key: str) -> set[str]:
        return {line[key] for line in lines if line.get(key)}

    return Names(
        recordings=catalog.recording_titles(session=session, isrcs=named("isrc")),
        works=catalog.work_titles(session=session, iswcs=named("iswc")),
        holders=parties.holder_names(session=session, holder_ids=named("holder_id")),
    )
