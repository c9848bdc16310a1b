"""The pure royalty engine: tariff arithmetic, share routing and exact allocation.

No database, clock or I/O lives here, so every rule can be tested by hand. Money is
``decimal.Decimal`` throughout and is held at ``QUANTUM`` (6 fractional digits):

* per-unit royalties are exact (never rounded), because they are only a rate;
* the royalty of a sale row is rounded once, half-even, by :func:`royalty_for_units`;
* that rounded royalty is then split with the largest-remainder rule, so the parts add
  up to it exactly and no quantum is ever created or lost.

All intermediate arithmetic runs in an unbounded-precision context that traps any
rounding, so an unexpected loss of precision fails loudly instead of silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from itertools import pairwise

from service.royalties.allocation import largest_remainder

QUANTUM = Decimal("0.000001")
_QUANTUM_EXPONENT = -6

RIGHT_TYPES = frozenset({"mechanical", "performance", "neighbouring"})
WORLD = "WORLD"

UNCLAIMED_SHARE = "unclaimed_share"
UNKNOWN_RECORDING = "unknown_recording"
UNKNOWN_WORK = "unknown_work"
MISSING_FX_RATE = "missing_fx_rate"
SUSPENSE_REASONS = frozenset({UNCLAIMED_SHARE, UNKNOWN_RECORDING, UNKNOWN_WORK, MISSING_FX_RATE})

_ONE = Decimal(1)
_ZERO = Decimal(0)

# Products and sums of finite decimals are exact given enough digits; trapping Inexact
# turns any would-be rounding into an error rather than a wrong amount. (Division is
# never done in Decimal: apportionment uses integers and fractions.)
_EXACT = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
# Rounding to QUANTUM is the one place where inexactness is intended.
_ROUNDING = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation])
_QUANTA_PER_UNIT = 1_000_000  # 10 ** -_QUANTUM_EXPONENT
_scaleb = _EXACT.scaleb


# --- rounding and quanta -------------------------------------------------------------


def quantize(amount: Decimal) -> Decimal:
    """Round ``amount`` half-even to ``QUANTUM``; zero is always returned unsigned."""
    _require_finite(amount, "amount")
    rounded = amount.quantize(QUANTUM, rounding=ROUND_HALF_EVEN, context=_ROUNDING)
    # -0.000000 is a valid Decimal but a confusing amount on a statement.
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _to_quanta(amount: Decimal) -> int:
    """Whole number of quanta in ``amount``; it must already be a multiple of QUANTUM."""
    _require_finite(amount, "amount")
    # Integer arithmetic on the exact ratio: no decimal context involved.
    numerator, denominator = amount.as_integer_ratio()
    quanta, rest = divmod(numerator * _QUANTA_PER_UNIT, denominator)
    if rest:
        raise ValueError(f"{amount} has more than 6 fractional digits; quantize it first")
    return quanta


def _from_quanta(quanta: int) -> Decimal:
    return _scaleb(Decimal(quanta), _QUANTUM_EXPONENT)


def _exact_sum(values: Iterable[Decimal]) -> Decimal:
    total = _ZERO
    for value in values:
        total = _EXACT.add(total, value)
    return total


def _require_finite(value: Decimal, name: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{name} must be a finite Decimal, got {value!r}")


def _require_count(value: int, name: str) -> None:
    # bool is an int subclass; a True quantity is a bug, not one unit.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")


# --- tariffs -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TariffTerms:
    """What one unit sold owes for one right type: the greatest of the present components."""

    right_type: str
    currency: str
    percent_of_gross: Decimal | None
    per_unit: Decimal | None
    per_minute_rate: Decimal | None
    per_minute_over_seconds: int = 0

    def __post_init__(self) -> None:
        if self.right_type not in RIGHT_TYPES:
            raise ValueError(f"unknown right type {self.right_type!r}")
        components = (self.percent_of_gross, self.per_unit, self.per_minute_rate)
        if all(component is None for component in components):
            raise ValueError("a tariff needs at least one component")
        for component in components:
            if component is not None:
                _require_finite(component, "tariff component")
                if component < 0:
                    raise ValueError(f"tariff components must not be negative: {component}")
        _require_count(self.per_minute_over_seconds, "per_minute_over_seconds")


class MissingFxRate(Exception):
    """A fixed tariff amount must be converted but no rate was supplied."""

    def __init__(self, from_currency: str, to_currency: str) -> None:
        # Both currencies are the exception's args, so it pickles and compares cleanly.
        super().__init__(from_currency, to_currency)
        self.from_currency = from_currency
        self.to_currency = to_currency

    def __str__(self) -> str:
        return f"no FX rate from {self.from_currency} to {self.to_currency}"


def started_minutes(duration_s: int) -> int:
    """Playing time in minutes, any started minute counting as a whole one (301 s -> 6)."""
    _require_count(duration_s, "duration_s")
    return -(-duration_s // 60)


def unit_royalty(
    tariff: TariffTerms,
    *,
    unit_price: Decimal,
    duration_s: int | None,
    fx_rate: Decimal | None,
    sale_currency: str | None = None,
) -> Decimal:
    """Exact (unrounded) royalty owed per unit, in the sale's currency.

    ``fx_rate`` converts the tariff currency into the sale currency (1 tariff unit =
    ``fx_rate`` sale units); ``None`` means both are the same currency. Pass
    ``sale_currency`` so the engine can tell when a conversion is needed: if a fixed
    component applies, the currencies differ and ``fx_rate`` is None, MissingFxRate is
    raised. A percentage of gross never needs a rate, since it is taken from the price.
    Returns 0 when no component applies (e.g. per-minute only, duration unknown).
    """
    _require_finite(unit_price, "unit_price")
    if unit_price < 0:
        raise ValueError(f"unit_price must not be negative: {unit_price}")

    candidates: list[Decimal] = []
    if tariff.percent_of_gross is not None:
        candidates.append(_EXACT.multiply(tariff.percent_of_gross, unit_price))

    fixed = _fixed_amounts(tariff, duration_s)
    if fixed:
        rate = _conversion_rate(tariff.currency, sale_currency, fx_rate)
        candidates.extend(_EXACT.multiply(amount, rate) for amount in fixed)

    return max(candidates, default=_ZERO)


def _fixed_amounts(tariff: TariffTerms, duration_s: int | None) -> list[Decimal]:
    """Per-unit amounts in the tariff's currency, for the components that apply."""
    amounts: list[Decimal] = []
    if tariff.per_unit is not None:
        amounts.append(tariff.per_unit)
    if (
        tariff.per_minute_rate is not None
        and duration_s is not None  # unknown playing time: the per-minute rate cannot apply
        and duration_s > tariff.per_minute_over_seconds
    ):
        minutes = Decimal(started_minutes(duration_s))
        amounts.append(_EXACT.multiply(minutes, tariff.per_minute_rate))
    return amounts


def _conversion_rate(
    tariff_currency: str, sale_currency: str | None, fx_rate: Decimal | None
) -> Decimal:
    if fx_rate is None:
        if sale_currency is not None and sale_currency != tariff_currency:
            raise MissingFxRate(tariff_currency, sale_currency)
        return _ONE
    _require_finite(fx_rate, "fx_rate")
    if fx_rate <= 0:
        raise ValueError(f"fx_rate must be positive: {fx_rate}")
    if sale_currency == tariff_currency and fx_rate != 1:
        raise ValueError(f"fx_rate {fx_rate} given for a same-currency sale ({sale_currency})")
    return fx_rate


def royalty_for_units(unit_royalty: Decimal, units: int) -> Decimal:
    """Royalty of ``units`` units, rounded once (half-even) to QUANTUM."""
    _require_finite(unit_royalty, "unit_royalty")
    _require_count(units, "units")
    return quantize(_EXACT.multiply(unit_royalty, Decimal(units)))


def commission(amount: Decimal, rate: Decimal) -> Decimal:
    """A society's commission on ``amount`` at ``rate``, rounded half-even to QUANTUM."""
    _require_finite(amount, "amount")
    _require_finite(rate, "rate")
    if not 0 <= rate <= 1:
        raise ValueError(f"commission rate must be between 0 and 1: {rate}")
    return quantize(_EXACT.multiply(amount, rate))


# --- apportionment -------------------------------------------------------------------


def split_exact(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` (a multiple of QUANTUM) proportionally to ``weights``, exactly.

    Largest-remainder rule at QUANTUM (see ``allocation.largest_remainder``): the parts
    sum to ``total`` exactly, each is within one quantum of its proportional value, ties
    go to the earlier position, and a negative total splits as the mirror image of its
    magnitude.
    """
    quanta = largest_remainder(_to_quanta(total), weights)
    return [_from_quanta(q) for q in quanta]


# --- routing -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShareClaim:
    """A holder's share of one asset, right type and territory (a fraction of 1)."""

    holder_id: str
    share: Decimal

    def __post_init__(self) -> None:
        _require_finite(self.share, "share")
        if not 0 <= self.share <= 1:
            raise ValueError(f"a share must be between 0 and 1: {self.share}")


@dataclass(frozen=True, slots=True)
class MandateTerms:
    """A society administers a holder's right type in some territories, over [from, to)."""

    holder_id: str
    society_code: str
    right_type: str
    territories: frozenset[str]
    valid_from: date
    valid_to: date | None

    def covers(self, *, holder_id: str, right_type: str, territory: str, on: date) -> bool:
        return (
            self.holder_id == holder_id
            and self.right_type == right_type
            and (territory in self.territories or WORLD in self.territories)
            and self.valid_from <= on
            and (self.valid_to is None or on < self.valid_to)
        )


@dataclass(frozen=True, slots=True)
class Route:
    """Who collects a share: a society (possibly for a non-member) or, if None, the holder."""

    society_code: str | None
    non_member: bool


def route_share(
    *,
    holder_id: str,
    right_type: str,
    territory: str,
    on: date,
    mandates: Sequence[MandateTerms],
    ecl_society: str | None,
) -> Route:
    """Mandate society first; else the territory's ECL society (non-member); else direct."""
    covering = [
        m
        for m in mandates
        if m.covers(holder_id=holder_id, right_type=right_type, territory=territory, on=on)
    ]
    if covering:
        # Overlapping mandates should not exist, but if they do the result must not
        # depend on query order: the most recent mandate wins, then the lowest code.
        chosen = min(covering, key=lambda m: (-m.valid_from.toordinal(), m.society_code))
        return Route(society_code=chosen.society_code, non_member=False)
    if ecl_society is not None:
        return Route(society_code=ecl_society, non_member=True)
    return Route(society_code=None, non_member=False)


# --- allocation ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Allocation:
    """One beneficiary's part of a right type's royalty (or a suspense holding)."""

    right_type: str
    society_code: str | None
    holder_id: str | None
    non_member: bool
    suspense: str | None
    share: Decimal | None
    amount: Decimal

    @property
    def key(self) -> tuple[str | None, str | None, bool, str | None]:
        """Identifies the beneficiary; refunds are matched to sales on this key."""
        return (self.society_code, self.holder_id, self.non_member, self.suspense)


def allocate_right(
    *,
    right_type: str,
    royalty: Decimal,
    shares: Sequence[ShareClaim] | None,
    suspense_reason_if_no_shares: str,
    territory: str,
    on: date,
    mandates: Sequence[MandateTerms],
    ecl_society: str | None,
) -> list[Allocation]:
    """Split ``royalty`` (a multiple of QUANTUM) over the holders' shares, routed.

    Holders are merged (one allocation per holder) and ordered by holder id before the
    split, so largest-remainder ties never depend on the caller's query order. The rest
    (1 - sum of shares) goes to suspense as ``unclaimed_share``; with no shares at all
    the whole royalty is held under ``suspense_reason_if_no_shares``. Zero amounts are
    dropped. The amounts always sum exactly to ``royalty``.
    """
    if suspense_reason_if_no_shares not in SUSPENSE_REASONS:
        raise ValueError(f"unknown suspense reason {suspense_reason_if_no_shares!r}")
    total = _from_quanta(_to_quanta(royalty))  # validates and normalises to 6 digits

    if not shares:
        held = Allocation(right_type, None, None, False, suspense_reason_if_no_shares, None, total)
        return _non_zero([held])

    claimed = _exact_sum(c.share for c in shares)
    if claimed > 1:
        raise ValueError(f"shares total {claimed}, more than 1")
    claims = _merge_claims(shares)
    unclaimed = _EXACT.subtract(_ONE, claimed)

    # ``total`` is already a whole number of quanta: apportion them directly.
    quanta = largest_remainder(_to_quanta(total), [c.share for c in claims] + [unclaimed])
    amounts = [_from_quanta(q) for q in quanta]
    allocations = [
        _holder_allocation(right_type, claim, amount, territory, on, mandates, ecl_society)
        for claim, amount in zip(claims, amounts[:-1], strict=True)
    ]
    allocations.append(
        Allocation(right_type, None, None, False, UNCLAIMED_SHARE, unclaimed, amounts[-1])
    )
    return _non_zero(allocations)


def _merge_claims(shares: Sequence[ShareClaim]) -> list[ShareClaim]:
    """One claim per holder (shares added up), ordered by holder id."""
    merged: dict[str, Decimal] = {}
    for claim in shares:
        merged[claim.holder_id] = _EXACT.add(merged.get(claim.holder_id, _ZERO), claim.share)
    return [ShareClaim(holder, merged[holder]) for holder in sorted(merged)]


def _holder_allocation(
    right_type: str,
    claim: ShareClaim,
    amount: Decimal,
    territory: str,
    on: date,
    mandates: Sequence[MandateTerms],
    ecl_society: str | None,
) -> Allocation:
    route = route_share(
        holder_id=claim.holder_id,
        right_type=right_type,
        territory=territory,
        on=on,
        mandates=mandates,
        ecl_society=ecl_society,
    )
    return Allocation(
        right_type=right_type,
        society_code=route.society_code,
        holder_id=claim.holder_id,
        non_member=route.non_member,
        suspense=None,
        share=claim.share,
        amount=amount,
    )


def _non_zero(allocations: list[Allocation]) -> list[Allocation]:
    # If the royalty is non-zero some part is non-zero (they sum to it), so this never
    # empties the list of a non-zero royalty.
    return [a for a in allocations if a.amount != 0]


def allocate_units(
    *,
    right_type: str,
    unit_royalty: Decimal,
    units: int,
    shares: Sequence[ShareClaim] | None,
    suspense_reason_if_no_shares: str,
    territory: str,
    on: date,
    mandates: Sequence[MandateTerms],
    ecl_society: str | None,
) -> list[Allocation]:
    """``allocate_right`` of ``royalty_for_units(unit_royalty, units)``.

    Use this for a sale so that its allocations are, by construction, the ones that
    :func:`refund_allocations` reverses.
    """
    return allocate_right(
        right_type=right_type,
        royalty=royalty_for_units(unit_royalty, units),
        shares=shares,
        suspense_reason_if_no_shares=suspense_reason_if_no_shares,
        territory=territory,
        on=on,
        mandates=mandates,
        ecl_society=ecl_society,
    )


def refund_allocations(
    *,
    right_type: str,
    unit_royalty: Decimal,
    sold_units: int,
    already_refunded: int,
    refunding: int,
    shares: Sequence[ShareClaim] | None,
    suspense_reason_if_no_shares: str,
    territory: str,
    on: date,
    mandates: Sequence[MandateTerms],
    ecl_society: str | None,
) -> list[Allocation]:
    """Negative allocations reversing ``refunding`` more units of a sale.

    Cumulative differencing: allocations for ``already_refunded + refunding`` units minus
    those for ``already_refunded`` units, negated, per beneficiary key. The parts of a
    sale's refunds telescope, so refunding every unit (in any number of parts) negates the
    sale's allocations exactly per beneficiary. Pass the sale's inputs (its date, unit
    royalty and FX, and the shares and mandates in force then), not the refund's.
    """
    for value, name in (
        (sold_units, "sold_units"),
        (already_refunded, "already_refunded"),
        (refunding, "refunding"),
    ):
        _require_count(value, name)
    if already_refunded + refunding > sold_units:
        raise ValueError(
            f"cannot refund {refunding} more units of {sold_units} sold, "
            f"{already_refunded} already refunded"
        )

    def allocations_for(units: int) -> list[Allocation]:
        return allocate_units(
            right_type=right_type,
            unit_royalty=unit_royalty,
            units=units,
            shares=shares,
            suspense_reason_if_no_shares=suspense_reason_if_no_shares,
            territory=territory,
            on=on,
            mandates=mandates,
            ecl_society=ecl_society,
        )

    before = allocations_for(already_refunded)
    after = allocations_for(already_refunded + refunding)
    return _negated_difference(after, before)


def _negated_difference(after: list[Allocation], before: list[Allocation]) -> list[Allocation]:
    """``-(after - before)`` per beneficiary key, in ``after`` order, zeros dropped."""
    templates: dict[tuple[str | None, str | None, bool, str | None], Allocation] = {}
    differences: dict[tuple[str | None, str | None, bool, str | None], Decimal] = {}
    for allocation in after:
        templates.setdefault(allocation.key, allocation)
        differences[allocation.key] = _EXACT.subtract(
            differences.get(allocation.key, _ZERO), allocation.amount
        )
    for allocation in before:
        templates.setdefault(allocation.key, allocation)
        differences[allocation.key] = _EXACT.add(
            differences.get(allocation.key, _ZERO), allocation.amount
        )
    reversed_allocations = [
        replace(templates[key], amount=_from_quanta(_to_quanta(amount)))
        for key, amount in differences.items()
    ]
    return _non_zero(reversed_allocations)


# --- allocation along routes already decided ---------------------------------------------


@dataclass(frozen=True, slots=True)
class RoutedClaim:
    """A holder's share with the route it was given when the sale was priced."""

    holder_id: str
    share: Decimal
    society_code: str | None  # None: paid directly
    non_member: bool  # collected by an ECL society for a non-member


def allocate_routed_units(
    *,
    right_type: str,
    unit_royalty: Decimal,
    units: int,
    claims: Sequence[RoutedClaim] | None,
    suspense_reason_if_no_shares: str,
) -> list[Allocation]:
    """``allocate_units`` for claims whose routes are already known.

    The result is exactly that of :func:`allocate_units` given the same shares and the
    mandates and ECL society that reproduce these routes (what a stored basis records):
    the same rounding, largest-remainder split, order, unclaimed part and dropped zeros;
    only the re-derivation of each route is skipped. Each holder must appear once.
    """
    if suspense_reason_if_no_shares not in SUSPENSE_REASONS:
        raise ValueError(f"unknown suspense reason {suspense_reason_if_no_shares!r}")
    royalty = royalty_for_units(unit_royalty, units)
    total = _from_quanta(_to_quanta(royalty))
    if not claims:
        held = Allocation(right_type, None, None, False, suspense_reason_if_no_shares, None, total)
        return _non_zero([held])
    ordered = sorted(claims, key=_routed_holder)
    for claim, following in pairwise(ordered):
        if claim.holder_id == following.holder_id:
            raise ValueError(f"holder {claim.holder_id} claims twice")
    shares = [c.share for c in ordered]
    for share in shares:
        _require_finite(share, "share")
        if not 0 <= share <= 1:
            raise ValueError(f"a share must be between 0 and 1: {share}")
    claimed = _exact_sum(shares)
    if claimed > 1:
        raise ValueError(f"shares total {claimed}, more than 1")
    unclaimed = _EXACT.subtract(_ONE, claimed)
    # As allocate_right's merge writes each share: 0 + share.
    merged = [_EXACT.add(_ZERO, share) for share in shares]
    quanta = largest_remainder(_to_quanta(total), [*merged, unclaimed])
    allocations = [
        Allocation(
            right_type, c.society_code, c.holder_id, c.non_member, None, share, _from_quanta(q)
        )
        for c, share, q in zip(ordered, merged, quanta, strict=False)
    ]
    allocations.append(
        Allocation(
            right_type, None, None, False, UNCLAIMED_SHARE, unclaimed, _from_quanta(quanta[-1])
        )
    )
    return _non_zero(allocations)


def _routed_holder(claim: RoutedClaim) -> str:
    return claim.holder_id
