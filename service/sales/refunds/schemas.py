"""Request and response bodies of a refund batch (`POST /v1/refunds`).

A row names its sale (`sale_id`) beside what `POST /v1/sales/{sale_id}/refunds` takes;
the answer mirrors the sales batch: one result per row, in order, with the counts, or
(`Prefer: return=minimal`) the counts and the rejected rows only.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer

from service.sales.results import BatchOutcome, RefundOutcome
from service.sales.schemas import (
    MAX_BATCH,
    BatchCounts,
    Booked,
    ClientId,
    RefundIn,
    RoyaltyPublic,
)

# What a rejected row's `code` may be: the problem `code` the single endpoint answers.
RefundCode = Literal["invalid", "not_found", "conflict", "refund_exceeds_sale"]

# A refund of a demo sale (OpenAPI examples name what `make run`'s demo holds).
REFUND_ROW_EXAMPLE: dict[str, Any] = {
    "sale_id": "demo-2006-10-0",
    "refund_id": "r-demo-2006-10-0-1",
    "quantity": 1,
    "refunded_at": "2006-11-05T12:00:00Z",
}
_ROYALTY_EXAMPLE: dict[str, Any] = {
    "right_type": "mechanical",
    "society_code": "ROMS",
    "holder_id": "5f0c7c1e2b8e4f6f9a3d2c1b0a987654",
    "non_member": False,
    "suspense": None,
    "amount": "-0.015000",
    "currency": "USD",
}
_RECORDED_EXAMPLE: dict[str, Any] = {
    "refund_id": "r-demo-2006-10-0-1",
    "sale_id": "demo-2006-10-0",
    "status": "recorded",
    "error": None,
    "royalties": [_ROYALTY_EXAMPLE],
    "booked_period": "2006-11",
    "adjustment": False,
}
_REJECTED_EXAMPLE: dict[str, Any] = {
    "refund_id": "r-1001-9",
    "sale_id": "o-1001-9",
    "status": "rejected",
    "error": {"code": "not_found", "detail": "No sale o-1001-9 of store allofmp3."},
    "royalties": [],
    "booked_period": None,
    "adjustment": None,
}


# One refund of a batch: the sale it gives units of back, and the refund itself.
class RefundRowIn(RefundIn):
    model_config = ConfigDict(json_schema_extra={"examples": [REFUND_ROW_EXAMPLE]})

    sale_id: Annotated[ClientId, Field(description="The store's own sale to refund.")]


# Why a refund row was rejected: the code and detail the single endpoint's problem has.
class RefundRowError(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_REJECTED_EXAMPLE["error"]]})

    code: Annotated[
        RefundCode,
        Field(
            description="`invalid` (bad field, refunded_at in the future or before the "
            "sale), `not_found` (no such sale of this store), `conflict` (refund_id "
            "recorded with other content), `refund_exceeds_sale` (more units than remain)"
        ),
    ]
    detail: str
    errors: list[dict[str, Any]] | None = None
    sold: Annotated[int | None, Field(description="refund_exceeds_sale: units sold")] = None
    refunded: Annotated[
        int | None, Field(description="refund_exceeds_sale: units already refunded")
    ] = None

    @model_serializer(mode="wrap")
    def _omit_empty_extensions(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for extension in ("errors", "sold", "refunded"):
            if data.get(extension) is None:
                data.pop(extension, None)
        return data


# The outcome of one refund row.
class RefundResult(Booked):
    model_config = ConfigDict(json_schema_extra={"examples": [_RECORDED_EXAMPLE]})

    refund_id: Annotated[str | None, Field(description="null: the row had no valid refund_id")]
    sale_id: str | None
    status: Literal["recorded", "duplicate", "rejected"]
    error: RefundRowError | None
    royalties: Annotated[
        list[RoyaltyPublic],
        Field(description="What the refund reversed (negative amounts); a duplicate's first."),
    ]


# The request body of `POST /v1/refunds` in OpenAPI (the route reads the raw body, so
# that one bad row is a rejected row, not a 422 for the whole batch).
REFUNDS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "refunds": {
                            "type": "array",
                            "maxItems": MAX_BATCH,
                            "items": RefundRowIn.model_json_schema(),
                        }
                    },
                    "required": ["refunds"],
                    "additionalProperties": False,
                },
                "examples": {"batch": {"value": {"refunds": [REFUND_ROW_EXAMPLE]}}},
            }
        },
    }
}


# The outcome of a refund batch: one result per row, in order.
class RefundBatchResult(BatchCounts):
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

    results: list[RefundResult]


# A rejected row of a refund batch answered with `Prefer: return=minimal`.
class RefundRejectedRow(BaseModel):
    row: Annotated[int, Field(description="Its position in the batch, from 0.")]
    refund_id: str | None
    sale_id: str | None
    error: RefundRowError


# A refund batch's outcome under `Prefer: return=minimal` (RFC 7240).
class RefundBatchSummary(BatchCounts):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recorded": 1,
                    "duplicates": 0,
                    "rejected": 1,
                    "rejections": [
                        {
                            "row": 1,
                            "refund_id": "r-1001-9",
                            "sale_id": "o-1001-9",
                            "error": _REJECTED_EXAMPLE["error"],
                        }
                    ],
                }
            ]
        }
    )

    rejections: Annotated[
        list[RefundRejectedRow], Field(description="The rejected rows, in order.")
    ]

    @classmethod
    def of(cls, batch: BatchOutcome[RefundOutcome]) -> "RefundBatchSummary":
        return cls.model_validate(
            {
                "recorded": batch.recorded,
                "duplicates": batch.duplicates,
                "rejected": batch.rejected,
                "rejections": [
                    {"row": i, "refund_id": r.refund_id, "sale_id": r.sale_id, "error": r.error}
                    for i, r in batch.rejections()
                ],
            },
            from_attributes=True,
        )
