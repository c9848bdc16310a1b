"""DSR flat files for the intake tests, written from the standard, not from our writer.

Cell order per record type is the XSD's (ddexnet/dsrf ``schemas/BasicAudioProfile/1.2/
BasicAudioProfile.xsd``), read through ``tests/dsr_conformance/rules.py``, the project's
independent transcription: every record built here is checked against it by
``check_dsr`` in ``test_files_are_conformant``, so a negative test breaks exactly the
rule it names.
"""

from dataclasses import dataclass, field

from tests.dsr_conformance.rules import RECORDS


def record(record_type: str, **cells: str) -> str:
    """One record, its cells named as in the XSD; unnamed cells are empty."""
    names = [c.name for c in RECORDS[record_type].cells[1:]]
    unknown = set(cells) - set(names)
    assert not unknown, f"{record_type} has no cells {unknown}"
    return "\t".join([record_type, *(cells.get(name, "") for name in names)])


def head(message_id: str = "MSG-1", **cells: str) -> str:
    values = {
        "MessageVersion": "dsrf/1.1/1.2/1.1",
        "Profile": "BasicAudioProfile",
        "ProfileVersion": "1.2",
        "MessageId": message_id,
        "MessageCreatedDateTime": "2006-12-01T08:00:00Z",
        "FileNumber": "1",
        "NumberOfFiles": "1",
        "UsageStartDate": "2006-11-01",
        "UsageEndDate": "2006-11-30",
        "SenderPartyId": "PADPIDA2007040502I",
        "SenderName": "AllOfMP3",
        "ServiceDescription": "Downloads",
        "RecipientPartyId": "PADPIDA2014120301U",
        "RecipientName": "ROMS",
    }
    return record("HEAD", **{**values, **cells})


def summary(
    record_id: str = "SR1", territory: str = "RU", currency: str = "USD", **cells: str
) -> str:
    values = {
        "SummaryRecordId": record_id,
        "CommercialModel": "PayAsYouGoModel",
        "UseType": "PermanentDownload",
        "Territory": territory,
        "ServiceDescription": "Downloads",
        "Usages": "1",
        "CurrencyOfReporting": currency,
        "NetRevenue": "0.10",
        "ContentCategory": "Music",
    }
    return record("SY02.02", **{**values, **cells})


def resource(block: int, isrc: str, reference: str = "R1", **cells: str) -> str:
    values = {
        "BlockId": str(block),
        "ResourceReference": reference,
        "DspResourceId": f"dsp-{isrc}",
        "ISRC": isrc,
        "Title": "A recording",
        "DisplayArtistName": "An artist",
        "ResourceType": "SoundRecording",
    }
    return record("AS02.02", **{**values, **cells})


def sale(
    block: int,
    usages: int = 1,
    returns: int = 0,
    price: str = "0.10",
    summary_id: str = "SR1",
    resource_ref: str = "R1",
    **cells: str,
) -> str:
    values = {
        "BlockId": str(block),
        "SummaryRecordId": summary_id,
        "SalesTransactionId": f"T{block}",
        "TransactedResource": resource_ref,
        "IsRoyaltyBearing": "true",
        "SalesUpgrade": "false",
        "Usages": str(usages),
        "Returns": str(returns),
        "PriceConsumerPaidExcSalesTax": price,
    }
    return record("SU01", **{**values, **cells})


@dataclass
class DsrFile:
    """HEAD, summaries, blocks and a FOOT whose counts are computed (or overridden)."""

    head: str = field(default_factory=head)
    summaries: list[str] = field(default_factory=lambda: [summary()])
    blocks: list[list[str]] = field(default_factory=list)
    foot: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        body = [self.head, *self.summaries, *(r for block in self.blocks for r in block)]
        total = str(len(body) + 1)
        counts = {
            "NumberOfLinesInFile": total,
            "NumberOfLinesInReport": total,
            "NumberOfSummaryRecords": str(len(self.summaries)),
            "NumberOfBlocksInFile": str(len(self.blocks)),
            "NumberOfBlocksInReport": str(len(self.blocks)),
        }
        return [*body, record("FOOT", **{**counts, **self.foot})]

    def text(self) -> str:
        return "\n".join(self.lines()) + "\n"


def one_block_per_isrc(isrcs: list[str], **sale_cells: str) -> DsrFile:
    return DsrFile(
        blocks=[[resource(n, code), sale(n, **sale_cells)] for n, code in enumerate(isrcs, 1)]
    )
