"""Who may read which statement, and which of its lines: the one access rule.

Every read of statements and their lines, by the API (``/v1/statements``,
``/v1/royalties``, evidence) and by the portal (pages, overviews, downloads), goes through
these functions with the caller (Polar's ``get_readable_*``), so the rule is written once:

- an admin reads everything;
- a society reads its own statements and every line on them;
- a rights holder reads its own statements (it is paid directly) and every line on them,
  and, on society statements, only its own lines (its remittance advice).

Other reports whose rows name a party and a holder (scenarios) filter them with the same
rule, ``readable_party_rows``.
"""

import sqlalchemy as sa
from sqlmodel import Session

from service.auth.caller import Caller
from service.ledger.accounts import AccountKind, own_statement_party
from service.rights import Role
from service.sql import table_of
from service.statements.exceptions import StatementNotFound
from service.statements.models import Statement, StatementLine

LINES = table_of(StatementLine)
STATEMENTS = table_of(Statement)


def own_party(caller: Caller) -> str | None:
    """The statement party (society or holder account) the caller owns, if any."""
    return own_statement_party(role=caller.role, subject=caller.subject)


def readable_statements(caller: Caller) -> sa.ColumnElement[bool]:
    """The statements ``caller`` may read whole (over ``statement``)."""
    return _readable(caller, party=STATEMENTS.c.party)


def readable_lines(caller: Caller) -> sa.ColumnElement[bool]:
    """The statement lines ``caller`` may read (over ``statement_line`` joined to its
    ``statement``): its whole statements' lines, and a holder's own lines on society
    statements."""
    on_society = STATEMENTS.c.party_type == "society"
    return _readable(
        caller, party=STATEMENTS.c.party, holder_id=LINES.c.holder_id, on_society=on_society
    )


def readable_party_rows(
    caller: Caller, *, party: sa.ColumnElement[str], holder_id: sa.ColumnElement[str | None]
) -> sa.ColumnElement[bool]:
    """The same rule over rows of another report that name a party (an account, as a
    statement does) and a holder, e.g. a scenario's: a party's own rows, and a holder's
    own rows under a society."""
    on_society = party.like(f"{AccountKind.society}:%")
    return _readable(caller, party=party, holder_id=holder_id, on_society=on_society)


def _readable(
    caller: Caller,
    *,
    party: sa.ColumnElement[str],
    holder_id: sa.ColumnElement[str | None] | None = None,
    on_society: sa.ColumnElement[bool] | None = None,
) -> sa.ColumnElement[bool]:
    if caller.is_admin:
        return sa.true()
    own = own_party(caller)
    whole = party == own if own else sa.false()
    holder = caller.role is Role.rights_holder and caller.subject
    if holder and holder_id is not None and on_society is not None:
        return sa.or_(whole, sa.and_(on_society, holder_id == caller.subject))
    return whole


def lines_with_statements() -> sa.Join:
    """``statement_line`` joined to its ``statement``: what ``readable_lines`` filters."""
    return LINES.join(STATEMENTS, STATEMENTS.c.id == LINES.c.statement_id)


def get_readable_statement(*, session: Session, caller: Caller, statement_id: str) -> Statement:
    """The statement, if ``caller`` may read it whole; else 404 (whether or not it exists,
    so a key learns nothing about other parties)."""
    statement = session.get(Statement, statement_id)
    if statement is None or not (caller.is_admin or statement.party == own_party(caller)):
        raise StatementNotFound(f"No statement {statement_id}.")
    return statement
