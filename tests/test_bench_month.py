"""The month generator of `make bench-month` (bench/month.py): what it posts is a month.

No database: the rows it sends through the write path are checked here; that they book
(and that the chain verifies afterwards) is what `bench.month build` itself asserts.
"""

from datetime import datetime

from bench import month, month_close

ISRCS = [f"RUB0106{n:05d}" for n in range(500)]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_hundredth_of_the_sales_are_late_ones_from_october() -> None:
    rows = [month.month_row(i, ISRCS) for i in range(20_000)]
    late = [r for r in rows if _at(r["sold_at"]) < month.NOVEMBER]
    assert 0.005 < len(late) / len(rows) < 0.015
    assert all(_at(r["sold_at"]).month == 10 for r in late)
    assert all(_at(r["sold_at"]).month == 11 for r in rows if r not in late)


def test_a_replayed_row_is_its_original_again_so_it_is_a_duplicate_not_a_conflict() -> None:
    by_id: dict[str, list[dict[str, object]]] = {}
    for i in range(3 * month.BATCH):
        row = month.month_row(i, ISRCS)
        by_id.setdefault(str(row["sale_id"]), []).append(row)
    replayed = [rows for rows in by_id.values() if len(rows) > 1]
    assert replayed
    assert all(rows[0] == other for rows in replayed for other in rows[1:])


def test_refunds_fall_in_november_after_their_sale() -> None:
    rows = [month.month_row(i, ISRCS) for i in range(5_000)]
    sold = {r["sale_id"]: _at(r["sold_at"]) for r in rows}
    refunds = month.month_refunds(rows)
    assert len(refunds) > 50
    for refund in refunds:
        at = _at(refund["refunded_at"])
        assert month.NOVEMBER <= at <= month.LAST_SECOND
        assert at >= sold[refund["sale_id"]]


def test_the_summary_line_keeps_its_keys_in_order() -> None:
    line = month_close.summary({"month_sales": 1, "build_s": "2.0", "verify_s": "3.0"})
    assert line == "month_sales=1 build_s=2.0 verify_s=3.0"
