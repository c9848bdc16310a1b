"""What an API key may do within its role: a small, explicit scope vocabulary.

A key without scopes (``None``, every key issued before scopes existed) may do all its
role allows. A key with scopes may do only what one of them names, and never more than
its role: the role check (``dependencies.require_role``) still applies on top.

- ``read``: every ``GET`` its role may make (a read-only key; an auditor's admin key).
- ``sales:write``: a store posting sales and refunds, nothing else.
- ``statements:read``: a society or holder reading its statements, payments, periods,
  remittance lines and their evidence, and the transparency log that proves them.

Routes are named by their path template (``/v1/sales/{sale_id}/refunds``), so a route
added later is open to unscoped keys (and to ``read`` for a ``GET``) only: narrow scopes
fail closed. No HTTP here; ``dependencies.current_caller`` calls :func:`allows`.
"""

from collections.abc import Iterable
from enum import StrEnum

from service.rights import Role


class Scope(StrEnum):
    read = "read"
    sales_write = "sales:write"
    statements_read = "statements:read"


READ_METHODS = frozenset({"GET", "HEAD"})

# Which roles may hold each scope (an admin may hold only ``read``: a write-limited admin
# key would still be an admin for every other write).
ROLES_OF: dict[Scope, frozenset[Role]] = {
    Scope.read: frozenset(Role),
    Scope.sales_write: frozenset({Role.store}),
    Scope.statements_read: frozenset({Role.society, Role.rights_holder}),
}

SALES_WRITES = frozenset({"/v1/sales", "/v1/refunds", "/v1/sales/{sale_id}/refunds"})
STATEMENT_READS = frozenset(
    {
        "/v1/statements",
        "/v1/statements/{statement_id}",
        "/v1/statements/{statement_id}/evidence",
        "/v1/royalties",
        "/v1/payments",
        "/v1/payments/{payment_id}",
        "/v1/periods/{period}",
    }
)
TRANSPARENCY = "/v1/transparency/"


def allows(scopes: frozenset[Scope] | None, *, method: str, route: str) -> bool:
    """Whether a key with ``scopes`` may call ``method route`` (a path template)."""
    if scopes is None:
        return True
    if method in READ_METHODS:
        if Scope.read in scopes:
            return True
        reads_statements = route in STATEMENT_READS or route.startswith(TRANSPARENCY)
        return reads_statements and Scope.statements_read in scopes
    return method == "POST" and route in SALES_WRITES and Scope.sales_write in scopes


def misfits(scopes: Iterable[Scope], role: Role) -> list[Scope]:
    """The scopes ``role`` may not hold (issuing such a key is refused)."""
    return [scope for scope in scopes if role not in ROLES_OF[scope]]


def encode(scopes: Iterable[Scope] | None) -> str | None:
    """Stored space-separated, sorted (the scope syntax of RFC 6749 §3.3)."""
    return None if scopes is None else " ".join(sorted({Scope(s).value for s in scopes}))


def decode(stored: str | None) -> frozenset[Scope] | None:
    return None if stored is None else frozenset(Scope(s) for s in stored.split())
