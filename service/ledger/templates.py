"""Posting templates: many similar transactions without encoding each leg from scratch.

A template is a transaction's legs with the per-sale dimensions (sale pk, isrc, iswc,
territory, gross) left out and their canonical text pre-encoded around them; ``fill``
turns it into a ``PreparedPosting`` for one sale, with exactly the rows and lines
``service.ledger.service.post`` would have built from the full legs.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from service.ledger.encoding import line_pieces, micro_text, text_field
from service.ledger.postings import Leg, PreparedPosting, check_balanced
from service.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class Dimensions:
    """What every leg of one sale's transaction carries."""

    sale_pk: int
    isrc: str
    iswc: str | None
    territory: str
    gross: Decimal


@dataclass(frozen=True, slots=True)
class _LegTemplate:
    """A leg without the per-sale dimensions: what every sale of the plan books alike."""

    account: str
    currency: str
    amount: Decimal
    right_type: str | None
    holder_id: str | None
    society_code: str | None
    non_member: bool
    suspense_reason: str | None
    share: Decimal | None
    units: int | None
    account_text: str
    pieces: tuple[str, str, str]  # see service.ledger.encoding.line_pieces


@dataclass(frozen=True, slots=True)
class Template:
    """A balanced transaction's legs; the balancing leg's account is given per posting
    (so one template serves every store), the others keep theirs."""

    legs: tuple[_LegTemplate, ...]
    balancing: int | None  # index of the leg whose account ``fill`` names

    @classmethod
    def of(cls, legs: list[Leg], *, balancing: int | None = None) -> "Template":
        """The template of ``legs`` (checked to balance); the per-sale dimensions of
        ``legs`` are ignored, ``fill`` supplies them."""
        check_balanced(legs)
        templates = []
        for leg in legs:
            pieces = line_pieces(
                currency=leg.currency,
                amount=leg.amount,
                right_type=leg.right_type,
                holder_id=leg.holder_id,
                society_code=leg.society_code,
                non_member=leg.non_member,
                suspense_reason=leg.suspense_reason,
                share=leg.share,
                units=leg.units,
            )
            templates.append(
                _LegTemplate(
                    leg.account,
                    leg.currency,
                    leg.amount,
                    leg.right_type,
                    leg.holder_id,
                    leg.society_code,
                    leg.non_member,
                    leg.suspense_reason,
                    leg.share,
                    leg.units,
                    text_field(leg.account),
                    pieces,
                )
            )
        return cls(tuple(templates), balancing)

    def fill(
        self,
        *,
        kind: str,
        reference: str,
        month: str,
        dims: Dimensions,
        balancing_account: str,
        created_at: datetime | None = None,
    ) -> PreparedPosting:
        """One transaction of this template, booked (by ``append``) from ``month``."""
        variable = (
            f"{dims.sale_pk}",
            f"{text_field(dims.isrc)}|{text_field(dims.iswc)}|{text_field(dims.territory)}",
            micro_text(dims.gross),
        )
        balancing_text = text_field(balancing_account)
        rows: list[tuple[Any, ...]] = []
        lines: list[str] = []
        for n, leg in enumerate(self.legs):
            account, account_text = (
                (balancing_account, balancing_text)
                if n == self.balancing
                else (leg.account, leg.account_text)
            )
            before, middle, after = leg.pieces
            rows.append(
                (
                    account,
                    leg.currency,
                    leg.amount,
                    dims.sale_pk,
                    leg.right_type,
                    dims.isrc,
                    dims.iswc,
                    dims.territory,
                    leg.holder_id,
                    leg.society_code,
                    leg.non_member,
                    leg.suspense_reason,
                    leg.share,
                    leg.units,
                    dims.gross,
                )
            )
            pk, middle_dims, gross = variable
            lines.append(f"{account_text}|{before}{pk}{middle}{middle_dims}{after}{gross}")
        return PreparedPosting(kind, reference, month, False, created_at or utcnow(), rows, lines)
