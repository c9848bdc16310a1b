"""Compiled plans: what a sale books, as a function of its unit price and quantity.

Everything a sale books is fixed by its recording, territory, currency, date and the
catalog generation — except two inputs: its unit price and its quantity. A *compiled
plan* holds all of it once (per right type: the tariff's percentage, its fixed per-unit
amounts already converted into the sale's currency, the holders' shares as integer
apportionment weights with their routes, the accounts and the pre-encoded text of every
leg) and ``apply`` turns one (price, quantity) into the sale's legs with a few exact
integer operations. So a Zipf catalogue prices almost every sale from a warm plan: the
plan's key does not contain the price (the plan of issue 14 did, and 56 % of realistic
sales brought a new one).

The arithmetic is the engine's, step for step (``service.sales.pricing.engine``): the
unit royalty is the greatest candidate (percent of the price first, then the fixed
amounts, in the engine's order), rounded once half-even for the quantity
(``royalty_for_units``), and split by the largest-remainder rule over the same scaled
weights (``largest_remainder_scaled``); zeros are dropped, a price still waiting for its
FX rate shows a zero marker. ``tests/sales/test_compiled_plans.py`` holds the compiled
plans equal to the reference path (basis, ``sale_deltas``, ``legs_for``, ``prepare``) to
the micro-unit and the byte, over random catalogues, prices and quantities.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from itertools import count
from typing import Any

from service.ledger.encoding import micro_text, text_field
from service.ledger.postings import Leg, PreparedPosting, copy_text
from service.money import to_micros
from service.sales.pricing.basis import Key
from service.sales.pricing.engine.allocation import largest_remainder_scaled
from service.sales.pricing.engine.quanta import EXACT, ZERO

_SERIALS = count()
_MICROS = 1_000_000


@dataclass(slots=True)
class RightRule:
    """One right type of a plan: its unit royalty's terms and its beneficiaries' weights."""

    right_type: str
    percent: Decimal | None  # of the unit price
    fixed: tuple[Decimal, ...]  # per-unit amounts in the sale's currency (engine order)
    pending: bool  # a fixed amount waits for an FX rate: only the percentage is priced
    weights: tuple[int, ...]  # claims (by holder id) then the unclaimed rest; () if none
    weight_sum: int


@dataclass(slots=True)  # not frozen: frozen initialisation costs more, per compile
class Slot:
    """One beneficiary of one right type: a leg the plan's sales may book (shared by
    every plan with the same beneficiary, currency and share: ``compiling._slot`` is cached)."""

    key: Key
    account: str
    right_type: str
    holder_id: str | None
    society_code: str | None
    non_member: bool
    suspense_reason: str | None
    share: Decimal | None
    head: str  # the leg line up to its amount: account|currency|
    middle: str  # between sale pk and the sale's dimensions: |right type|
    tail: str  # between the dimensions and units: |holder|society|flag|suspense|share|
    copy_head: str  # the same three pieces of the leg's COPY text row (PostgreSQL)
    copy_middle: str
    copy_tail: str


@dataclass(slots=True)  # not frozen: one per sale, and frozen initialisation costs more
class Applied:
    """One sale priced by a plan: per right type its unit royalty, and its legs' quanta."""

    plan: "CompiledPlan"
    unit_price: Decimal
    units: int
    royalties: tuple[Decimal, ...]  # unit royalty per right type
    legs: tuple[tuple[Slot, int], ...]  # (beneficiary, quanta), in the legs' order
    total: int  # quanta the store's leg balances (the sum of the beneficiaries')

    @property
    def held(self) -> bool:
        return self.plan.held

    @property
    def basis_json(self) -> str:
        """The stored basis, exactly as ``json.dumps(basis.dump(basis))`` writes it."""
        pieces = self.plan.basis_pieces
        out = [pieces[0]]
        for n, royalty in enumerate(self.royalties):
            out.append(str(royalty))
            out.append(pieces[n + 1])
        return "".join(out)

    def beneficiary_legs(self) -> list[Leg]:
        """The beneficiaries' legs without the sale's dimensions (what an answer shows)."""
        return [
            Leg(
                account=slot.account,
                currency=self.plan.currency,
                amount=_decimal(quanta),
                right_type=slot.right_type,
                holder_id=slot.holder_id,
                society_code=slot.society_code,
                non_member=slot.non_member,
                suspense_reason=slot.suspense_reason,
                share=slot.share,
                units=self.units,
            )
            for slot, quanta in self.legs
        ]

    def posting(
        self,
        *,
        kind: str,
        reference: str,
        month: str,
        created_at: datetime,
        sale_pk: int,
        isrc: str,
        iswc: str | None,
        territory: str,
        store_account: str,
        store_text: str,
        as_copy: bool = False,
    ) -> PreparedPosting | None:
        """The sale's transaction (None: nothing moves), as ``prepare`` would encode the
        legs of ``legs_for`` (beneficiaries in canonical order, the store's leg last).

        ``as_copy`` (PostgreSQL): the legs as COPY text rows instead of values."""
        if not self.legs and not self.total:
            return None
        units = self.units
        gross = units * self.unit_price
        pk_text = str(sale_pk)
        dims = f"{text_field(isrc)}|{text_field(iswc)}|{text_field(territory)}"
        end = f"{units}|{micro_text(gross)}"
        lines = [
            f"{slot.head}{_micro(quanta)}|{pk_text}{slot.middle}{dims}{slot.tail}{end}"
            for slot, quanta in self.legs
        ]
        lines.append(
            f"{store_text}|{self.plan.currency_text}|{_micro(-self.total)}|{pk_text}|-|"
            f"{dims}|-|-|F|-|-|{end}"
        )
        if as_copy:
            copy = self._copy(pk_text, gross, isrc, iswc, territory, store_account)
            return PreparedPosting(kind, reference, month, False, created_at, [], lines, copy)
        values = self._values(sale_pk, gross, isrc, iswc, territory, store_account)
        return PreparedPosting(kind, reference, month, False, created_at, values, lines)

    def _copy(
        self,
        pk_text: str,
        gross: Decimal,
        isrc: str,
        iswc: str | None,
        territory: str,
        store_account: str,
    ) -> list[str]:
        dims = f"{copy_text(isrc)}\t{copy_text(iswc)}\t{copy_text(territory)}"
        end = f"{self.units}\t{to_micros(gross)}"
        rows = [
            f"{slot.copy_head}{quanta}\t{pk_text}{slot.copy_middle}{dims}{slot.copy_tail}{end}"
            for slot, quanta in self.legs
        ]
        rows.append(
            f"{copy_text(store_account)}\t{copy_text(self.plan.currency)}\t{-self.total}\t"
            f"{pk_text}\t\\N\t{dims}\t\\N\t\\N\tf\t\\N\t\\N\t{end}"
        )
        return rows

    def _values(
        self,
        sale_pk: int,
        gross: Decimal,
        isrc: str,
        iswc: str | None,
        territory: str,
        store_account: str,
    ) -> list[tuple[Any, ...]]:
        units, currency = self.units, self.plan.currency
        values: list[tuple[Any, ...]] = [
            (
                slot.account,
                currency,
                _decimal(quanta),
                sale_pk,
                slot.right_type,
                isrc,
                iswc,
                territory,
                slot.holder_id,
                slot.society_code,
                slot.non_member,
                slot.suspense_reason,
                slot.share,
                units,
                gross,
            )
            for slot, quanta in self.legs
        ]
        values.append(
            (
                store_account,
                currency,
                _decimal(-self.total),
                sale_pk,
                None,
                isrc,
                iswc,
                territory,
                None,
                None,
                False,
                None,
                None,
                units,
                gross,
            )
        )
        return values


@dataclass(slots=True)
class CompiledPlan:
    """Every sale of one recording, territory, currency and date interval alike."""

    currency: str
    currency_text: str
    held: bool
    rights: tuple[RightRule, ...]
    # Every slot with its (right type, part) position, in the legs' canonical order.
    order: tuple[tuple[tuple[int, int], Slot], ...]
    basis_pieces: tuple[str, ...]  # the basis text around each right type's unit royalty
    # Unique in the process, for callers that memoise by plan: ``id()`` is reused once a
    # plan leaves the bounded memo.
    serial: int = field(default_factory=lambda: next(_SERIALS))

    def apply(self, unit_price: Decimal, units: int) -> Applied:
        """The sale of ``units`` units at ``unit_price`` (validated: finite, not negative)."""
        royalties: list[Decimal] = []
        parts: list[list[int]] = []
        keep_zero: list[bool] = []
        for rule in self.rights:
            # As ``engine.unit_royalty``: candidates in the engine's order, the first
            # greatest (equal values written differently are stored as written).
            unit = ZERO
            if rule.percent is not None:
                unit = _FAST.multiply(rule.percent, unit_price)
                if not rule.pending:
                    for amount in rule.fixed:
                        if amount > unit:
                            unit = amount
            elif rule.fixed and not rule.pending:
                unit = max(rule.fixed)
            royalties.append(unit)
            total = _royalty_quanta(unit, units)
            if rule.weights:
                parts.append(largest_remainder_scaled(total, rule.weights, rule.weight_sum))
                keep_zero.append(False)
            else:
                parts.append([total])
                # The engine's marker: a price waiting for its FX rate shows, at zero.
                keep_zero.append(rule.pending and units > 0)
        legs = tuple(
            (slot, quanta) for (n, i), slot in self.order if (quanta := parts[n][i]) or keep_zero[n]
        )
        return Applied(self, unit_price, units, tuple(royalties), legs, sum(q for _, q in legs))


# Exact products of the few digits a price and a tariff have: a rounding would raise
# (Inexact is trapped) rather than go unnoticed; much faster than the engine's EXACT context,
# whose unbounded precision costs ~0.5 µs an operation.
_FAST = Context(prec=200, Emax=999_999, Emin=-999_999, traps=[InvalidOperation, Inexact, Overflow])


def _royalty_quanta(unit: Decimal, units: int) -> int:
    """``to_quanta(royalty_for_units(unit, units))`` in integers: ``unit * units`` rounded
    half-even to the micro-unit (both are non-negative)."""
    numerator, denominator = unit.as_integer_ratio()
    quanta, rest = divmod(numerator * units * _MICROS, denominator)
    twice = 2 * rest
    if twice > denominator or (twice == denominator and quanta & 1):
        quanta += 1
    return quanta


def _decimal(quanta: int) -> Decimal:
    return EXACT.scaleb(Decimal(quanta), -6)


def _micro(quanta: int) -> str:
    """``encoding.micro_text`` of ``quanta`` micro-units, without a Decimal."""
    sign = "-" if quanta < 0 else ""
    whole, fraction = divmod(abs(quanta), _MICROS)
    return f"{sign}{whole}.{fraction:06d}"
