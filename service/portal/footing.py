"""A statement's arithmetic, spelled out from its own fields (what the page prints).

The close writes ``net = royalty - commission`` and ``closing = opening + royalty -
payments`` (commission is the society's, reported, not deducted from the balance it
carries; ``statements.amounts``), with ``commission`` the rate times the exact royalty,
rounded half-even to the minor unit. Each equation is recomputed here from the stored
figures and says whether it holds, so the page never prints a sum that does not add up.
"""

from dataclasses import dataclass
from decimal import Decimal

from service.statements.amounts import exact_product, round_minor
from service.statements.models import Statement

MINUS = "\u2212"  # the minus sign, as printed (not a hyphen)


@dataclass(frozen=True, slots=True)
class Term:
    sign: str  # "", "+", MINUS or "="
    label: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Equation:
    terms: list[Term]
    result: Term
    holds: bool


def commission_holds(st: Statement) -> bool:
    """Is the commission the rate times the exact royalty, rounded half-even?"""
    expected = round_minor(exact_product(st.commission_rate, st.royalty_exact), st.currency)
    return expected == st.commission


def footing(st: Statement) -> list[Equation]:
    net = st.royalty - st.commission
    closing = st.opening_balance + st.royalty - st.payments
    return [
        Equation(
            [Term("", "Royalty", st.royalty), Term(MINUS, "Commission", st.commission)],
            Term("=", "Net", st.net),
            holds=net == st.net,
        ),
        Equation(
            [
                Term("", "Opening balance", st.opening_balance),
                Term("+", "Royalty", st.royalty),
                Term(MINUS, "Payments", st.payments),
            ],
            Term("=", "Closing balance", st.closing_balance),
            holds=closing == st.closing_balance,
        ),
    ]
