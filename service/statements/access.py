"""Who may read which statement, and which of its lines: the one access rule.

Every read of statements and their lines, by the API (``/v1/statements``,
``/v1/royalties``, evidence) and by the portal (pages, overviews, downloads), goes through
these functions with the caller (Polar's ``get_readable_*``), so the rule is written once:

- an admin reads everything;
- a society reads its own statements and every line on them;
- a rights holder reads its own statements (it is paid directly) and every line on them,
  and, on society statements, only its own lines (its remittance advice).
"""

import sqlalchemy as sa
from sqlmodel import Session

from service.auth.caller import Caller
from service.ledger.accounts import own_statement_party
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
    if caller.is_admin:
        return sa.true()
    party = own_party(caller)
    return STATEMENTS.c.party == party if party else sa.false()


def readable_lines(caller: Caller) -> sa.ColumnElement[bool]:
    """The statement lines ``caller`` may read (over ``statement_line`` joined to its
    ``statement``): its whole statements' lines, and a holder's own lines on society
    statements."""
    whole = readable_statements(caller)
    if caller.role is Role.rights_holder and caller.subject:
        remittance = sa.and_(
            STATEMENTS.c.party_type == "society", LINES.c.holder_id == caller.subject
        )
        return sa.or_(whole, remittance)
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
