"""The CWR acknowledgement file (ACK transactions with their MSG records) for an import.

Records are written with the same layouts the parser reads (``layouts.py``): each value is
placed at its field's position, numbers zero-padded, text padded with blanks.
"""

from datetime import date, datetime, time
from typing import Any

from service.catalog.cwr.layouts import LAYOUTS, Kind
from service.catalog.cwr.service import ImportOutcome, TransactionOutcome

SENDER_TYPE = "SO"  # the ledger answers as the receiving organisation
SENDER_ID = "000000000"
SENDER_NAME = "ROYALTY LEDGER"
_VERSION_NUMBERS = {"2.1": "02.10", "2.2": "02.20"}


def _format(kind: Kind, size: int, value: Any) -> str:
    if value is None:
        return " " * size
    if isinstance(value, datetime):
        value = value.strftime("%Y%m%d") if size == 8 else value.strftime("%H%M%S")
    elif isinstance(value, date):
        value = value.strftime("%Y%m%d")
    elif isinstance(value, time):
        value = value.strftime("%H%M%S")
    text = str(value).upper()
    if kind is Kind.numeric and text.isdigit():
        return text.rjust(size, "0")[-size:]
    return text.ljust(size)[:size]


def render(record_type: str, *, version: str = "2.1", **values: Any) -> str:
    """One record, its fields named as in the layout (spaces and symbols become ``_``)."""
    layout = LAYOUTS[record_type]
    chars: list[str] = []
    for spec in layout.fields:
        if spec.since > version:
            continue
        key = "".join(c if c.isalnum() else "_" for c in spec.name)
        value = record_type if spec.name == "Record Type" and spec.start == 1 else values.get(key)
        chars.append(" " * (spec.start - 1 - len("".join(chars))))
        chars.append(_format(spec.kind, spec.size, value))
    return "".join(chars).rstrip()


def _transaction(sequence: int, outcome: TransactionOutcome, now: datetime) -> list[str]:
    prefix: dict[str, Any] = {"Transaction_Sequence__": sequence}
    records = [
        render(
            "ACK",
            **prefix,
            Record_Sequence__=0,
            Creation_Date=now,
            Creation_Time=now.time(),
            Original_Group_ID=outcome.group_id,
            Original_Transaction_Sequence__=outcome.sequence,
            Original_Transaction_Type=outcome.transaction_type,
            Creation_Title=outcome.title,
            Submitter_Creation__=outcome.submitter_work_number,
            Recipient_Creation__=(outcome.iswc or "").replace("-", "").replace(".", "") or None,
            Processing_Date=now,
            Transaction_Status=outcome.status.value,
        )
    ]
    for number, message in enumerate(outcome.messages, start=1):
        text = f"{message.field}: {message.text}" if message.field else message.text
        records.append(
            render(
                "MSG",
                **prefix,
                Record_Sequence__=number,
                Message_Type=message.type,
                Original_Record_Sequence__=message.record_sequence,
                Record_Type=message.record_type[:3],
                Message_Level=message.level,
                Validation_Number="000",
                Message_Text=text,
            )
        )
    return records


def ack_file(outcome: ImportOutcome, *, now: datetime) -> str:
    """HDR, one ACK group (an ACK and its MSG records per transaction), GRT, TRL; CRLF."""
    version = outcome.file.version
    body: list[str] = []
    for sequence, transaction in enumerate(outcome.transactions):
        body.extend(_transaction(sequence, transaction, now))
    group_records = len(body) + 2
    lines = [
        render(
            "HDR",
            version=version,
            Sender_Type=SENDER_TYPE,
            Sender_ID=SENDER_ID,
            Sender_Name=SENDER_NAME,
            EDI_Standard_Version_Number="01.10",
            Creation_Date=now,
            Creation_Time=now.time(),
            Transmission_Date=now,
            Version=version if version != "2.1" else None,
            Revision=1 if version != "2.1" else None,
        ),
        render(
            "GRH",
            Transaction_Type="ACK",
            Group_ID=1,
            Version_Number_for_this_transaction_type=_VERSION_NUMBERS[version],
            Batch_Request=0,
        ),
        *body,
        render(
            "GRT",
            Group_ID=1,
            Transaction_Count=len(outcome.transactions),
            Record_Count=group_records,
        ),
        render(
            "TRL",
            Group_Count=1,
            Transaction_Count=len(outcome.transactions),
            Record_Count=group_records + 2,
        ),
    ]
    return "\r\n".join(lines) + "\r\n"
