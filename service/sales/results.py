"""What the sales domain's services answer: outcomes in the domain's own words.

Plain dataclasses, no web framework and no response schema: the router maps them to the
public bodies (``service.sales.schemas``, ``service.sales.refunds.schemas``) with
``model_validate(..., from_attributes=True)``, which reads these attribute names. So a
field here carries the public body's name (``suspense``, ``booked_period``…), and a body
that flattens two facts (a refund row's royalties are its refund's) does it through a
property.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from service.ledger.periods import Booking
from service.rights import RightType

Status = Literal["recorded", "duplicate", "rejected"]


@dataclass(frozen=True, slots=True)
class Royalty:
    """One beneficiary's royalty of one right type, in the sale's currency (a refund's or
    a release's legs are royalties too: negative for a refund)."""

    right_type: RightType
    society_code: str | None  # None: paid directly
    holder_id: str | None  # None: held in suspense
    non_member: bool
    suspense: str | None  # why it is held, if it is
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a row was not recorded: its problem ``code`` and what the code's problem adds
    (the takedown of a withdrawn sale; units sold and refunded of a refund too large)."""

    code: str
    detail: str
    errors: list[dict[str, Any]] | None = None  # invalid: which fields, why
    takedown_id: str | None = None
    sold: int | None = None
    refunded: int | None = None


class _Booked:
    """What the public bodies call a booking: ``booked_period`` and ``adjustment``, both
    null when nothing was booked."""

    __slots__ = ()
    booking: Booking | None

    @property
    def booked_period(self) -> str | None:
        return self.booking.period if self.booking is not None else None

    @property
    def adjustment(self) -> bool | None:
        return self.booking.adjustment if self.booking is not None else None


@dataclass(frozen=True, slots=True)
class SaleOutcome(_Booked):
    """One posted sale's outcome: recorded (priced and booked), a duplicate (the first
    outcome again) or rejected."""

    sale_id: str | None
    status: Status
    error: Rejection | None = None
    royalties: list[Royalty] = field(default_factory=list)
    leaf_index: int | None = None  # its transaction's sequence - 1 in the transparency log
    booking: Booking | None = None  # None: rejected, or it moved no money


@dataclass(frozen=True, slots=True)
class RecordedRefund(_Booked):
    """A recorded refund with the royalties it reversed (negative amounts)."""

    refund_id: str
    sale_id: str
    quantity: int
    refunded_at: datetime
    recorded_at: datetime
    royalties: list[Royalty]
    booking: Booking | None  # None: it moved no money, so nothing was booked


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    """One refund row's outcome: the refund (recorded now, or the first one replayed) or
    why it was rejected."""

    refund_id: str | None
    sale_id: str | None
    status: Status
    refund: RecordedRefund | None = None  # a duplicate's stays None when not read back
    error: Rejection | None = None

    @property
    def royalties(self) -> list[Royalty]:
        return self.refund.royalties if self.refund is not None else []

    @property
    def booked_period(self) -> str | None:
        return self.refund.booked_period if self.refund is not None else None

    @property
    def adjustment(self) -> bool | None:
        return self.refund.adjustment if self.refund is not None else None


Outcome = TypeVar("Outcome", SaleOutcome, RefundOutcome)


@dataclass(frozen=True, slots=True)
class BatchOutcome(Generic[Outcome]):
    """A batch's outcomes, one per row, in order, and their counts."""

    results: list[Outcome]

    @property
    def recorded(self) -> int:
        return sum(r.status == "recorded" for r in self.results)

    @property
    def duplicates(self) -> int:
        return sum(r.status == "duplicate" for r in self.results)

    @property
    def rejected(self) -> int:
        return sum(r.status == "rejected" for r in self.results)

    def rejections(self) -> list[tuple[int, Outcome]]:
        """The rejected rows with their position in the batch."""
        return [(i, r) for i, r in enumerate(self.results) if r.error is not None]


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger transaction of a sale (its booking, a refund, a suspense release), with
    the royalties it moved."""

    sequence: int
    kind: str
    reference: str
    period: str
    adjustment: bool
    created_at: datetime
    royalties: list[Royalty]


@dataclass(frozen=True, slots=True)
class HeldMoney:
    """Money suspense holds in one currency, and the units whose royalty it is."""

    currency: str
    amount: Decimal
    units: int


@dataclass(frozen=True, slots=True)
class Held:
    """What suspense holds for one reason, territory, recording and right type."""

    reason: str
    territory: str
    isrc: str
    right_type: RightType
    amounts: list[HeldMoney]


@dataclass(frozen=True, slots=True)
class ReleaseCount:
    """An explicit release run: sales re-priced, release transactions posted."""

    examined: int
    released: int
