"""A batch's fresh sales priced by compiled plans, before the ledger chain's lock.

A sale's plan (``service.sales.pricing.compiled``) depends on its recording, territory,
currency and date, never on its price or quantity. Plans are memoised per catalog
generation (``service.sales.pricing.generation``) at two levels: by (ISRC, territory,
currency, date), one dictionary look-up for a sale like an earlier one, and by what the
plan is made of (each right type's tariff, FX rate and routed shares' validity interval),
so the thirty days of a month share one plan where nothing changed between them. Pricing
a sale is then a look-up and ``CompiledPlan.apply``; everything here reads, nothing writes.
"""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from service.bounds import MAX_MONEY
from service.sales.intake.classification import Batch, rejected
from service.sales.pricing.basis import Claim
from service.sales.pricing.compiled import Applied, CompiledPlan
from service.sales.pricing.compiling import RightTerms, compile_plan
from service.sales.pricing.engine.engine import MISSING_FX_RATE, fixed_amounts
from service.sales.pricing.engine.quanta import to_quanta
from service.sales.pricing.price import (
    SaleFacts,
    Snapshot,
    claims_key,
    fixed_terms,
    load_snapshot,
    resolve_claims,
    sale_date,
)
from service.sales.schemas import SaleIn

_MAX_QUANTA = to_quanta(MAX_MONEY)


@dataclass(slots=True)
class Pricing:
    """The fresh sales of a batch, priced against one snapshot (``applied`` None: no
    tariff covers the sale, it is unlicensed)."""

    snap: Snapshot
    sales: list[tuple[int, SaleIn, Applied | None]]


def price(session: Session, batch: Batch, fresh: list[int]) -> Pricing | None:
    """Every fresh sale priced from one snapshot (reads only: no lock needed)."""
    valid = [(i, sale) for i in fresh if (sale := batch.rows[i].sale) is not None]
    if not valid:
        return None
    snap = load_snapshot(session=session, sales=[sale for _, sale in valid])
    priced_sales: list[tuple[int, SaleIn, Applied | None]] = []
    for i, sale in valid:
        plan = plan_for(sale, snap)
        applied = None if plan is None else plan.apply(sale.unit_price, sale.quantity)
        priced_sales.append((i, sale, applied))
    return Pricing(snap, priced_sales)


def plan_for(sale: SaleFacts, snap: Snapshot) -> CompiledPlan | None:
    """The sale's compiled plan; None when no tariff of any right type is in force."""
    on = sale_date(sale.sold_at)
    by_day = snap.generation.memo_plans
    key = (sale.isrc, sale.territory, sale.currency, on)
    plan: CompiledPlan | None = by_day.get(key, _MISSING)
    if plan is _MISSING:
        plan = by_day[key] = _plan_of(sale, snap, on)
    return plan


_MISSING: CompiledPlan = object()  # type: ignore[assignment]


def _plan_of(sale: SaleFacts, snap: Snapshot, on: date) -> CompiledPlan | None:
    tariffs = snap.tariffs_on(sale.territory, on)
    if not tariffs:
        return None
    recording = snap.recording(sale.isrc)
    duration = recording.duration_s if recording else None
    parts: list[tuple[object, ...]] = []
    for right_type, tariff in tariffs:
        rate, pending = fixed_terms(tariff, sale, snap, on, duration)
        claims: object = MISSING_FX_RATE if pending else claims_key(sale, right_type, snap, on)
        parts.append((tariff.id, duration, rate, None if rate is None else str(rate), claims))
    made_of = (sale.currency, tuple(parts))
    compiled = snap.generation.memo_compiled
    plan: CompiledPlan | None = compiled.get(made_of)
    if plan is None:
        plan = _compile(sale, snap, on, duration)
        compiled.put(made_of, plan)
    return plan


def _compile(sale: SaleFacts, snap: Snapshot, on: date, duration: int | None) -> CompiledPlan:
    rights: list[RightTerms] = []
    for right_type, tariff in snap.tariffs_on(sale.territory, on):
        rate, pending = fixed_terms(tariff, sale, snap, on, duration)
        fixed = tuple(fixed_amounts(tariff.terms, duration))
        claims: tuple[Claim, ...] = ()
        if pending is not None:
            reason = MISSING_FX_RATE
        else:
            claims, reason = resolve_claims(sale, right_type, snap, on)
        rights.append(
            RightTerms(
                right_type=right_type,
                percent=tariff.terms.percent_of_gross,
                fixed=fixed,
                rate=rate,
                pending=pending,
                claims=claims,
                reason=reason,
                tariff_id=tariff.id,
            )
        )
    return compile_plan(currency=sale.currency, rights=rights)


Licensed = list[tuple[int, SaleIn, Applied]]


def licensed(batch: Batch, pricing: Pricing) -> Licensed:
    """The priced sales that can be booked; the others rejected (``unlicensed``, or a
    royalty too large to book)."""
    found: Licensed = []
    for i, sale, applied in pricing.sales:
        if applied is None:
            batch.results[i] = rejected(
                sale.sale_id,
                "unlicensed",
                f"No tariff of any right type covers {sale.territory} "
                f"on {sale_date(sale.sold_at)}.",
            )
        elif applied.total > _MAX_QUANTA:
            # The store's leg is the sum of every beneficiary's: the largest amount one
            # row books. A tariff times a quantity can exceed what a BIGINT of micro-units
            # holds; that row alone is refused, the rest of the batch is recorded.
            batch.results[i] = rejected(
                sale.sale_id,
                "invalid",
                f"The royalty of {sale.quantity} units exceeds {MAX_MONEY} {sale.currency}; "
                "send fewer units per sale.",
                errors=[{"loc": ["quantity"], "msg": "royalty too large to book"}],
            )
        else:
            found.append((i, sale, applied))
    return found
