"""DSR BasicAudioProfile 1.2 writer (service.statements.dsr) against the independent,
standard-derived checker (``tests/dsr_conformance``).

The expected cell orders below are typed out from ddexnet/dsrf
schemas/BasicAudioProfile/1.2/BasicAudioProfile.xsd on purpose, independently of the
validator's SCHEMAS, so that a slip in either module shows up here.
"""

from __future__ import annotations

import inspect
import itertools
import re
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from service.money import from_micros, normalize
from service.statements.amounts import exact_quotient
from service.statements.render.dsr import (
    RIGHTS_TYPE_FOR,
    DsrHeader,
    DsrRecording,
    DsrSale,
    DsrSummary,
    _sale,
    dsr_file_name,
    render_dsr,
)
from service.statements.render.dsr_document import su01_line
from service.statements.render.dsr_layout import parse_record, split_record
from tests.dsr_conformance.checker import check_dsr

LAYOUT = {
    "HEAD": "MessageVersion Profile ProfileVersion MessageId MessageCreatedDateTime FileNumber"
    " NumberOfFiles UsageStartDate UsageEndDate SenderPartyId SenderName ServiceDescription"
    " RecipientPartyId RecipientName RepresentedRepertoire",
    "SY02.02": "SummaryRecordId DistributionChannel DistributionChannelDPID CommercialModel"
    " UseType Territory ServiceDescription Usages Users CurrencyOfReporting NetRevenue"
    " RightsController RightsControllerPartyId AllocatedUsages AllocatedRevenue"
    " AllocatedNetRevenue RightsType ContentCategory CurrencyOfTransaction ExchangeRate"
    " RightsTypePercentage",
    "AS02.02": "BlockId ResourceReference DspResourceId ISRC Title SubTitle DisplayArtistName"
    " DisplayArtistPartyId Duration ResourceType ISWC ComposerAuthor ComposerAuthorPartyId"
    " Arranger ArrangerPartyId MusicPublisher MusicPublisherPartyId WorkContributor"
    " WorkContributorPartyId ProprietaryWorkId IsMasterRecording",
    "SU01": "BlockId SummaryRecordId SalesTransactionId TransactedRelease TransactedResource"
    " IsRoyaltyBearing SalesUpgrade Usages Returns PriceConsumerPaidExcSalesTax"
    " PromotionalActivity",
    "FOOT": "NumberOfLinesInFile NumberOfLinesInReport NumberOfSummaryRecords"
    " NumberOfBlocksInFile NumberOfBlocksInReport",
}
CELLS = {rtype: names.split() for rtype, names in LAYOUT.items()}

CREATED = datetime(2006, 12, 1, 3, 4, 5, tzinfo=UTC)
TRICKY_TITLE = "Tab\there | pipe \\ back"


def header(**changes: Any) -> DsrHeader:
    values: dict[str, Any] = {
        "message_id": "STMT-2006-11-ROMS",
        "created_at": CREATED,
        "usage_start": date(2006, 11, 1),
        "usage_end": date(2006, 11, 30),
        "sender_party_id": "PADPIDA2014120301U",
        "sender_name": "AllOfMP3",
        "service_description": "Downloads",
        "recipient_party_id": "PADPIDA2007062702Z",
        "recipient_name": "ROMS",
    }
    return DsrHeader(**(values | changes))


def summary(sid: str = "S1", **changes: Any) -> DsrSummary:
    values: dict[str, Any] = {
        "summary_record_id": sid,
        "territory": "RU",
        "service_description": "Downloads",
        "usages": 3,
        "currency": "RUB",
        "net_revenue": Decimal("29.70"),
        "rights_controller": "ROMS",
        "rights_controller_party_id": "DPID::PADPIDA2007062702Z",
        "allocated_usages": 3,
        "allocated_revenue": Decimal("4.455000"),
        "rights_type": "MechanicalRight",
    }
    return DsrSummary(**(values | changes))


def violations(text: str, **name_changes: Any) -> list[str]:
    """What the independent checker finds in ``text``, named as ``header()`` says."""
    return [str(v) for v in check_dsr(text, name(**name_changes))]


def recording(block: int, **changes: Any) -> DsrRecording:
    values: dict[str, Any] = {
        "block_id": block,
        "resource_reference": f"R{block}",
        "dsp_resource_id": f"track-{block}",
        "isrc": "US-RC1-76-07839",
        "title": "Song",
        "display_artist": "Artist",
        "duration_s": 245,
        "iswc": "T-034.524.680-1",
    }
    return DsrRecording(**(values | changes))


def sale(tx: str, sid: str = "S1", price: Decimal | None = Decimal("9.90"), **kw: Any) -> DsrSale:
    return DsrSale(sid, tx, kw.pop("usages", 1), kw.pop("returns", 0), price, **kw)


def statement(**render_kw: Any) -> str:
    blocks = [
        (recording(1), [sale("T1"), sale("T2", "S2", usages=2, returns=1)]),
        (
            recording(
                2,
                isrc=None,
                iswc=None,
                duration_s=None,
                title=TRICKY_TITLE,
                composers=("Lennon", "Mc|Cartney"),
                publishers=("Northern Songs",),
            ),
            [sale("T3", price=Decimal("0"))],
        ),
    ]
    summaries = [summary("S1"), summary("S2", rights_type="PerformingRight")]
    return "".join(render_dsr(header(), summaries, blocks, **render_kw))


def records(text: str) -> list[tuple[str, dict[str, list[str]]]]:
    return [parse_record(line) for line in text.splitlines() if not line.startswith("#")]


def test_written_statement_conforms_and_counts_match() -> None:
    text = statement()
    assert violations(text) == []
    assert len(text.splitlines()) == 14
    assert sum(line.startswith("#") for line in text.splitlines()) == 5
    assert records(text)[-1][1] == {
        "NumberOfLinesInFile": ["14"],
        "NumberOfLinesInReport": ["14"],
        "NumberOfSummaryRecords": ["2"],
        "NumberOfBlocksInFile": ["2"],
        "NumberOfBlocksInReport": ["2"],
    }


def test_cell_order_and_counts_follow_the_xsd() -> None:
    text = statement()
    for line in text.splitlines():
        cells = split_record(line)
        rtype = cells[0][0].lstrip("#")
        assert len(cells) == 1 + len(CELLS[rtype]), line
        if line.startswith("#"):  # heading lines name the cells in schema order
            assert [c[0] for c in cells[1:]] == CELLS[rtype]
    for rtype, cells_by_name in records(text):
        assert list(cells_by_name) == CELLS[rtype]


def test_record_sequence_head_summaries_blocks_foot() -> None:
    text = statement()
    assert all(line.endswith("\n") and "\r" not in line for line in text.splitlines(True))
    types = [rtype for rtype, _ in records(text)]
    assert types == [
        *("HEAD", "SY02.02", "SY02.02"),
        *("AS02.02", "SU01", "SU01"),
        *("AS02.02", "SU01"),
        "FOOT",
    ]
    assert text.splitlines()[0].startswith("HEAD\t")  # headings come after HEAD, never before
    blocks = [(c["BlockId"][0], rtype) for rtype, c in records(text) if "BlockId" in c]
    assert blocks == [
        *(("1", "AS02.02"), ("1", "SU01"), ("1", "SU01")),
        *(("2", "AS02.02"), ("2", "SU01")),
    ]


def test_head_and_summary_values() -> None:
    (_, head), (_, s1), (_, s2), *_ = records(statement())
    assert re.fullmatch(r"dsrf/\d+(\.\d+)*/\d+(\.\d+)*/\d+(\.\d+)*", head["MessageVersion"][0])
    assert head["Profile"] == ["BasicAudioProfile"] and head["ProfileVersion"] == ["1.2"]
    assert head["MessageCreatedDateTime"] == ["2006-12-01T03:04:05Z"]
    assert (head["UsageStartDate"], head["UsageEndDate"]) == (["2006-11-01"], ["2006-11-30"])
    assert (head["FileNumber"], head["NumberOfFiles"]) == (["1"], ["1"])
    assert head["RepresentedRepertoire"] == [""]  # optional cells stay present but empty
    assert s1["CommercialModel"] == ["PayAsYouGoModel"] and s1["UseType"] == ["PermanentDownload"]
    assert s1["RightsType"] == ["MechanicalRight"] and s2["RightsType"] == ["PerformingRight"]
    assert (s1["NetRevenue"], s1["AllocatedRevenue"]) == (["29.70"], ["4.455000"])
    assert s1["RightsControllerPartyId"] == ["DPID::PADPIDA2007062702Z"]
    assert s1["ContentCategory"] == ["Music"]
    assert RIGHTS_TYPE_FOR["neighbouring"] == "MakeAvailableRight"  # mapping from API.md


def test_resource_and_sale_values_with_escaping_round_trip() -> None:
    rows = records(statement())
    first, tricky = rows[3][1], rows[6][1]
    assert first["ISRC"] == ["USRC17607839"] and first["ISWC"] == ["T0345246801"]
    assert first["Duration"] == ["PT4M5S"] and first["ResourceType"] == ["SoundRecording"]
    assert tricky["Title"] == [TRICKY_TITLE]
    assert tricky["ComposerAuthor"] == ["Lennon", "Mc|Cartney"]
    assert tricky["ISRC"] == [""] and tricky["Duration"] == [""]
    raw_line = statement().splitlines()[-3]
    assert "Tab\\\there \\\\| pipe \\\\\\ back" in raw_line  # Part 1 clause 6.6.4 escapes
    sold = rows[4][1]
    assert sold["TransactedResource"] == ["R1"] and sold["TransactedRelease"] == [""]
    assert (sold["IsRoyaltyBearing"], sold["SalesUpgrade"]) == (["true"], ["false"])
    assert sold["PriceConsumerPaidExcSalesTax"] == ["9.90"]
    assert rows[7][1]["PriceConsumerPaidExcSalesTax"] == ["0"]  # zero is "0", not "0.00"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ |\\\t:é")), min_size=1))
def test_escaping_round_trips_any_text(value: str) -> None:
    assume(value.strip())
    composers = (value.strip(), "x")
    block = (recording(1, title=value, composers=composers), [sale("T")])
    text = "".join(render_dsr(header(), [summary()], [block]))
    cells = records(text)[2][1]
    assert cells["Title"] == [value.strip()] and cells["ComposerAuthor"] == list(composers)
    assert violations(text) == []


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(245, "PT4M5S"), (3600, "PT1H"), (3725, "PT1H2M5S"), (0, "PT0S"), (59, "PT59S")],
)
def test_duration_is_iso_8601(seconds: int, expected: str) -> None:
    text = "".join(
        render_dsr(header(), [summary()], [(recording(1, duration_s=seconds), [sale("T")])])
    )
    assert records(text)[2][1]["Duration"] == [expected]
    assert violations(text) == []


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        (Decimal("1E-5"), "0.00001"),
        (Decimal("1.2E+3"), "1200"),
        (Decimal("0.000"), "0"),
        (Decimal("-0"), "0"),
        (Decimal("-1.50"), "-1.50"),
    ],
)
def test_decimals_are_plain(amount: Decimal, written: str) -> None:
    text = "".join(render_dsr(header(), [summary()], [(recording(1), [sale("T", price=amount)])]))
    assert records(text)[3][1]["PriceConsumerPaidExcSalesTax"] == [written]
    assert violations(text) == []


def test_without_headings_and_multi_file_foot() -> None:
    plain = statement(column_headings=False)
    assert violations(plain) == [] and not any(line.startswith("#") for line in plain.splitlines())
    assert len(plain.splitlines()) == len(statement().splitlines()) - 5

    def part(n: int, **kw: Any) -> str:
        blocks = [(recording(n), [sale(f"T{n}")])]
        h = header(file_number=n, number_of_files=2)
        return "".join(render_dsr(h, [summary()], blocks, **kw))

    first, last = part(1), part(2, lines_in_earlier_files=10, blocks_in_earlier_files=1)
    assert records(first)[-1][1]["NumberOfLinesInReport"] == [""]
    foot = records(last)[-1][1]
    assert foot["NumberOfLinesInFile"] == ["10"] and foot["NumberOfLinesInReport"] == ["20"]
    assert foot["NumberOfBlocksInReport"] == ["2"]
    assert violations(first, x=1, y=2) == [] and violations(last, x=2, y=2) == []


# --- writer refuses what it cannot write correctly -----------------------------------------


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: render_dsr(header(created_at=datetime(2006, 12, 1)), [], []), "timezone"),
        (lambda: render_dsr(header(service_description="Pay Down"), [], []), "space"),
        (lambda: render_dsr(header(file_number=2), [], []), "impossible"),
        (lambda: render_dsr(header(usage_end=date(2006, 10, 1)), [], []), "after"),
        (lambda: render_dsr(header(sender_party_id="ALLOFMP3"), [], []), "PADPIDA"),
        (lambda: render_dsr(header(), [summary(), summary()], []), "duplicate"),
        (lambda: render_dsr(header(), [], [], lines_in_earlier_files=3), "single-file"),
        (lambda: render_dsr(header(), [summary(currency="RUR")], []), "ISO 4217"),
        (lambda: render_dsr(header(), [summary(net_revenue=29.7)], []), "Decimal"),
        (lambda: render_dsr(header(), [summary(rights_type="Mechanical")], []), "RightsType"),
        (lambda: render_dsr(header(), [summary(rights_controller_party_id="X")], []), "::"),
    ],
)
def test_writer_rejects_bad_header_or_summary_eagerly(
    build: Callable[[], Iterator[str]], error: str
) -> None:
    with pytest.raises((ValueError, TypeError), match=re.escape(error)):
        build()


@pytest.mark.parametrize(
    ("block", "error"),
    [
        ((recording(1, title="Two\nLines"), [sale("T")]), "control characters"),
        ((recording(1, isrc="US-RC1-76"), [sale("T")]), "ISRC"),
        ((recording(1, iswc="T-034.524.680-2"), [sale("T")]), "check digit"),
        ((recording(1, title=" "), [sale("T")]), "Title is mandatory"),
        ((recording(1), [sale("T", sid="S9")]), "no summary"),
        ((recording(1), [sale("T", price=None)]), "PriceConsumerPaidExcSalesTax"),
        ((recording(1), [sale("T", price=0.99)]), "Decimal"),  # type: ignore[arg-type]
        ((recording(1), [sale("T", usages=True)]), "int"),
        ((recording(1), []), "has no sales"),
    ],
)
def test_writer_rejects_bad_block_when_reached(block: Any, error: str) -> None:
    lines = render_dsr(header(), [summary()], [block])
    with pytest.raises((ValueError, TypeError), match=re.escape(error)):
        list(lines)


# --- streaming ------------------------------------------------------------------------------


def test_render_streams_200k_sales_lazily() -> None:
    pulled = 0

    def sales() -> Generator[DsrSale, None, None]:
        nonlocal pulled
        for n in range(200_000):
            pulled += 1
            yield DsrSale("S1", f"T{n}", 1, 0, Decimal("0.99"))

    source = sales()
    lines = render_dsr(header(), [summary()], iter([(recording(1), source)]))
    first = list(itertools.islice(lines, 10))
    assert len(first) == 10 and first[0].startswith("HEAD\t")
    assert pulled < 100  # only what the first lines needed was read
    assert inspect.getgeneratorstate(source) == inspect.GEN_SUSPENDED  # paused, not exhausted

    total, last = 10, first[-1]
    for line in lines:
        total, last = total + 1, line
    assert pulled == 200_000
    opening = 1 + 5 + 1  # HEAD, headings, one summary
    assert total == opening + 1 + 200_000 + 1
    assert last == f"FOOT\t{total}\t{total}\t1\t1\t1\n"


# --- file name --------------------------------------------------------------------------------


def name(**changes: Any) -> str:
    values: dict[str, Any] = {
        "recipient": "PADPIDA2007062702Z",
        "sender": "PADPIDA2014120301U",
        "service": "Downloads",
        "period_start": date(2006, 11, 1),
        "period_end": date(2006, 11, 30),
        "territory": "RU",
        "created_at": CREATED,
    }
    return dsr_file_name(**(values | changes))


def test_file_name_convention() -> None:
    assert name() == (
        "DSR_PADPIDA2007062702Z_PADPIDA2014120301U_Downloads_2006-11_RU_1of1_20061201T030405.tsv"
    )
    assert "_2006-11-15--2006-12-14_" in name(
        period_start=date(2006, 11, 15), period_end=date(2006, 12, 14)
    )
    assert "_2006-11-15_" in name(period_start=date(2006, 11, 15), period_end=date(2006, 11, 15))
    assert "_Worldwide_" in name(territory="WORLD")
    assert "_multi_" in name(territory="multi")
    assert name(recipient=None).startswith("DSR__PADPIDA2014120301U_")
    assert name(x=2, y=3).endswith("_2of3_20061201T030405.tsv")
    moscow = CREATED.astimezone(timezone(timedelta(hours=3)))
    assert name(created_at=moscow).endswith("_20061201T030405.tsv")  # always written in UTC


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"sender": "All_Of_MP3"}, "underscore"),
        ({"service": "Pay Down"}, "space"),
        ({"territory": "XX"}, "ISO 3166"),
        ({"created_at": datetime(2006, 12, 1)}, "timezone"),
        ({"x": 2, "y": 1}, "impossible"),
        ({"period_start": date(2006, 12, 1)}, "after"),
    ],
)
def test_file_name_rejects(changes: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        name(**changes)


# --- the document's fast SU01 lines are the checked writer's, byte for byte ----------------


@settings(max_examples=500, deadline=None)
@given(
    st.integers(min_value=0, max_value=50),
    st.integers(min_value=0, max_value=50),
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=10**12),
)
def test_su01_fast_path_matches_the_checked_writer(
    sold: int, returned: int, gross_sold: int, gross_returned: int
) -> None:
    if sold:
        price = exact_quotient(from_micros(gross_sold), sold)
    elif returned:
        price = exact_quotient(from_micros(gross_returned), returned)
    else:
        price = Decimal(0)
    reference = _sale(
        recording(7, resource_reference="R7"),
        DsrSale("SR2", "12-mechanical", sold, returned, normalize(price)),
        {"SR2": "PayAsYouGoModel"},
    )
    fast = su01_line(7, "SR2", "12-mechanical", sold, returned, gross_sold, gross_returned)
    assert fast == reference
