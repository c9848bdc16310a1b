"""The JSON acknowledgement of a CWR import."""

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.catalog.cwr.service import ImportOutcome, Status

_MESSAGE: dict[str, Any] = {
    "type": "T",
    "level": "F",
    "line": 8,
    "record_sequence": 5,
    "record_type": "SWT",
    "field": "PR Collection Share",
    "text": "'XXX00' is not numeric",
}


# One MSG record of the acknowledgement (CWR vocabulary).
class CwrMessage(BaseModel):
    type: Annotated[
        Literal["T", "F"], Field(description="What was rejected: T the transaction, F a field.")
    ]
    level: Annotated[
        Literal["T", "R", "F"],
        Field(description="Where the problem was found: transaction, record or field."),
    ]
    line: Annotated[int, Field(description="Line of the file, from 1.")]
    record_sequence: Annotated[int, Field(description="Record sequence # in the transaction.")]
    record_type: str
    field: Annotated[str | None, Field(description="The field's name in the CWR layout.")]
    text: str


# The acknowledgement of one transaction.
class CwrTransactionAck(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "group_id": 1,
                    "transaction_sequence": 0,
                    "transaction_type": "NWR",
                    "submitter_work_number": "DMP000001",
                    "title": "MUSIC PUB CARTOONS",
                    "iswc": "T-123.456.789-4",
                    "status": "RJ",
                    "status_text": "rejected",
                    "changed": False,
                    "messages": [_MESSAGE],
                }
            ]
        }
    )
    group_id: int
    transaction_sequence: int
    transaction_type: str
    submitter_work_number: str | None
    title: str
    iswc: str | None
    status: Annotated[
        Status,
        Field(description="CWR transaction status: AS accepted, AC with changes, RJ rejected."),
    ]
    status_text: Literal["accepted", "accepted_with_changes", "rejected"]
    changed: Annotated[bool, Field(description="Whether the ledger's catalogue changed.")]
    messages: list[CwrMessage]


# The acknowledgement of a CWR file.
class CwrAck(BaseModel):
    version: Annotated[str, Field(examples=["2.1"])]
    sender: Annotated[str, Field(examples=["TEST PUBLISHER"])]
    created: date
    valid_from: Annotated[date, Field(description="Date revised shares take effect.")]
    transactions: int
    accepted: int
    accepted_with_changes: int
    rejected: int
    changed: Annotated[int, Field(description="Transactions that changed the catalogue.")]
    acknowledgements: list[CwrTransactionAck]


def ack_of(outcome: ImportOutcome) -> CwrAck:
    acks = [
        CwrTransactionAck(
            group_id=t.group_id,
            transaction_sequence=t.sequence,
            transaction_type=t.transaction_type,
            submitter_work_number=t.submitter_work_number,
            title=t.title,
            iswc=t.iswc,
            status=t.status,
            status_text=t.status.name,
            changed=t.changed,
            messages=[CwrMessage(**asdict(m)) for m in t.messages],
        )
        for t in outcome.transactions
    ]
    return CwrAck(
        version=outcome.file.version,
        sender=outcome.file.sender_name,
        created=outcome.file.created,
        valid_from=outcome.valid_from,
        transactions=len(acks),
        accepted=sum(a.status is Status.accepted for a in acks),
        accepted_with_changes=sum(a.status is Status.accepted_with_changes for a in acks),
        rejected=sum(a.status is Status.rejected for a in acks),
        changed=sum(a.changed for a in acks),
        acknowledgements=acks,
    )
