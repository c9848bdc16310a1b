"""The conformance checker against a DSR file written by hand from the standard.

The sample below was typed from the BasicAudioProfile 1.2 XSD's cell sequences and DSR
Part 1 (not produced by our writer): a report from a store (sender DPID PADPIDA2020000002B)
to one society (PADPIDA2010000001A) for March 2024, one summary, two blocks.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.dsr_conformance.cells import EscapeError, split_record
from tests.dsr_conformance.checker import check_dsr

NAME = "DSR_PADPIDA2010000001A_PADPIDA2020000002B_Downloads_2024-03_GB_1of1_20240405T101500.tsv"
E = ""  # an empty (omitted) cell
HEAD = "HEAD\tdsrf/1.1/1.2/1.1\tBasicAudioProfile\t1.2\tMSG-2024-03-0001\t2024-04-05T10:15:00Z"
HEAD += "\t1\t1\t2024-03-01\t2024-03-31\tPADPIDA2020000002B\tExampleStore\tDownloads"
HEAD += "\tPADPIDA2010000001A\tExampleSociety\t"
SUMMARY = "SY02.02\tS1\t\t\tPayAsYouGoModel\tPermanentDownload\tGB\tDownloads\t3\t\tGBP"
SUMMARY += "\t2.97\tExampleSociety\t\t3\t0.30\t\tMechanicalRight\tMusic\t\t\t"
FIRST = "AS02.02\t1\tR1\tDSP-REC-1\tGBAYE0000001\tFirst Song\t\tSome Artist\t\tPT3M20S"
FIRST += "\tSoundRecording\tT0345246801\tWriter A|Writer B\t\t\t\tPub X" + "\t" * 5
SECOND = "AS02.02\t2\tR1\tDSP-REC-2\tGBAYE0000002\tSecond Song\t\tOther Artist\t\tPT4M"
SECOND += "\tSoundRecording" + "\t" * 11
ROWS: list[list[str]] = [
    line.split("\t")
    for line in (
        HEAD,
        "#SU01\tBlockId\tSummaryRecordId\tSalesTransactionId",
        SUMMARY,
        FIRST,
        "SU01\t1\tS1\tT1\t\tR1\ttrue\tfalse\t2\t0\t0.99\t",
        SECOND,
        "SU01\t2\tS1\tT2\t\tR1\ttrue\tfalse\t1\t0\t0.99\t",
        "FOOT\t8\t8\t1\t2\t2",
    )
]


def dsr(rows: list[list[str]]) -> str:
    return "".join("\t".join(row) + "\n" for row in rows)


def changed(line: int, cell: int, value: str) -> list[list[str]]:
    """The sample with cell ``cell`` (1 = RecordType) of file line ``line`` replaced."""
    rows = [list(row) for row in ROWS]
    rows[line - 1][cell - 1] = value
    return rows


def messages(rows: list[list[str]], name: str = NAME) -> list[str]:
    return [str(v) for v in check_dsr(dsr(rows), name)]


def test_the_hand_written_sample_conforms() -> None:
    assert messages(ROWS) == []


def test_crlf_line_ends_and_a_gzip_name_are_accepted() -> None:
    text = dsr(ROWS).replace("\n", "\r\n")
    assert [str(v) for v in check_dsr(text, NAME.replace(".tsv", ".tsv.gz"))] == []


def test_block_ids_written_as_b1_b2_are_rejected() -> None:
    rows = ROWS
    for line, block in ((4, "B1"), (5, "B1"), (6, "B2"), (7, "B2")):
        rows = [list(r) for r in rows]
        rows[line - 1][1] = block
    found = messages(rows)
    assert "line 4, AS02.02 cell 2 (BlockId): 'B1' is not an integer" in found
    assert "line 7, SU01 cell 2 (BlockId): 'B2' is not an integer" in found


def test_block_ids_must_count_from_one_in_file_order() -> None:
    rows = changed(6, 2, "3")
    rows[6][1] = "3"
    assert messages(rows) == [
        "line 6, AS02.02 cell 2 (BlockId): BlockId 3 where 2 is due (blocks are numbered 1, 2, ...)"
    ]
    starts_at_zero = [list(r) for r in ROWS]
    for line in (4, 5):
        starts_at_zero[line - 1][1] = "0"
    assert "line 4, AS02.02 cell 2 (BlockId): '0' is not a BlockId (1, 2, ...)" in messages(
        starts_at_zero
    )


def test_a_split_block_is_rejected() -> None:
    rows = [list(r) for r in ROWS]
    rows.insert(7, ["SU01", "1", "S1", "T3", E, "R1", "true", "false", "1", "0", "0.99", E])
    rows[-1][1:3] = ["9", "9"]
    found = messages(rows)
    assert (
        "line 8, SU01 cell 2 (BlockId): BlockId '1' used by an earlier block "
        "(blocks are contiguous)"
    ) in found


def test_file_name_recipient_must_be_the_heads() -> None:
    found = messages(ROWS, NAME.replace("PADPIDA2010000001A", "ROMS"))
    assert found == [
        "file name: MessageRecipient 'ROMS' is not the same as HEAD RecipientPartyId "
        "'PADPIDA2010000001A' or HEAD RecipientName 'ExampleSociety'"
    ]
    # The recipient's name also qualifies, when it has no spaces.
    assert messages(ROWS, NAME.replace("PADPIDA2010000001A", "ExampleSociety")) == []


def test_a_recipient_name_with_spaces_can_never_match_the_file_name() -> None:
    rows = changed(1, 15, "Example Society of Authors")
    rows[0][14] = "Example Society of Authors"
    found = messages(rows, NAME.replace("PADPIDA2010000001A", "ROMS"))
    assert any(m.startswith("file name: MessageRecipient 'ROMS' is not the same") for m in found)


def test_file_name_sender_must_be_the_heads() -> None:
    found = messages(ROWS, NAME.replace("PADPIDA2020000002B", "royalty-ledger"))
    assert found == [
        "file name: MessageSender 'royalty-ledger' is not the same as HEAD SenderPartyId "
        "'PADPIDA2020000002B' or HEAD SenderName 'ExampleStore'"
    ]


def test_a_space_in_a_file_name_element_is_rejected() -> None:
    rows = changed(1, 12, "Example Store")
    found = messages(rows, NAME.replace("PADPIDA2020000002B", "Example Store"))
    assert found == ["file name: MessageSender 'Example Store' contains a space"]


def test_file_name_grammar() -> None:
    assert messages(ROWS, NAME.replace("DSR_", "DSR-")) == [
        "file name: 7 '_'-separated parts; expected 'DSR' and the 7 elements MessageRecipient, "
        "MessageSender, ServiceDescription, MessageNotificationPeriod, TerritoryOfUseOrSale, "
        "xofy, MessageCreatedDateTime (no element may contain '_')"
    ]
    assert messages(ROWS, NAME.replace("_2024-03_", "_March2024_")) == [
        "file name: MessageNotificationPeriod 'March2024' is not yyyy, yyyy-mm, yyyy-mm-dd, "
        "yyyy-Qq, yyyy-Www or yyyy-mm-dd--yyyy-mm-dd"
    ]
    assert messages(ROWS, NAME.replace("_2024-03_", "_2024-Q1_")) == [
        "file name: MessageNotificationPeriod '2024-Q1' is not the HEAD's "
        "UsageStartDate..UsageEndDate '2024-03-01'..'2024-03-31'"
    ]
    assert messages(ROWS, NAME.replace("_1of1_", "_2of3_")) == [
        "file name: xofy '2of3' is not HEAD FileNumber/NumberOfFiles 1/1"
    ]
    assert messages(ROWS, NAME.replace("_1of1_", "__")) == []  # single file: may be omitted
    assert messages(ROWS, NAME.replace("T101500", "T1015")) == [
        "file name: MessageCreatedDateTime '20240405T1015' is not yyyymmddThhmmss"
    ]
    assert messages(ROWS, NAME.replace(".tsv", ".csv")) == [
        "file name: extension 'csv' is not one of tsv, tsv.gz"
    ]
    assert messages(ROWS, NAME.replace("_GB_", "_FR_")) == [
        "file name: TerritoryOfUseOrSale 'FR' is not the single territory reported 'GB'"
    ]


def test_several_recipients_omit_the_recipient_everywhere() -> None:
    rows = changed(1, 14, E)
    rows[0][14] = E
    omitted = NAME.replace("PADPIDA2010000001A", "")
    assert messages(rows, omitted) == []
    assert messages(ROWS, omitted) == [
        "line 1, HEAD (RecipientPartyId): must be absent for several recipients",
        "line 1, HEAD (RecipientName): must be absent for several recipients",
    ]
    assert messages(changed(1, 14, E)) == [
        "line 1, HEAD (RecipientPartyId): mandatory for a report to one recipient, but empty",
        "file name: MessageRecipient 'PADPIDA2010000001A' is not the same as HEAD "
        "RecipientPartyId '' or HEAD RecipientName 'ExampleSociety'",
    ]


@pytest.mark.parametrize(
    ("line", "cell", "value", "message"),
    [
        (3, 7, "WORLD", "line 3, SY02.02 cell 7 (Territory): 'WORLD' is not in the AVS list "
         "CurrentTerritoryCode"),
        (3, 6, "Download2", "line 3, SY02.02 cell 6 (UseType): 'Download2' is not in the AVS "
         "list UseType"),
        (3, 18, "NeighbouringRight", "line 3, SY02.02 cell 18 (RightsType): "
         "'NeighbouringRight' is not in the AVS list RightsCoverage"),
        (3, 11, "EURO", "line 3, SY02.02 cell 11 (CurrencyOfReporting): 'EURO' is not in the "
         "AVS list CurrencyCode"),
        (4, 11, "Track", "line 4, AS02.02 cell 11 (ResourceType): 'Track' is not in the AVS "
         "list ResourceType"),
        (1, 3, "BasicAudio", "line 1, HEAD cell 3 (Profile): 'BasicAudio' is not in the AVS "
         "list ProfileId"),
    ],
)  # fmt: skip
def test_wrong_code_list_values_are_rejected(
    line: int, cell: int, value: str, message: str
) -> None:
    assert message in messages(changed(line, cell, value))


@pytest.mark.parametrize(
    ("line", "cell", "message"),
    [
        (3, 19, "line 3, SY02.02 cell 19 (ContentCategory): is mandatory but empty"),
        (1, 11, "line 1, HEAD cell 11 (SenderPartyId): is mandatory but empty"),
        (5, 4, "line 5, SU01 cell 4 (SalesTransactionId): is mandatory but empty"),
        (4, 8, "line 4, AS02.02 cell 8 (DisplayArtistName): is mandatory but empty"),
        (8, 2, "line 8, FOOT cell 2 (NumberOfLinesInFile): is mandatory but empty"),
    ],
)
def test_missing_mandatory_cells_are_rejected(line: int, cell: int, message: str) -> None:
    assert message in messages(changed(line, cell, E))


@pytest.mark.parametrize(
    ("line", "cell", "value", "message"),
    [
        (5, 9, "2.0", "line 5, SU01 cell 9 (Usages): '2.0' is not an integer"),
        (5, 11, "1E-2", "line 5, SU01 cell 11 (PriceConsumerPaidExcSalesTax): '1E-2' is not a "
         "decimal (xs:decimal: digits, one '.', no exponent)"),
        (5, 7, "yes", "line 5, SU01 cell 7 (IsRoyaltyBearing): 'yes' is not a boolean (true or "
         "false)"),
        (4, 10, "3:20", "line 4, AS02.02 cell 10 (Duration): '3:20' is not an ISO 8601 duration "
         "(e.g. PT3M20S)"),
        (4, 5, "GB-AYE-00-00001", "line 4, AS02.02 cell 5 (ISRC): 'GB-AYE-00-00001' does not "
         "match the pattern [a-zA-Z]{2}[a-zA-Z0-9]{3}[0-9]{7}"),
        (1, 6, "2024-04-05T10:15:00", "line 1, HEAD cell 6 (MessageCreatedDateTime): "
         "'2024-04-05T10:15:00' has no time zone designator (Z or +hh:mm)"),
        (1, 9, "2024-02-30", "line 1, HEAD cell 9 (UsageStartDate): '2024-02-30' is not a date "
         "YYYY[-MM[-DD]]"),
        (1, 2, "dsrf/basicaudio", "line 1, HEAD cell 2 (MessageVersion): 'dsrf/basicaudio' does "
         "not match the pattern dsrf/[^/\\s]+/[^/\\s]+/[^/\\s]+"),
        (3, 8, "Down loads", "line 3, SY02.02 cell 8 (ServiceDescription): 'Down loads' does not "
         "match the pattern [^\\s_]+"),
        (3, 14, "PADPIDA2010000001A", "line 3, SY02.02 cell 14 (RightsControllerPartyId): "
         "'PADPIDA2010000001A' does not match the pattern .*::.*"),
        (3, 12, "2.97|1", "line 3, SY02.02 cell 12 (NetRevenue): holds several values "
         "(unescaped '|') but allows one"),
    ],
)  # fmt: skip
def test_cell_types_and_patterns(line: int, cell: int, value: str, message: str) -> None:
    assert message in messages(changed(line, cell, value))


def test_wrong_foot_counts_are_rejected() -> None:
    rows = changed(8, 2, "7")
    rows[7][2:6] = ["7", "2", "1", "1"]
    assert messages(rows) == [
        "line 8, FOOT cell 2 (NumberOfLinesInFile): says '7', but the file has 8",
        "line 8, FOOT cell 4 (NumberOfSummaryRecords): says '2', but the file has 1",
        "line 8, FOOT cell 5 (NumberOfBlocksInFile): says '1', but the file has 2",
        "line 8, FOOT cell 3 (NumberOfLinesInReport): says '7', but the file has 8",
        "line 8, FOOT cell 6 (NumberOfBlocksInReport): says '1', but the file has 2",
    ]


def test_a_summary_record_id_pointing_nowhere_is_rejected() -> None:
    assert messages(changed(5, 3, "S9")) == [
        "line 5, SU01 (SummaryRecordId): 'S9' is the SummaryRecordId of no summary record "
        "in the file"
    ]


def test_price_is_mandatory_for_pay_as_you_go() -> None:
    assert messages(changed(7, 11, E)) == [
        "line 7, SU01 (PriceConsumerPaidExcSalesTax): mandatory: summary 'S1' is PayAsYouGoModel"
    ]


def test_wrong_record_order_is_rejected() -> None:
    rows = [list(r) for r in ROWS]
    rows.insert(6, rows.pop(2))  # the summary moved after the first block
    found = messages(rows)
    late = "summary record after the first block (summaries precede blocks)"
    no_summary = "no summary record between HEAD and this record (one or more are required)"
    assert f"line 7, SY02.02: {late}" in found
    assert f"line 3, AS02.02: {no_summary}" in found
    swapped = [list(r) for r in ROWS]
    swapped[3], swapped[4] = swapped[4], swapped[3]  # SU01 before its AS02.02
    assert messages(swapped) == [
        "line 4, block '1': records SU01, AS02.02 do not follow the XSD block RE01? "
        "(AS01.01 MW01.01+ | AS02.02)+ RE02* (SU01 | SU02)+"
    ]


def test_foot_must_be_last_and_head_first() -> None:
    no_foot = messages(ROWS[:-1])
    assert "file: no footer record (FOOT) at the end" in no_foot
    moved = [ROWS[2], ROWS[0], *ROWS[3:]]
    assert "line 1, SY02.02: comes before the HEAD record, which must be the first record" in (
        messages(moved)
    )


def test_wrong_cell_counts_are_rejected() -> None:
    rows = [list(r) for r in ROWS]
    rows[4] = rows[4][:-1]
    assert messages(rows) == ["line 5, SU01: 11 cells, but the XSD's sequence for SU01 has 12"]
    rows = [list(r) for r in ROWS]
    rows[0].append("extra")
    assert "line 1, HEAD: 17 cells, but the XSD's sequence for HEAD has 16" in messages(rows)


def test_unknown_record_types_and_transacted_references() -> None:
    rows = [list(r) for r in ROWS]
    rows[4][0] = "SU03"
    assert "line 5: record type 'SU03' is not one of BasicAudioProfile 1.2" in messages(rows)
    both = changed(5, 5, "REL1")
    assert "line 5, SU01: needs exactly one of TransactedRelease and TransactedResource" in (
        messages(both)
    )


def test_bad_escapes_are_rejected() -> None:
    rows = changed(4, 6, "First\\Song")
    assert messages(rows) == [
        "line 4: bad escape: 1 backslash(es) before 'S' is not a defined escape "
        "(DSR Part 1 clause 6.6.4)"
    ]


def _escape(value: str) -> str:
    """DSR Part 1 clause 6.6.4, written independently of the checker's reader."""
    out = []
    for char in value:
        out.append({"\\": "\\\\\\", "|": "\\\\|", "\t": "\\\t"}.get(char, char))
    return "".join(out)


@given(st.lists(st.lists(st.text(alphabet="ab\\|\t ", max_size=6), min_size=1), min_size=1))
def test_escaped_cells_read_back_exactly(cells: list[list[str]]) -> None:
    line = "\t".join("|".join(_escape(v) for v in values) for values in cells)
    assert split_record(line) == cells


def test_reader_splits_on_unescaped_delimiters_only() -> None:
    assert split_record("A\tB|C\tD\\\\|E\tF\\\tG\tH\\\\\\I") == [
        ["A"],
        ["B", "C"],
        ["D|E"],
        ["F\tG"],
        ["H\\I"],
    ]
    with pytest.raises(EscapeError):
        split_record("A\\\\B")
