"""A file whose structure breaks the standard is refused whole, with its first broken line.

Each broken file is also judged by the independent conformance checker
(``tests/dsr_conformance``, written from the XSD and DSR Parts 1 and 8): files it finds
non-conformant must be refused; records that are legal in BasicAudioProfile 1.2 but carry
no per-unit sale are refused by name.
"""

from collections.abc import Callable

import pytest
from sqlmodel import Session

from tests.dsr_conformance.checker import check_dsr
from tests.dsr_conformance.rules import RECORDS
from tests.sales.conftest import Store, counts
from tests.sales.dsr_intake.conftest import post_dsr
from tests.sales.dsr_intake.files import DsrFile, head, record, resource, sale, summary

NAME = "DSR_ROMS_AllOfMP3_Downloads_2006-11_RU__20061201T080000.tsv"
ISRC = "RUA010600001"


def _valid() -> DsrFile:
    return DsrFile(blocks=[[resource(1, ISRC), sale(1)], [resource(2, ISRC), sale(2)]])


def _lines(edit: Callable[[list[str]], list[str]]) -> str:
    return "\n".join(edit(_valid().lines())) + "\n"


def _with(**changes: object) -> str:
    dsr = _valid()
    for name, value in changes.items():
        setattr(dsr, name, value)
    return dsr.text()


# (case, file text, broken line, record type, cell, words of the reason)
BROKEN = [
    ("no HEAD", _lines(lambda ls: ls[1:]), 1, "SY02.02", None, "before the HEAD"),
    ("empty body", "", 1, None, None, "no HEAD"),
    ("two HEADs", _lines(lambda ls: [ls[0], *ls]), 2, "HEAD", None, "second HEAD"),
    (
        "FOOT line count",
        _with(foot={"NumberOfLinesInFile": "99", "NumberOfLinesInReport": "99"}),
        7,
        "FOOT",
        "NumberOfLinesInFile",
        "says '99', but the file has 7",
    ),
    (
        "FOOT summary count",
        _with(foot={"NumberOfSummaryRecords": "2"}),
        7,
        "FOOT",
        "NumberOfSummaryRecords",
        "has 1",
    ),
    (
        "FOOT block count",
        _with(foot={"NumberOfBlocksInFile": "3", "NumberOfBlocksInReport": "3"}),
        7,
        "FOOT",
        "NumberOfBlocksInFile",
        "has 2",
    ),
    ("no FOOT", _lines(lambda ls: ls[:-1]), 6, None, None, "without its FOOT"),
    (
        "after FOOT",
        _lines(lambda ls: [*ls, ls[-2]]),
        8,
        None,
        None,
        "after the FOOT",
    ),
    (
        "another profile's record",
        _lines(lambda ls: [*ls[:2], "SU03\t1\tSR1", *ls[2:]]),
        3,
        "SU03",
        None,
        "not a record type of BasicAudioProfile 1.2",
    ),
    (
        "BasicAudioProfile 1.1 record",
        _lines(lambda ls: [ls[0], ls[1].replace("SY02.02", "SY02.01"), *ls[2:]]),
        2,
        "SY02.01",
        None,
        "BasicAudioProfile 1.1",
    ),
    (
        "single-record-block record",
        _lines(lambda ls: [*ls[:2], "SR01\tSR1", *ls[2:]]),
        3,
        "SR01",
        None,
        "single-record-block",
    ),
    ("too few cells", _lines(lambda ls: [*ls[:3], ls[3][:-2], *ls[4:]]), 4, "SU01", None, "cells"),
    (
        "ProfileVersion 1.1",
        _with(head=head(ProfileVersion="1.1")),
        1,
        "HEAD",
        "ProfileVersion",
        "1.2",
    ),
    ("no MessageId", _with(head=head("")), 1, "HEAD", "MessageId", "empty"),
    (
        "first BlockId not 1",
        _with(blocks=[[resource(2, ISRC), sale(2)]]),
        3,
        "AS02.02",
        "BlockId",
        "where 1 is due",
    ),
    (
        "BlockIds skip",
        _with(blocks=[[resource(1, ISRC), sale(1)], [resource(3, ISRC), sale(3)]]),
        5,
        "AS02.02",
        "BlockId",
        "where 2 is due",
    ),
    (
        "BlockId not a number",
        _with(blocks=[[resource(1, ISRC, BlockId="B1"), sale(1, BlockId="B1")]]),
        3,
        "AS02.02",
        "BlockId",
        "not a whole number",
    ),
    (
        "resource after the block's sales",
        _with(blocks=[[resource(1, ISRC), sale(1), resource(1, ISRC, reference="R2")]]),
        5,
        "AS02.02",
        "BlockId",
        "follows the block's SU01",
    ),
    (
        "block without sales",
        _with(blocks=[[resource(1, ISRC)], [resource(2, ISRC), sale(2)]]),
        4,
        "AS02.02",
        None,
        "block 1 has no SU01",
    ),
    (
        "summary after a block",
        _with(blocks=[[resource(1, ISRC), sale(1), summary("SR2")]]),
        5,
        "SY02.02",
        None,
        "after the first block",
    ),
    (
        "blocks before any summary",
        _with(summaries=[], foot={"NumberOfSummaryRecords": "0"}),
        2,
        "AS02.02",
        None,
        "before any summary",
    ),
    (
        "bad escape",
        _with(blocks=[[resource(1, ISRC, Title="a \\ b"), sale(1)]]),
        3,
        "AS02.02",
        None,
        "6.6.4",
    ),
    ("empty record", _lines(lambda ls: [*ls[:3], "", *ls[3:]]), 4, None, None, "empty record"),
]


@pytest.mark.parametrize(
    ("text", "line", "record_type", "cell", "reason"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_broken_file_is_refused_with_its_first_broken_line(
    store: Store,
    session: Session,
    text: str,
    line: int,
    record_type: str | None,
    cell: str | None,
    reason: str,
) -> None:
    assert check_dsr(text, NAME) != [], "the standard must call this file broken"
    before = counts(session)
    response = post_dsr(store, text)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "dsr_structure"
    assert (problem["line"], problem["record_type"], problem["cell"]) == (line, record_type, cell)
    assert reason in problem["detail"]
    assert counts(session) == before


LEGAL_BUT_REFUSED = [
    ("SU02", "streams"),
    ("SY04.01", "subscriptions"),
    ("SY05.02", "allocations"),
]


@pytest.mark.parametrize(("record_type", "reason"), LEGAL_BUT_REFUSED)
def test_legal_records_that_are_no_unit_sales_are_refused_by_name(
    store: Store, record_type: str, reason: str
) -> None:
    if record_type == "SU02":
        extra = record(
            "SU02",
            BlockId="1",
            SummaryRecordId="SR1",
            SalesTransactionId="S1",
            TransactedResource="R1",
            NumberOfStreams="10",
            PriceConsumerPaidExcSalesTax="0.01",
        )
        text = _with(blocks=[[resource(1, ISRC), extra]])
        line = 4
    else:
        cells = {
            "SummaryRecordId": "SR2",
            "CommercialModel": "SubscriptionModel",
            "UseType": "OnDemandStream",
            "Territory": "RU",
            "ServiceDescription": "Downloads",
            "ContentCategory": "Music",
            "RightsType": "MechanicalRight",
            "SubscriberType": "Family",
            "Subscribers": "1",
            "CurrencyOfReporting": "USD",
            "ConsumerPaidUnitPrice": "1",
            "NetRevenue": "1",
            "MusicUsagePercentage": "1",
        }
        names = {c.name for c in RECORDS[record_type].cells}
        extra = record(record_type, **{k: v for k, v in cells.items() if k in names})
        text = _with(summaries=[summary(), extra], foot={"NumberOfSummaryRecords": "2"})
        line = 3
    assert check_dsr(text, NAME) == []  # legal in BasicAudioProfile 1.2
    response = post_dsr(store, text)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert (problem["code"], problem["line"], problem["record_type"]) == (
        "dsr_structure",
        line,
        record_type,
    )
    assert reason in problem["detail"]


def test_text_that_is_not_utf8_is_refused_with_its_line(store: Store) -> None:
    text = _valid().text().encode().replace(b"A recording", b"A r\xe9cording", 1)
    response = store.client.post(
        "/v1/sales/dsr",
        content=text,
        headers={**store.headers, "Content-Type": "text/tab-separated-values"},
    )
    assert response.status_code == 422, response.text
    assert (response.json()["line"], response.json()["code"]) == (3, "dsr_structure")


def test_other_media_types_and_encodings_are_refused(store: Store) -> None:
    headers = {**store.headers, "Content-Type": "text/csv"}
    response = store.client.post("/v1/sales/dsr", content=_valid().text(), headers=headers)
    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")
    headers = {
        **store.headers,
        "Content-Type": "text/tab-separated-values",
        "Content-Encoding": "br",
    }
    response = store.client.post("/v1/sales/dsr", content=_valid().text(), headers=headers)
    assert response.status_code == 415, response.text
    headers["Content-Encoding"] = "gzip"
    response = store.client.post("/v1/sales/dsr", content=b"not gzip", headers=headers)
    assert (response.status_code, response.json()["code"]) == (400, "malformed")
