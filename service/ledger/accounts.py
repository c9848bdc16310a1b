"""The ledger's account names: the one place that spells them out and parses them.

An account is ``<kind>:<name>``: ``store:<code>`` (debited for what it sold),
``society:<code>`` and ``holder:<id>`` (credited with royalties), ``suspense:<reason>``
(money that cannot be routed yet), ``fx:<currency>`` (the two sides of a currency
conversion at close) and ``cash`` (payments). Every other domain builds and reads account
names through these functions, never by formatting strings itself.
"""

from dataclasses import dataclass
from enum import StrEnum

from service.rights import Role


class AccountKind(StrEnum):
    store = "store"
    society = "society"
    holder = "holder"
    suspense = "suspense"
    fx = "fx"


CASH = "cash"
# Prefixes spelled once: formatting a StrEnum member goes through Enum.__format__ (~1 µs),
# and the write path names an account for every leg it compiles.
_STORE, _SOCIETY, _HOLDER, _SUSPENSE, _FX = (f"{kind.value}:" for kind in AccountKind)


@dataclass(frozen=True, slots=True)
class Account:
    kind: AccountKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


def store(code: str) -> str:
    return _STORE + code


def society(code: str) -> str:
    return _SOCIETY + code


def holder(holder_id: str) -> str:
    return _HOLDER + holder_id


def suspense(reason: str) -> str:
    return _SUSPENSE + reason


def fx(currency: str) -> str:
    return _FX + currency


def prefix(kind: AccountKind) -> str:
    """``'society:'``: for ``LIKE``/``startswith`` over every account of a kind."""
    return f"{kind}:"


def beneficiary(*, society_code: str | None, holder_id: str | None, reason: str | None) -> str:
    """Where a royalty leg goes: suspense if it cannot be routed, else the collecting
    society, else the holder paid directly."""
    if reason is not None:
        return suspense(reason)
    if society_code is not None:
        return society(society_code)
    if holder_id is None:
        raise ValueError("a routed royalty names a society or a holder")
    return holder(holder_id)


def parse(account: str) -> Account | None:
    """``Account`` for ``kind:name``; ``None`` for ``cash`` or anything malformed."""
    kind, sep, name = account.partition(":")
    if not sep or not name or kind not in AccountKind.__members__:
        return None
    return Account(AccountKind(kind), name)


# Which account a caller of each role owns. Admins own none (they read every account).
_ROLE_KINDS = {
    Role.store: AccountKind.store,
    Role.society: AccountKind.society,
    Role.rights_holder: AccountKind.holder,
}
# Only these kinds receive statements (stores are debited, never paid out).
STATEMENT_KINDS = frozenset({AccountKind.society, AccountKind.holder})


def own_account(*, role: Role, subject: str | None) -> str | None:
    """The account a caller of ``role`` acting as ``subject`` owns, if any."""
    kind = _ROLE_KINDS.get(role)
    if kind is None or subject is None:
        return None
    return str(Account(kind, subject))


def own_statement_party(*, role: Role, subject: str | None) -> str | None:
    """The party whose statements a caller may read (a society or a directly-paid holder)."""
    kind = _ROLE_KINDS.get(role)
    if kind not in STATEMENT_KINDS or subject is None:
        return None
    return str(Account(kind, subject))
