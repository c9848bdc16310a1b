"""The receipt answering a posted DSR file."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

MAX_LISTED = 1_000  # rejected lines listed in a receipt (all are counted)

_REJECTION_EXAMPLE: dict[str, Any] = {
    "line": 7,
    "record_type": "SU01",
    "cell": "ISRC",
    "code": "invalid",
    "reason": "isrc: not a valid ISRC: 'RUA01060000' (The number has an invalid length.)",
}


# One SU01 line that booked nothing (or, for a refund rejected after its sale, only the sale).
class DsrRejection(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_REJECTION_EXAMPLE]})

    line: Annotated[int, Field(description="Line number in the file, from 1.")]
    record_type: str
    cell: Annotated[str | None, Field(description="The DSR cell at fault, when one is.")]
    code: Annotated[
        str,
        Field(
            description="invalid | no_resource | unmatched_return | withdrawn | unlicensed | "
            "conflict | refund_exceeds_sale"
        ),
    ]
    reason: str
    takedown_id: Annotated[
        str | None, Field(description="`withdrawn`: the takedown that refused the sale.")
    ] = None


# What posting a DSR file booked.
class DsrReceipt(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "message_id": "MSG-2006-11-0001",
                    "sender": "PADPIDA2007040502I",
                    "file_number": 1,
                    "lines_read": 9,
                    "usage_lines": 3,
                    "sales_recorded": 2,
                    "duplicates": 0,
                    "refunds_recorded": 1,
                    "refund_duplicates": 0,
                    "skipped": 0,
                    "rejected": 1,
                    "rejections": [_REJECTION_EXAMPLE],
                    "rejections_listed": 1,
                }
            ]
        }
    )

    message_id: str
    sender: Annotated[str, Field(description="HEAD SenderPartyId")]
    file_number: int
    lines_read: Annotated[int, Field(description="Every line of the file, HEAD to FOOT.")]
    usage_lines: Annotated[int, Field(description="SU01 lines.")]
    sales_recorded: int
    duplicates: Annotated[int, Field(description="Sales recorded by an earlier post.")]
    refunds_recorded: Annotated[int, Field(description="Lines whose Returns were refunded.")]
    refund_duplicates: int
    skipped: Annotated[
        int,
        Field(
            description="Lines with nothing to book: no usages or returns, or not royalty-bearing."
        ),
    ]
    rejected: int
    rejections: Annotated[
        list[DsrRejection], Field(description=f"The first {MAX_LISTED} rejected lines.")
    ]
    rejections_listed: int
