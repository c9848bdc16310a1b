"""A batch's fresh sales priced into plans, before the ledger chain's lock.

A plan is what recording a sale books, shared by every sale with the same priced inputs:
the same basis, quantity, territory and currency give the same deltas, stored basis and
legs (only the sale's own dimensions differ on its legs). Plans are memoised per catalog
generation (``service.sales.pricing.generation``), so a batch prices each distinct plan once and
a sale of a known plan costs a look-up; everything here reads, nothing writes.
"""

import json
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from service.bounds import MAX_MONEY
from service.ledger.postings import Leg
from service.ledger.templates import Template
from service.sales.intake.classification import Batch, rejected
from service.sales.postings import SaleDims, legs_for, royalties
from service.sales.pricing import basis as bases
from service.sales.pricing.price import Snapshot, load_snapshot, priced, sale_date
from service.sales.schemas import RoyaltyPublic, SaleIn


@dataclass(slots=True)
class Plan:
    """One plan: its stored basis, its legs and their posting template."""

    held: bool
    basis_json: str  # the stored basis, as the JSON text the row holds
    legs: list[Leg]  # with a placeholder sale and store: only their fixed parts are used
    template: Template | None  # None: nothing moves
    amounts: Decimal  # what the legs move in all: the store's leg
    _royalties: list[RoyaltyPublic] | None = None

    def royalties(self) -> list[RoyaltyPublic]:
        """The answer's royalties (built on first use: a minimal answer never needs them)."""
        if self._royalties is None:
            self._royalties = royalties(self.legs)
        return self._royalties


def _plan(basis: bases.Basis, basis_json: str, sale: SaleIn) -> Plan:
    deltas = bases.sale_deltas(basis, units=sale.quantity, territory=sale.territory)
    # The legs of the plan's first sale; the template keeps what every sale shares (the
    # sale's pk, ISRC, ISWC, territory and gross are filled in per sale, the store's
    # balancing leg is named per batch).
    dims = SaleDims(0, "-", sale.isrc, None, sale.territory, sale.currency, sale.unit_price)
    legs = legs_for(dims, deltas, store_units=sale.quantity)
    return Plan(
        held=bases.holds(basis),
        basis_json=basis_json,
        legs=legs,
        template=Template.of(legs, balancing=len(legs) - 1) if legs else None,
        amounts=sum((abs(d.amount) for d in deltas), Decimal(0)),
    )


@dataclass(slots=True)
class Pricing:
    """The fresh sales of a batch, priced against one snapshot (``plan`` None: no tariff
    covers the sale, it is unlicensed)."""

    snap: Snapshot
    sales: list[tuple[int, SaleIn, Plan | None]]


def price(session: Session, batch: Batch, fresh: list[int]) -> Pricing | None:
    """Every fresh sale's plan from one snapshot (reads only: no lock needed)."""
    valid = [(i, sale) for i in fresh if (sale := batch.rows[i].sale) is not None]
    if not valid:
        return None
    snap = load_snapshot(session=session, sales=[sale for _, sale in valid])
    plans, stored = snap.generation.memo_plans, snap.generation.memo_stored
    priced_sales: list[tuple[int, SaleIn, Plan | None]] = []
    for i, sale in valid:
        key, basis = priced(sale, snap)
        plan = None
        if basis:
            plan_key = (key, sale.quantity, sale.territory, sale.currency)
            plan = plans.get(plan_key)
            if plan is None:
                basis_json = stored.get(key)
                if basis_json is None:  # one basis, many quantities: encoded once
                    basis_json = stored[key] = json.dumps(bases.dump(basis))
                plan = plans[plan_key] = _plan(basis, basis_json, sale)
        priced_sales.append((i, sale, plan))
    return Pricing(snap, priced_sales)


Licensed = list[tuple[int, SaleIn, Plan]]


def licensed(batch: Batch, pricing: Pricing) -> Licensed:
    """The priced sales that can be booked; the others rejected (``unlicensed``, or a
    royalty too large to book)."""
    found: Licensed = []
    for i, sale, plan in pricing.sales:
        if plan is None:
            batch.results[i] = rejected(
                sale.sale_id,
                "unlicensed",
                f"No tariff of any right type covers {sale.territory} "
                f"on {sale_date(sale.sold_at)}.",
            )
        elif plan.amounts > MAX_MONEY:
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
            found.append((i, sale, plan))
    return found
