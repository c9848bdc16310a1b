"""A sale's allocation basis and the money it implies (an adapter over the pure engine).

The basis of one right type of a sale is what the engine needs to allocate any number
of its units: the exact unit royalty (already converted into the sale's currency) and the
holders' shares with the route each one was given. It is fixed when the sale is priced,
so refunds reverse exactly what was booked. A suspense release *re-bases* a right type
(new shares, or a price once a missing FX rate arrives) and books the difference.

For a sale of ``n`` units of which ``k`` are refunded, what the ledger holds for it is
always ``A(n) - A(k)`` under the current basis ``A`` (``allocate_units`` per key):

* a refund of ``r`` more units books ``-(A(k + r) - A(k))`` (the engine's
  ``refund_allocations``), so refunds of every unit negate the sale exactly;
* a release from basis ``A`` to ``B`` books ``(B(n) - B(k)) - (A(n) - A(k))``, so the
  invariant holds afterwards and later refunds stay exact.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from service.sales.pricing.engine.allocation import (
    Allocation,
    allocate_routed_units,
    refund_allocations,
)
from service.sales.pricing.engine.engine import MISSING_FX_RATE, UNCLAIMED_SHARE
from service.sales.pricing.engine.routing import MandateTerms, RoutedClaim, ShareClaim

# Right types in the order results and legs list them.
RIGHT_ORDER = ("mechanical", "performance", "neighbouring")
ZERO = Decimal("0.000000")
# Routes are stored with the basis (decided on the sale date), so the engine is handed
# mandates valid from the beginning of time and any date will do.
_ANY_DAY = date.min

# (right type, society code, holder id, non_member, suspense reason): one beneficiary.
Key = tuple[str, str | None, str | None, bool, str | None]


@dataclass(frozen=True, slots=True)
class Claim:
    """A holder's share of one right type, with the route it was given."""

    holder_id: str
    share: Decimal
    society_code: str | None  # None: paid directly
    non_member: bool  # collected by an ECL society for a non-member


@dataclass(frozen=True, slots=True)
class RightBasis:
    right_type: str
    unit_royalty: Decimal  # exact, in the sale's currency
    claims: tuple[Claim, ...]  # ordered by holder id; empty: nobody known
    reason: str  # what holds the royalty when there are no claims
    tariff_id: int
    fx_rate: Decimal | None  # tariff currency -> sale currency, when they differ
    # (tariff currency, sale currency) whose rate was missing; unit_royalty is then only
    # the part that needs no rate (the percent-of-gross component, or 0).
    pending_fx: tuple[str, str] | None = None

    @property
    def holds(self) -> bool:
        """Whether some of this right type's royalty is (or may be) in suspense."""
        return self.pending_fx is not None or sum(c.share for c in self.claims) < 1


Basis = dict[str, RightBasis]


@dataclass(frozen=True, slots=True)
class Delta:
    """A change of one beneficiary's money (and of the units behind it) for one sale."""

    key: Key
    amount: Decimal
    units: int
    share: Decimal | None


def sort_key(key: Key) -> tuple[int, bool, str, str, bool, str]:
    right, society, holder, non_member, suspense = key
    return (
        RIGHT_ORDER.index(right),
        suspense is not None,
        society or "",
        holder or "",
        non_member,
        suspense or "",
    )


def _key(a: Allocation) -> Key:
    return (a.right_type, a.society_code, a.holder_id, a.non_member, a.suspense)


def _engine_inputs(
    basis: RightBasis, territory: str
) -> tuple[list[ShareClaim] | None, list[MandateTerms], str | None, str]:
    """Shares, mandates and ECL society that make the engine route exactly as stored."""
    if not basis.claims:
        return None, [], None, basis.reason
    shares = [ShareClaim(c.holder_id, c.share) for c in basis.claims]
    mandates = [
        MandateTerms(
            c.holder_id, c.society_code, basis.right_type, frozenset({territory}), _ANY_DAY, None
        )
        for c in basis.claims
        if c.society_code is not None and not c.non_member
    ]
    ecl = next((c.society_code for c in basis.claims if c.non_member), None)
    # An ECL society collects for every holder without a mandate, so a stored basis never
    # mixes ECL and direct routes; if it did, the engine would misroute the direct ones.
    if ecl is not None and any(c.society_code is None for c in basis.claims):
        raise ValueError(f"basis of {basis.right_type} mixes ECL and direct routes")
    return shares, mandates, ecl, UNCLAIMED_SHARE


def allocate(basis: RightBasis, *, units: int, territory: str) -> tuple[Allocation, ...]:
    """The engine's allocations of ``units`` units, plus a zero marker for a pending price.

    Cached: a batch prices many sales with the same basis and quantity, and the engine's
    exact apportionment is the costliest step of a batch.
    """
    return _allocate(basis, units, territory)


@lru_cache(maxsize=16_384)
def _allocate(basis: RightBasis, units: int, territory: str) -> tuple[Allocation, ...]:
    # The routes are stored with the basis: the engine allocates along them (exactly what
    # it would give re-deriving them from _engine_inputs' mandates and ECL society).
    if any(c.non_member for c in basis.claims) and any(
        c.society_code is None for c in basis.claims
    ):
        raise ValueError(f"basis of {basis.right_type} mixes ECL and direct routes")
    allocations = allocate_routed_units(
        right_type=basis.right_type,
        unit_royalty=basis.unit_royalty,
        units=units,
        claims=[
            RoutedClaim(c.holder_id, c.share, c.society_code, c.non_member) for c in basis.claims
        ]
        or None,
        suspense_reason_if_no_shares=basis.reason if not basis.claims else UNCLAIMED_SHARE,
    )
    if basis.pending_fx is not None and units > 0 and not allocations:
        allocations = [Allocation(basis.right_type, None, None, False, MISSING_FX_RATE, None, ZERO)]
    return tuple(allocations)


def _by_key(allocations: Iterable[Allocation]) -> dict[Key, Allocation]:
    return {_key(a): a for a in allocations}


def sale_deltas(basis: Basis, *, units: int, territory: str) -> list[Delta]:
    """What recording ``units`` units books: every beneficiary's part, units attached."""
    deltas = [
        Delta(_key(a), a.amount, units, a.share)
        for right in basis.values()
        for a in allocate(right, units=units, territory=territory)
    ]
    return sorted(deltas, key=lambda d: sort_key(d.key))


def refund_deltas(
    basis: Basis, *, sold: int, refunded: int, refunding: int, territory: str
) -> list[Delta]:
    """What refunding ``refunding`` more units books (negative amounts and units)."""
    deltas: list[Delta] = []
    for right in basis.values():
        shares, mandates, ecl, reason = _engine_inputs(right, territory)
        reversed_ = _by_key(
            refund_allocations(
                right_type=right.right_type,
                unit_royalty=right.unit_royalty,
                sold_units=sold,
                already_refunded=refunded,
                refunding=refunding,
                shares=shares,
                suspense_reason_if_no_shares=reason,
                territory=territory,
                on=_ANY_DAY,
                mandates=mandates,
                ecl_society=ecl,
            )
        )
        attributed = _by_key(allocate(right, units=sold, territory=territory))
        for key in attributed.keys() | reversed_.keys():
            amount = reversed_[key].amount if key in reversed_ else ZERO
            units = -refunding if key in attributed else 0
            template = reversed_.get(key) or attributed[key]
            if amount or units:
                deltas.append(Delta(key, amount, units, template.share))
    return sorted(deltas, key=lambda d: sort_key(d.key))


def release_deltas(
    old: Basis, new: Basis, *, sold: int, refunded: int, territory: str
) -> list[Delta]:
    """``(B(n) - B(k)) - (A(n) - A(k))`` per beneficiary: what moving to ``new`` books."""
    outstanding = sold - refunded
    deltas: list[Delta] = []
    for right_type in RIGHT_ORDER:
        a, b = old.get(right_type), new.get(right_type)
        if a is None or b is None or a == b or outstanding == 0:
            continue
        before = _outstanding(a, sold, refunded, territory)
        after = _outstanding(b, sold, refunded, territory)
        was = _by_key(allocate(a, units=sold, territory=territory))
        now = _by_key(allocate(b, units=sold, territory=territory))
        for key in before.keys() | after.keys() | was.keys() | now.keys():
            amount = after.get(key, ZERO) - before.get(key, ZERO)
            units = outstanding * ((key in now) - (key in was))
            template = now.get(key) or was.get(key)
            if amount or units:
                share = template.share if template is not None else None
                deltas.append(Delta(key, amount, units, share))
    return sorted(deltas, key=lambda d: sort_key(d.key))


def _outstanding(basis: RightBasis, sold: int, refunded: int, territory: str) -> dict[Key, Decimal]:
    """``A(sold) - A(refunded)`` per key."""
    amounts: dict[Key, Decimal] = {}
    for a in allocate(basis, units=sold, territory=territory):
        amounts[_key(a)] = amounts.get(_key(a), ZERO) + a.amount
    for a in allocate(basis, units=refunded, territory=territory):
        amounts[_key(a)] = amounts.get(_key(a), ZERO) - a.amount
    return amounts


# --- storage: the basis as JSON on the sale row -----------------------------------------


def dump(basis: Basis) -> dict[str, Any]:
    return {
        right_type: {
            "unit_royalty": str(b.unit_royalty),
            "claims": [[c.holder_id, str(c.share), c.society_code, c.non_member] for c in b.claims],
            "reason": b.reason,
            "tariff_id": b.tariff_id,
            "fx_rate": None if b.fx_rate is None else str(b.fx_rate),
            "pending_fx": list(b.pending_fx) if b.pending_fx else None,
        }
        for right_type, b in sorted(basis.items(), key=lambda item: RIGHT_ORDER.index(item[0]))
    }


def load(stored: Mapping[str, Any]) -> Basis:
    basis: Basis = {}
    for right_type in RIGHT_ORDER:
        raw = stored.get(right_type)
        if raw is None:
            continue
        pending = raw.get("pending_fx")
        basis[right_type] = RightBasis(
            right_type=right_type,
            unit_royalty=Decimal(raw["unit_royalty"]),
            claims=tuple(
                Claim(holder, Decimal(share), society, bool(non_member))
                for holder, share, society, non_member in raw["claims"]
            ),
            reason=raw["reason"],
            tariff_id=int(raw["tariff_id"]),
            fx_rate=None if raw.get("fx_rate") is None else Decimal(raw["fx_rate"]),
            pending_fx=(pending[0], pending[1]) if pending else None,
        )
    return basis


def holds(basis: Basis) -> bool:
    return any(b.holds for b in basis.values())
