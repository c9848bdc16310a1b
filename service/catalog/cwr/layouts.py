"""The record layouts of CISAC CWR 2.1 and 2.2: the one table the parser reads.

Each layout is transcribed from the record's table in the CISAC functional specifications
("Functional specifications: Common Works Registration version 2.1 - Rev.7", CWR11-1991R1,
and its version 2.2 successor, which appends fields at the end of some records) and names
the record's heading there. Positions are 1-based as in the specification; the record
prefix (record type, transaction and record sequence numbers) opens every detail and
transaction record. Only fields the ledger reads or checks are listed, plus the ones that
lie before them; a record type listed with no fields is recognised and carries nothing the
ledger keeps.
"""

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """CWR data element formats (specification, "Data Element Properties")."""

    alphanumeric = "A"  # text, trailing spaces trimmed
    numeric = "N"  # digits only; kept as text (IPI numbers, TIS codes keep their zeros)
    share = "S"  # a percentage 3v2 (05000 = 50.00 %), read as a fraction of 1
    date = "D"  # YYYYMMDD; 00000000 means none
    time = "T"  # HHMMSS
    flag = "F"  # Y, N, U or blank
    lookup = "L"  # a code from a CISAC table


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    start: int  # 1-based, as printed in the specification
    size: int
    kind: Kind
    required: bool = False
    since: str = "2.1"  # the CWR version that added the field

    @property
    def end(self) -> int:
        return self.start - 1 + self.size


@dataclass(frozen=True, slots=True)
class Layout:
    record_type: str
    heading: str  # the record's heading in the specification
    fields: tuple[Field, ...]


A, N, S, D, T, F, L = (
    Kind.alphanumeric,
    Kind.numeric,
    Kind.share,
    Kind.date,
    Kind.time,
    Kind.flag,
    Kind.lookup,
)

# Record prefix (specification, "Record Prefix"): positions 1-19 of every transaction and
# detail record.
PREFIX = (
    Field("Record Type", 1, 3, L, required=True),
    Field("Transaction Sequence #", 4, 8, N, required=True),
    Field("Record Sequence #", 12, 8, N, required=True),
)

# The SPU record's format, also used by OPU (specification: "SPU: Publisher Controlled By
# Submitter"; OPU "Other Publisher" shares the format).
_PUBLISHER = (
    *PREFIX,
    Field("Publisher Sequence #", 20, 2, N, required=True),
    Field("Interested Party #", 22, 9, A),
    Field("Publisher Name", 31, 45, A),
    Field("Publisher Unknown Indicator", 76, 1, F),
    Field("Publisher Type", 77, 2, L),
    Field("Tax ID #", 79, 9, A),
    Field("Publisher IPI Name #", 88, 11, N),
    Field("Submitter Agreement Number", 99, 14, A),
    Field("PR Affiliation Society #", 113, 3, N),
    Field("PR Ownership Share", 116, 5, S),
    Field("MR Society", 121, 3, N),
    Field("MR Ownership Share", 124, 5, S),
    Field("SR Society", 129, 3, N),
    Field("SR Ownership Share", 132, 5, S),
)

# The SWR record's format, also used by OWR (specification: "SWR: Writer Controlled By
# Submitter"; OWR "Other Writer" shares the format).
_WRITER = (
    *PREFIX,
    Field("Interested Party #", 20, 9, A),
    Field("Writer Last Name", 29, 45, A),
    Field("Writer First Name", 74, 30, A),
    Field("Writer Unknown Indicator", 104, 1, F),
    Field("Writer Designation Code", 105, 2, L),
    Field("Tax ID #", 107, 9, A),
    Field("Writer IPI Name #", 116, 11, N),
    Field("PR Affiliation Society #", 127, 3, N),
    Field("PR Ownership Share", 130, 5, S),
    Field("MR Society", 135, 3, N),
    Field("MR Ownership Share", 138, 5, S),
    Field("SR Society", 143, 3, N),
    Field("SR Ownership Share", 146, 5, S),
)

# The SPT record's format (specification: "SPT: Publisher Territory of Control").
_PUBLISHER_TERRITORY = (
    *PREFIX,
    Field("Interested Party #", 20, 9, A, required=True),
    Field("Constant", 29, 6, A),
    Field("PR Collection Share", 35, 5, S),
    Field("MR Collection Share", 40, 5, S),
    Field("SR Collection Share", 45, 5, S),
    Field("Inclusion/ Exclusion Indicator", 50, 1, L, required=True),
    Field("TIS Numeric Code", 51, 4, N, required=True),
    Field("Shares change", 55, 1, F),
    Field("Sequence #", 56, 3, N, required=True),
)

# The SWT record's format (specification: "SWT: Writer Territory of Control").
_WRITER_TERRITORY = (
    *PREFIX,
    Field("Interested Party #", 20, 9, A, required=True),
    Field("PR Collection Share", 29, 5, S),
    Field("MR Collection Share", 34, 5, S),
    Field("SR Collection Share", 39, 5, S),
    Field("Inclusion/ Exclusion Indicator", 44, 1, L, required=True),
    Field("TIS Numeric Code", 45, 4, N, required=True),
    Field("Shares change", 49, 1, F),
    Field("Sequence #", 50, 3, N, required=True),
)

# The work registration header (specification: "NWR: New Work Registration"; REV, ISW and
# EXC share the format).
_WORK = (
    *PREFIX,
    Field("Work Title", 20, 60, A, required=True),
    Field("Language Code", 80, 2, L),
    Field("Submitter Work #", 82, 14, A, required=True),
    Field("ISWC", 96, 11, A),
    Field("Copyright Date", 107, 8, D),
    Field("Copyright Number", 115, 12, A),
    Field("Musical Work Distribution Category", 127, 3, L, required=True),
    Field("Duration", 130, 6, T),
    Field("Recorded Indicator", 136, 1, F),
)

LAYOUTS: dict[str, Layout] = {
    layout.record_type: layout
    for layout in (
        # --- control records -------------------------------------------------------------
        Layout(
            "HDR",
            "HDR: Transmission Header",
            (
                Field("Record Type", 1, 3, L, required=True),
                Field("Sender Type", 4, 2, A, required=True),
                Field("Sender ID", 6, 9, A, required=True),
                Field("Sender Name", 15, 45, A, required=True),
                Field("EDI Standard Version Number", 60, 5, A, required=True),
                Field("Creation Date", 65, 8, D, required=True),
                Field("Creation Time", 73, 6, T, required=True),
                Field("Transmission Date", 79, 8, D, required=True),
                Field("Character Set", 87, 15, A),
                Field("Version", 102, 3, A, since="2.2"),
                Field("Revision", 105, 3, N, since="2.2"),
                Field("Software Package", 108, 30, A, since="2.2"),
                Field("Software Package Version", 138, 30, A, since="2.2"),
            ),
        ),
        Layout(
            "GRH",
            "GRH: Group Header",
            (
                Field("Record Type", 1, 3, L, required=True),
                Field("Transaction Type", 4, 3, L, required=True),
                Field("Group ID", 7, 5, N, required=True),
                Field("Version Number for this transaction type", 12, 5, A, required=True),
                Field("Batch Request", 17, 10, N),
            ),
        ),
        Layout(
            "GRT",
            "GRT: Group Trailer",
            (
                Field("Record Type", 1, 3, L, required=True),
                Field("Group ID", 4, 5, N, required=True),
                Field("Transaction Count", 9, 8, N, required=True),
                Field("Record Count", 17, 8, N, required=True),
            ),
        ),
        Layout(
            "TRL",
            "TRL: Transmission Trailer",
            (
                Field("Record Type", 1, 3, L, required=True),
                Field("Group Count", 4, 5, N, required=True),
                Field("Transaction Count", 9, 8, N, required=True),
                Field("Record Count", 17, 8, N, required=True),
            ),
        ),
        # --- transaction headers ---------------------------------------------------------
        Layout("NWR", "NWR: New Work Registration", _WORK),
        Layout("REV", "REV: Revised Registration (format of NWR)", _WORK),
        Layout("ISW", "ISW: Notification of ISWC assigned to a work (format of NWR)", _WORK),
        Layout("EXC", "EXC: Existing work which is in conflict (format of NWR)", _WORK),
        Layout(
            "ACK",
            "ACK: Acknowledgement of Transaction",
            (
                *PREFIX,
                Field("Creation Date", 20, 8, D, required=True),
                Field("Creation Time", 28, 6, T, required=True),
                Field("Original Group ID", 34, 5, N, required=True),
                Field("Original Transaction Sequence #", 39, 8, N, required=True),
                Field("Original Transaction Type", 47, 3, L, required=True),
                Field("Creation Title", 50, 60, A),
                Field("Submitter Creation #", 110, 20, A),
                Field("Recipient Creation #", 130, 20, A),
                Field("Processing Date", 150, 8, D, required=True),
                Field("Transaction Status", 158, 2, L, required=True),
            ),
        ),
        Layout("AGR", "AGR: Agreement Supporting Work Registration", PREFIX),
        # --- detail records --------------------------------------------------------------
        Layout("SPU", "SPU: Publisher Controlled By Submitter", _PUBLISHER),
        Layout("OPU", "OPU: Other Publisher (format of SPU)", _PUBLISHER),
        Layout("SPT", "SPT: Publisher Territory of Control", _PUBLISHER_TERRITORY),
        Layout("OPT", "OPT: Publisher Non-Controlled Collection (format of SPT)", PREFIX),
        Layout("SWR", "SWR: Writer Controlled By Submitter", _WRITER),
        Layout("OWR", "OWR: Other Writer (format of SWR)", _WRITER),
        Layout("SWT", "SWT: Writer Territory of Control", _WRITER_TERRITORY),
        Layout("OWT", "OWT: Other Writer Collection (format of SWT)", PREFIX),
        Layout(
            "PWR",
            "PWR: Publisher For Writer",
            (
                *PREFIX,
                Field("Publisher IP #", 20, 9, A),
                Field("Publisher Name", 29, 45, A),
                Field("Submitter Agreement Number", 74, 14, A),
                Field("Society-Assigned Agreement Number", 88, 14, A),
                Field("Writer IP #", 102, 9, A),
                Field("Publisher Sequence #", 111, 2, N, since="2.2"),
            ),
        ),
        Layout(
            "ALT",
            "ALT: Alternate Title",
            (
                *PREFIX,
                Field("Alternate Title", 20, 60, A, required=True),
                Field("Title Type", 80, 2, L, required=True),
                Field("Language Code", 82, 2, L),
            ),
        ),
        Layout(
            "PER",
            "PER: Performing Artist",
            (
                *PREFIX,
                Field("Performing Artist Last Name", 20, 45, A, required=True),
                Field("Performing Artist First Name", 65, 30, A),
                Field("Performing Artist IPI Name #", 95, 11, N),
                Field("Performing Artist IPI Base Number", 106, 13, A),
            ),
        ),
        Layout(
            "REC",
            "REC: Recording Detail",
            (
                *PREFIX,
                Field("First Release Date", 20, 8, D),
                Field("Constant", 28, 60, A),
                Field("First Release Duration", 88, 6, T),
                Field("Constant", 94, 5, A),
                Field("First Album Title", 99, 60, A),
                Field("First Album Label", 159, 60, A),
                Field("First Release Catalog #", 219, 18, A),
                Field("EAN", 237, 13, A),
                Field("ISRC", 250, 12, A),
                Field("Recording Format", 262, 1, L),
                Field("Recording Technique", 263, 1, L),
                Field("Media Type", 264, 3, L),
                Field("Recording Title", 267, 60, A, since="2.2"),
                Field("Version Title", 327, 60, A, since="2.2"),
                Field("Display Artist", 387, 60, A, since="2.2"),
                Field("Record Label", 447, 60, A, since="2.2"),
                Field("ISRC Validity", 507, 20, A, since="2.2"),
                Field("Submitter Recording Identifier", 527, 14, A, since="2.2"),
            ),
        ),
        Layout(
            "ORN",
            "ORN: Work Origin",
            (
                *PREFIX,
                Field("Intended Purpose", 20, 3, L, required=True),
                Field("Production Title", 23, 60, A),
            ),
        ),
        Layout(
            "MSG",
            "MSG: Message",
            (
                *PREFIX,
                Field("Message Type", 20, 1, L, required=True),
                Field("Original Record Sequence #", 21, 8, N, required=True),
                Field("Record Type", 29, 3, L, required=True),
                Field("Message Level", 32, 1, L, required=True),
                Field("Validation Number", 33, 3, A, required=True),
                Field("Message Text", 36, 150, A, required=True),
            ),
        ),
        # Recognised detail records whose content the ledger does not keep.
        Layout("VER", "VER: Original Work Title for Versions", PREFIX),
        Layout("EWT", "EWT: Entire Work Title for Excerpts", PREFIX),
        Layout("COM", "COM: Component", PREFIX),
        Layout("INS", "INS: Instrumentation Summary", PREFIX),
        Layout("IND", "IND: Instrumentation Detail", PREFIX),
        Layout("ARI", "ARI: Additional Related Information", PREFIX),
        Layout("NAT", "NAT: Non-Roman Alphabet Title", PREFIX),
        Layout("NET", "NET: Non-Roman Alphabet Entire Work Title for Excerpts", PREFIX),
        Layout("NCT", "NCT: Non-Roman Alphabet Title for Components", PREFIX),
        Layout("NVT", "NVT: Non-Roman Alphabet Original Title for Version", PREFIX),
        Layout("NPN", "NPN: Non-Roman Alphabet Publisher Name", PREFIX),
        Layout("NWN", "NWN: Non-Roman Alphabet Writer Name", PREFIX),
        Layout("NOW", "NOW: Non-Roman Alphabet Other Writer Name", PREFIX),
        Layout("NPR", "NPR: Performance Data in non-roman alphabet", PREFIX),
        Layout("TER", "TER: Territory in Agreement", PREFIX),
        Layout("IPA", "IPA: Interested Party of Agreement", PREFIX),
        Layout("XRF", "XRF: Work ID Cross Reference (version 2.2)", PREFIX),
    )
}

CONTROL_TYPES = frozenset({"HDR", "GRH", "GRT", "TRL"})
TRANSACTION_TYPES = frozenset({"NWR", "REV", "ISW", "EXC", "ACK", "AGR"})
# The transactions that register works; the others are recognised and acknowledged as
# rejected (the ledger takes registrations, not agreements or other receivers' answers).
REGISTRATION_TYPES = frozenset({"NWR", "REV"})
