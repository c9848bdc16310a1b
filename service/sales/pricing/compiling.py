"""Compiling a plan: the right types in force for a sale's recording, territory, currency
and date (``price.right_terms``) turned into a ``CompiledPlan``, with its beneficiaries'
slots (accounts and leg text, cached across plans) and its basis text pieces.

``compiled.py`` holds what a plan is and how a sale applies it; this module only builds
plans (``plans.plan_for`` calls it on a memo miss).
"""

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise

from service.ledger import accounts
from service.ledger.encoding import text_field
from service.ledger.postings import copy_text
from service.money import normalize
from service.sales.pricing.basis import Claim, sort_key
from service.sales.pricing.compiled import CompiledPlan, RightRule, Slot
from service.sales.pricing.engine.allocation import scaled_weights
from service.sales.pricing.engine.engine import MISSING_FX_RATE, UNCLAIMED_SHARE
from service.sales.pricing.engine.quanta import EXACT, ONE, ZERO, exact_sum


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
