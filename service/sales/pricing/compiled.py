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

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from functools import lru_cache
from itertools import count, pairwise
from typing import Any

from service.ledger import accounts
from service.ledger.encoding import micro_text, text_field
from service.ledger.postings import Leg, PreparedPosting, copy_text
from service.money import normalize, to_micros
from service.sales.pricing.basis import Claim, Key, sort_key
from service.sales.pricing.engine.allocation import largest_remainder_scaled, scaled_weights
from service.sales.pricing.engine.engine import MISSING_FX_RATE, UNCLAIMED_SHARE
from service.sales.pricing.engine.quanta import EXACT, ONE, ZERO, exact_sum

_SERIALS = count()
_UNIT = "@@unit-royalty-{}@@"  # where a right type's unit royalty goes in the basis text
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
    every plan with the same beneficiary, currency and share: ``_slot`` is cached)."""

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


# --- compiling ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RightTerms:
    """What compiling one right type needs (``price.right_terms`` gathers it)."""

    right_type: str
    percent: Decimal | None
    fixed: tuple[Decimal, ...]  # in the tariff's currency
    rate: Decimal | None  # tariff currency -> sale currency, when they differ
    pending: tuple[str, str] | None
    claims: tuple[Claim, ...]
    reason: str
    tariff_id: int


def compile_plan(*, currency: str, rights: list[RightTerms]) -> CompiledPlan:
    """The plan of a sale in ``currency`` whose right types in force are ``rights``."""
    rules: list[RightRule] = []
    slots: list[tuple[tuple[int, int], Slot]] = []
    for n, terms in enumerate(rights):
        claims = tuple(sorted(terms.claims, key=lambda c: c.holder_id))
        _check_routes(terms.right_type, claims)
        rate = terms.rate if terms.rate is not None else ONE
        fixed = tuple(EXACT.multiply(amount, rate) for amount in terms.fixed)
        weights: tuple[int, ...] = ()
        if claims:
            shares = [EXACT.add(ZERO, c.share) for c in claims]
            unclaimed = EXACT.subtract(ONE, exact_sum(shares))
            if unclaimed < 0:
                raise ValueError(f"shares total {exact_sum(shares)}, more than 1")
            weights = _weights([*shares, unclaimed])
            keyed = [
                _slot(
                    currency, terms.right_type, c.holder_id, s, c.society_code, c.non_member, None
                )
                for c, s in zip(claims, shares, strict=True)
            ]
            keyed.append(
                _slot(currency, terms.right_type, None, unclaimed, None, False, UNCLAIMED_SHARE)
            )
        else:
            keyed = [_slot(currency, terms.right_type, None, None, None, False, terms.reason)]
        rules.append(
            RightRule(
                terms.right_type,
                terms.percent,
                fixed,
                terms.pending is not None,
                weights,
                sum(weights),
            )
        )
        slots.extend(((n, i), slot) for i, slot in enumerate(keyed))
    order = tuple(sorted(slots, key=lambda entry: sort_key(entry[1].key)))
    return CompiledPlan(
        currency=currency,
        currency_text=text_field(currency),
        held=any(t.pending is not None or _claimed(t.claims) < 1 for t in rights),
        rights=tuple(rules),
        order=order,
        basis_pieces=_basis_pieces(rights),
    )


_SCALE = Decimal(10) ** 12  # shares are stored with at most 12 decimals (numeric(24, 12))


def _weights(shares: list[Decimal]) -> tuple[int, ...]:
    """The shares as integer weights in the same proportions. Any common scale gives the
    largest-remainder split the same parts, so shares with at most 12 decimals are simply
    scaled (exactly: at most 13 digits each); others go the engine's way."""
    found = []
    for share in shares:
        scaled = share * _SCALE
        whole = int(scaled)
        if whole != scaled:
            return tuple(scaled_weights(shares))
        found.append(whole)
    return tuple(found)


def _claimed(claims: tuple[Claim, ...]) -> Decimal:
    return sum((c.share for c in claims), Decimal(0))


def _check_routes(right_type: str, claims: tuple[Claim, ...]) -> None:
    # The engine refuses a basis that mixes ECL and direct routes (basis._allocate).
    if any(c.non_member for c in claims) and any(c.society_code is None for c in claims):
        raise ValueError(f"basis of {right_type} mixes ECL and direct routes")
    for claim, following in pairwise(claims):
        if claim.holder_id == following.holder_id:
            raise ValueError(f"holder {claim.holder_id} claims twice")


def _slot(
    currency: str,
    right_type: str,
    holder_id: str | None,
    share: Decimal | None,
    society_code: str | None,
    non_member: bool,
    suspense: str | None = None,
) -> Slot:
    account, account_text, account_copy, tail, copy_tail = _beneficiary(
        holder_id, society_code, non_member, suspense
    )
    currency_text, currency_copy, middle, copy_middle = _right(currency, right_type)
    share_text, share_copy = _share_texts(share)
    return Slot(
        key=(right_type, society_code, holder_id, non_member, suspense),
        account=account,
        right_type=right_type,
        holder_id=holder_id,
        society_code=society_code,
        non_member=non_member,
        suspense_reason=suspense,
        share=share,
        head=f"{account_text}|{currency_text}|",
        middle=middle,
        tail=f"{tail}{share_text}|",
        copy_head=f"{account_copy}\t{currency_copy}\t",
        copy_middle=copy_middle,
        copy_tail=f"{copy_tail}{share_copy}\t",
    )


@lru_cache(maxsize=16_384)
def _share_texts(share: Decimal | None) -> tuple[str, str]:
    """A share as the canonical line writes it (``encoding._share``) and as COPY does."""
    if share is None:
        return "-", copy_text(None)
    return str(normalize(share) + 0), str(share)


@lru_cache(maxsize=16_384)
def _beneficiary(
    holder_id: str | None, society_code: str | None, non_member: bool, suspense: str | None
) -> tuple[str, str, str, str, str]:
    """(account, its line text, its COPY text, the line's and the COPY row's fixed text
    after the sale's dimensions up to the share): shared by every plan paying it."""
    account = accounts.beneficiary(society_code=society_code, holder_id=holder_id, reason=suspense)
    return (
        account,
        text_field(account),
        copy_text(account),
        f"|{text_field(holder_id)}|{text_field(society_code)}|{'T' if non_member else 'F'}"
        f"|{text_field(suspense)}|",
        f"\t{copy_text(holder_id)}\t{copy_text(society_code)}\t{'t' if non_member else 'f'}"
        f"\t{copy_text(suspense)}\t",
    )


@lru_cache(maxsize=256)
def _right(currency: str, right_type: str) -> tuple[str, str, str, str]:
    return (
        text_field(currency),
        copy_text(currency),
        f"|{text_field(right_type)}|",
        f"\t{copy_text(right_type)}\t",
    )


def _basis_pieces(rights: list[RightTerms]) -> tuple[str, ...]:
    """The stored basis text split around each right type's unit royalty: what
    ``json.dumps(basis.dump(basis))`` writes (the property test compares them byte for
    byte), spelled out because json.dumps of the whole basis cost a third of a compile."""
    pieces: list[str] = []
    text = "{"
    for n, t in enumerate(rights):
        pending = t.pending is not None
        claims = "" if pending else ", ".join(_claim_json(c) for c in t.claims)
        text += f'{", " if n else ""}{_q(t.right_type)}: {{"unit_royalty": "'
        pieces.append(text)
        text = (
            f'", "claims": [{claims}], "reason": {_q(MISSING_FX_RATE if pending else t.reason)}, '
            f'"tariff_id": {int(t.tariff_id)}, "fx_rate": {_nullable(t.rate)}, '
            f'"pending_fx": {_pair(t.pending)}}}'
        )
    pieces.append(text + "}")
    return tuple(pieces)


_q = json.encoder.encode_basestring_ascii  # json.dumps' own string encoder (C)


def _claim_json(claim: Claim) -> str:
    society = "null" if claim.society_code is None else _q(claim.society_code)
    non_member = "true" if claim.non_member else "false"
    return f"[{_q(claim.holder_id)}, {_q(str(claim.share))}, {society}, {non_member}]"


def _pair(pair: tuple[str, str] | None) -> str:
    return "null" if pair is None else f"[{_q(pair[0])}, {_q(pair[1])}]"


def _nullable(value: Decimal | None) -> str:
    return "null" if value is None else _q(str(value))
