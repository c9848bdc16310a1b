"""A DSR line's sale assembled from values validated one by one equals the sale validated
whole (``service/sales/dsr_intake/cells.py``), for valid and invalid values alike; and the
reader's blocks give exactly the lines a line-by-line reader gives."""

import io
import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from service.sales.dsr_intake import cells, mapping, parser
from service.sales.dsr_intake.exceptions import DsrBroken
from service.sales.intake.ingest import validate
from tests.sales.dsr_intake.files import DsrFile, head, resource, sale, summary

NOW = datetime(2030, 1, 1, tzinfo=UTC)
ISRCS = ["RUA010600001", "ru-a01-06-00002", " RUA010600003 ", "RUA01060000X", "XX"]
PLACES = [("RU", "USD"), ("ru", "eur"), ("Worldwide", "USD"), ("RU", "XYZ"), ("RU", "usd ")]
PRICES = ["0.10", "0.990", "1", "0", "", "-1", "0.1234567", "1e2", "1000001", "٣"]


def _file(start: str = "2006-11-01") -> DsrFile:
    summaries = [summary(f"SR{n}", territory=t, currency=c) for n, (t, c) in enumerate(PLACES, 1)]
    blocks = [
        [resource(b, isrc)]
        + [
            sale(b, usages=3, summary_id=f"SR{s}", price=price)
            for s, price in itertools.product(range(1, len(PLACES) + 1), PRICES)
        ]
        for b, isrc in enumerate(ISRCS, 1)
    ]
    return DsrFile(head=head(UsageStartDate=start), summaries=summaries, blocks=blocks)


def _expected(text: str) -> dict[int, object]:
    """Line -> the sale ``validate`` makes of the line's values, or its first error."""
    found = parser.outline(io.BytesIO(text.encode()))
    prefix = mapping.sale_id_prefix(found.head["SenderPartyId"], found.message_id)
    sold_at = f"{found.head['UsageStartDate']}T00:00:00+00:00"
    expected: dict[int, object] = {}
    block: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        values = line.split("\t")
        if values[0] == "AS02.02":
            block = {"isrc": values[4]}
        if values[0] != "SU01":
            continue
        place = found.summaries[values[2]]
        row = validate(
            {
                "sale_id": f"{prefix}-{values[1]}-{number}",
                "isrc": block["isrc"],
                "territory": place.territory,
                "sold_at": sold_at,
                "quantity": int(values[8]),
                "unit_price": values[10],
                "currency": place.currency,
            },
            NOW,
        )
        expected[number] = row.sale or str(row.errors[0]["loc"][0])
    return expected


@pytest.mark.parametrize("start", ["2006-11-01", "2031-01-01"])  # the second in the future
def test_each_line_is_the_sale_or_the_error_of_validating_it_whole(start: str) -> None:
    text = _file(start).text()
    expected = _expected(text)
    stream = io.BytesIO(text.encode())
    found = parser.outline(stream)
    stream.seek(0)
    got: dict[int, object] = {}
    for chunk in mapping.chunks(stream, found, now=NOW, size=7):
        for line, row in zip(chunk.lines, chunk.rows, strict=True):
            got[line] = row.sale
        for rejection in chunk.rejections:
            got[rejection.line] = rejection.reason.split(" ")[0].rstrip(":")
    assert got.keys() == expected.keys()
    valid = 0
    for line, want in expected.items():
        if isinstance(want, str):
            assert got[line] == want, line
            continue
        valid += 1
        sale_in = got[line]
        assert sale_in == want, line
        assert sale_in.model_dump(mode="json") == want.model_dump(mode="json"), line
        assert str(sale_in.unit_price) == str(want.unit_price), line  # 0.990 stays 0.990
    assert valid == (45 if start < "2030" else 0)  # 3 ISRCs, 3 places, 5 prices pass


def test_the_probe_is_a_valid_sale() -> None:
    """Each value is judged in the probe; a probe refused would refuse every value."""
    row = validate(cells._PROBE, NOW)
    assert row.sale is not None, row.errors
    assert row.sale.unit_price == Decimal(1)


TEXTS = [
    "HEAD\tx\r\nSY\ty\n#c\n\nSU01\tz\r\r\nlast without newline",
    "\ufeffHEAD\tbom\nSU01\té\n",
    "a\n" + "b" * 50 + "\nc\r\n",
    "",
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("block", [1, 3, 7, 1 << 20])
def test_the_reader_gives_the_lines_of_a_line_by_line_read(
    text: str, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parser, "_BLOCK", block)
    data = text.encode()
    reference = [
        (n, raw.decode().removeprefix("\ufeff").rstrip("\r\n"))
        for n, raw in enumerate(io.BytesIO(data), 1)
    ]
    assert list(parser.lines(io.BytesIO(data))) == reference


@pytest.mark.parametrize("block", [1, 5, 1 << 20])
@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"ok\nok\nn\x00l\nbad \xff\n", 3, "NUL"),
        (b"ok\nbad \xff\nn\x00l\n", 2, "not UTF-8 (invalid start byte at byte 4)"),
        (b"ok\r\nok\nlast \xc3", 3, "not UTF-8"),
    ],
)
def test_the_first_broken_line_is_named(
    data: bytes, line: int, words: str, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parser, "_BLOCK", block)
    with pytest.raises(DsrBroken) as broken:
        list(parser.lines(io.BytesIO(data)))
    assert broken.value.extensions["line"] == line
    assert words in str(broken.value)
