"""Request and response bodies of the sales domain."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_serializer,
)

from service.bounds import ASCII_NUMBER, CANONICAL, MONEY_PLACES, Timestamp
from service.identifiers import ISRC, Country, Currency
from service.rights import RightType
from service.sales.results import BatchOutcome, SaleOutcome

MAX_BATCH = 10_000
MAX_QUANTITY = 1_000_000
SALE_FIELDS = ("sale_id", "isrc", "territory", "sold_at", "quantity", "unit_price", "currency")


def _no_bool(value: object) -> object:
    # JSON true is not one unit; pydantic's lax int would take it as 1.
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not a boolean")
    return value


# Printable ASCII without spaces or "/", so every id can appear in a URL path as is.
ClientId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[!-.0-~]+$")]
# Field before the validator, or pydantic emits `ge`/`le` instead of `minimum`/`maximum`.
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY), BeforeValidator(_no_bool)]
Price = Annotated[
    Decimal, Field(ge=0, le=1_000_000, decimal_places=MONEY_PLACES), ASCII_NUMBER, CANONICAL
]

SALE_EXAMPLE: dict[str, Any] = {
    "sale_id": "o-1001-1",
    "isrc": "RUA010600001",
    "territory": "US",
    "sold_at": "2006-11-03T10:00:00Z",
    "quantity": 1,
    "unit_price": "0.10",
    "currency": "USD",
}


# Examples shared by the response schemas below (OpenAPI only).
_ROYALTY_EXAMPLE: dict[str, Any] = {
    "right_type": "mechanical",
    "society_code": "ROMS",
    "holder_id": "5f0c7c1e2b8e4f6f9a3d2c1b0a987654",
    "non_member": False,
    "suspense": None,
    "amount": "0.015000",
    "currency": "USD",
}
_RECORDED_EXAMPLE: dict[str, Any] = {
    "sale_id": "o-1001-1",
    "status": "recorded",
    "error": None,
    "royalties": [_ROYALTY_EXAMPLE],
}
_REJECTED_EXAMPLE: dict[str, Any] = {
    "sale_id": "o-1001-2",
    "status": "rejected",
    "error": {
        "code": "withdrawn",
        "detail": "RUA010600001 is taken down in US.",
        "takedown_id": "0190b7a2c4e87f1a9d3b5c6d7e8f9a0b",
    },
    "royalties": [],
}
_SALE_EXAMPLE: dict[str, Any] = {
    "sale_id": "o-1001-1",
    "store": "allofmp3",
    "isrc": "RUA010600001",
    "iswc": "T-034.524.680-1",
    "territory": "RU",
    "sold_at": "2006-11-03T10:00:00Z",
    "period": "2006-11",
    "quantity": 1,
    "refunded_quantity": 0,
    "unit_price": "0.10",
    "currency": "USD",
    "held": False,
    "recorded_at": "2006-11-03T10:00:02Z",
}


# One sale as a store posts it (alone, in a JSON batch, an NDJSON line or a CSV row).
class SaleIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [SALE_EXAMPLE]}
    )
    sale_id: Annotated[ClientId, Field(description="Unique per store; the idempotency key.")]
    isrc: ISRC
    territory: Annotated[Country, Field(description="Where the buyer is (ISO 3166-1 alpha-2).")]
    sold_at: Annotated[Timestamp, Field(description="UTC timestamp; not in the future.")]
    quantity: Quantity
    unit_price: Annotated[Price, Field(description="Net of sales tax, in `currency`.")]
    currency: Currency


# A JSON batch: up to 10,000 sales.
class SaleBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sales: Annotated[list[SaleIn], Field(max_length=MAX_BATCH)]


# One beneficiary's royalty of one right type, in the sale's currency, gross of commission.
class RoyaltyPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "right_type": "mechanical",
                    "society_code": "HFA",
                    "holder_id": "5f0c...",
                    "non_member": False,
                    "suspense": None,
                    "amount": "0.091000",
                    "currency": "USD",
                }
            ]
        }
    )
    right_type: RightType
    society_code: Annotated[str | None, Field(description="null: paid directly")]
    holder_id: Annotated[str | None, Field(description="null: held in suspense")]
    non_member: bool
    suspense: Annotated[
        str | None,
        Field(description="unknown_recording | unknown_work | unclaimed_share | missing_fx_rate"),
    ]
    amount: Decimal
    currency: str


# Why a row was rejected; withdrawn rows name the takedown, invalid rows the bad fields.
class RowError(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_REJECTED_EXAMPLE["error"]]})

    code: Literal["invalid", "withdrawn", "unlicensed", "conflict"]
    detail: str
    takedown_id: str | None = None
    errors: list[dict[str, Any]] | None = None

    @model_serializer(mode="wrap")
    def _omit_empty_extensions(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for extension in ("takedown_id", "errors"):
            if data.get(extension) is None:
                data.pop(extension, None)
        return data


# Where the ledger booked a sale or refund (shared by the results and the detail views).
class Booked(BaseModel):
    booked_period: Annotated[
        str | None,
        Field(
            description="The month the ledger booked it in: its own month, or the oldest "
            "open month when that was closed (then `adjustment` is true). Null when "
            "nothing was booked.",
            examples=["2006-11"],
        ),
    ] = None
    adjustment: Annotated[
        bool | None, Field(description="Booked after its own month had closed.")
    ] = None


# The outcome of one posted row.
class SaleResult(Booked):
    model_config = ConfigDict(json_schema_extra={"examples": [_RECORDED_EXAMPLE]})

    sale_id: str | None
    status: Literal["recorded", "duplicate", "rejected"]
    error: RowError | None
    royalties: list[RoyaltyPublic]
    leaf_index: int | None = Field(
        default=None,
        description="Recorded sales: the sale's leaf in the transparency log (its ledger "
        "transaction's sequence - 1); prove it with /v1/transparency/inclusion once an STH "
        "covers it. Null for duplicates, rejected rows and sales that book nothing.",
    )


# What every batch answer counts (sales and refunds, full or minimal).
class BatchCounts(BaseModel):
    recorded: int
    duplicates: int
    rejected: int


# The outcome of a batch: one result per row, in order.
class BatchResult(BatchCounts):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recorded": 1,
                    "duplicates": 0,
                    "rejected": 1,
                    "results": [_RECORDED_EXAMPLE, _REJECTED_EXAMPLE],
                }
            ]
        }
    )

    results: list[SaleResult]


# A rejected row of a batch answered with `Prefer: return=minimal`.
class RejectedRow(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"row": 1, "sale_id": "o-1001-2", "error": _REJECTED_EXAMPLE["error"]}]
        }
    )

    row: Annotated[int, Field(description="Its position in the batch, from 0.")]
    sale_id: Annotated[str | None, Field(description="null: the row had no valid sale_id")]
    error: RowError


# A batch's outcome under `Prefer: return=minimal` (RFC 7240): counts and rejections only.
class BatchSummary(BatchCounts):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recorded": 1,
                    "duplicates": 0,
                    "rejected": 1,
                    "rejections": [
                        {"row": 1, "sale_id": "o-1001-2", "error": _REJECTED_EXAMPLE["error"]}
                    ],
                }
            ]
        }
    )

    rejections: Annotated[list[RejectedRow], Field(description="The rejected rows, in order.")]

    @classmethod
    def of(cls, batch: BatchOutcome[SaleOutcome]) -> "BatchSummary":
        return cls.model_validate(
            {
                "recorded": batch.recorded,
                "duplicates": batch.duplicates,
                "rejected": batch.rejected,
                "rejections": [
                    {"row": i, "sale_id": r.sale_id, "error": r.error}
                    for i, r in batch.rejections()
                ],
            },
            from_attributes=True,
        )


# A recorded sale as listed.
class SalePublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SALE_EXAMPLE]})

    sale_id: str
    store: str
    isrc: str
    iswc: str | None
    territory: str
    sold_at: datetime
    period: str
    quantity: int
    refunded_quantity: int
    unit_price: Decimal
    currency: str
    held: Annotated[bool, Field(description="Some of its royalty is still in suspense.")]
    recorded_at: datetime


# What a refund posts.
class RefundIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {"refund_id": "r-1001-1", "quantity": 1, "refunded_at": "2006-11-05T12:00:00Z"}
            ]
        },
    )
    refund_id: Annotated[ClientId, Field(description="Unique per store; the idempotency key.")]
    quantity: Quantity
    refunded_at: Timestamp


# A recorded refund with the royalties it reversed (negative amounts).
class RefundPublic(Booked):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "refund_id": "r-1001-1",
                    "sale_id": "o-1001-1",
                    "quantity": 1,
                    "refunded_at": "2006-11-05T12:00:00Z",
                    "recorded_at": "2006-11-05T12:00:01Z",
                    "royalties": [{**_ROYALTY_EXAMPLE, "amount": "-0.015000"}],
                }
            ]
        }
    )

    refund_id: str
    sale_id: str
    quantity: int
    refunded_at: datetime
    recorded_at: datetime
    royalties: list[RoyaltyPublic]


# A suspense release of one sale: what moved out of suspense, and to whom.
class ReleasePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "sequence": 42,
                    "period": "2006-11",
                    "adjustment": False,
                    "created_at": "2006-11-20T09:00:00Z",
                    "royalties": [_ROYALTY_EXAMPLE],
                }
            ]
        }
    )

    sequence: int
    period: str
    adjustment: bool
    created_at: datetime
    royalties: list[RoyaltyPublic]


# A sale with its first result's royalties, its refunds and its releases.
class SaleDetail(Booked, SalePublic):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_SALE_EXAMPLE,
                    "booked_period": "2006-12",
                    "adjustment": True,
                    "royalties": [_ROYALTY_EXAMPLE],
                    "refunds": [],
                    "releases": [],
                }
            ]
        }
    )

    royalties: list[RoyaltyPublic]
    refunds: list[RefundPublic]
    releases: list[ReleasePublic]


# Money held in one currency.
class HeldAmount(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"currency": "USD", "amount": "0.015000", "units": 1}]}
    )

    currency: str
    amount: Decimal
    units: Annotated[int, Field(description="Units whose royalty this is.")]


# What suspense holds for one reason, territory, recording and right type.
class SuspensePublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reason": "unknown_recording",
                    "territory": "RU",
                    "isrc": "RUA010600099",
                    "right_type": "mechanical",
                    "amounts": [{"currency": "USD", "amount": "0.015000", "units": 1}],
                }
            ]
        }
    )
    reason: str
    territory: str
    isrc: str
    right_type: RightType
    amounts: list[HeldAmount]


# The outcome of an explicit release run.
class ReleaseRun(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"examined": 3, "released": 2}]})

    examined: Annotated[int, Field(description="Sales holding suspense that were re-priced.")]
    released: Annotated[int, Field(description="Release transactions posted.")]
