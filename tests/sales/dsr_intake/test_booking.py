"""POST /v1/sales/dsr: each SU01 line a sale, its Returns a refund, idempotent per message."""

from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session

from tests.dsr_conformance.checker import check_dsr
from tests.factories import Api, isrc
from tests.sales.conftest import Store, counts
from tests.sales.dsr_intake.conftest import post_dsr
from tests.sales.dsr_intake.files import (
    DsrFile,
    head,
    one_block_per_isrc,
    record,
    resource,
    sale,
    summary,
)

NAME = "DSR_ROMS_AllOfMP3_Downloads_2006-11_RU__20061201T080000.tsv"


def _sales(store: Store) -> dict[str, dict[str, Any]]:
    response = store.get("/v1/sales", limit=100)
    assert response.status_code == 200, response.text
    return {s["isrc"]: s for s in response.json()["data"]}


def test_files_are_conformant() -> None:
    """The files these tests build pass the independent conformance checker."""
    dsr = one_block_per_isrc(["RUA010600001", "RUA010600002"])
    assert check_dsr(dsr.text(), NAME) == []


def test_each_su01_line_is_a_sale_and_its_returns_a_refund(
    store: Store, recording: str, session: Session
) -> None:
    dsr = DsrFile(blocks=[[resource(1, recording), sale(1, usages=3, returns=1, price="0.99")]])
    response = post_dsr(store, dsr.text())
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert receipt | {"rejections": []} == {
        "message_id": "MSG-1",
        "sender": "PADPIDA2007040502I",
        "file_number": 1,
        "lines_read": 5,
        "usage_lines": 1,
        "sales_recorded": 1,
        "duplicates": 0,
        "refunds_recorded": 1,
        "refund_duplicates": 0,
        "skipped": 0,
        "rejected": 0,
        "rejections": [],
        "rejections_listed": 0,
    }
    booked = _sales(store)[recording]
    assert (booked["territory"], booked["quantity"], booked["refunded_quantity"]) == ("RU", 3, 1)
    assert (Decimal(booked["unit_price"]), booked["currency"]) == (Decimal("0.99"), "USD")
    assert (booked["sold_at"], booked["period"]) == ("2006-11-01T00:00:00Z", "2006-11")
    assert counts(session)["refund"] == 1


def test_the_same_file_twice_records_nothing_new(
    store: Store, recording: str, session: Session
) -> None:
    dsr = DsrFile(blocks=[[resource(1, recording), sale(1, usages=2, returns=1)]])
    assert post_dsr(store, dsr.text()).status_code == 200
    before = counts(session)
    again = post_dsr(store, dsr.text(), gzipped=True)
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["sales_recorded"], body["duplicates"]) == (0, 1)
    assert (body["refunds_recorded"], body["refund_duplicates"]) == (0, 1)
    assert counts(session) == before


def test_another_file_under_the_same_message_id_is_a_conflict(
    store: Store, recording: str, session: Session
) -> None:
    assert post_dsr(store, one_block_per_isrc([recording]).text()).status_code == 200
    before = counts(session)
    other = one_block_per_isrc([recording], Usages="5")
    response = post_dsr(store, other.text())
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "conflict"
    assert counts(session) == before


def test_sale_ids_are_derived_from_sender_message_block_and_line(
    store: Store, recording: str
) -> None:
    first = one_block_per_isrc([recording])
    second = DsrFile(head=head("MSG-2"), blocks=first.blocks)
    for dsr in (first, second):
        assert post_dsr(store, dsr.text()).json()["sales_recorded"] == 1
    ids = {s["sale_id"] for s in store.get("/v1/sales").json()["data"]}
    assert len(ids) == 2 and all(i.startswith("dsr-") and i.endswith("-1-4") for i in ids)


def test_an_admin_names_the_store(api: Api, store: Store, recording: str) -> None:
    admin = Store(store.client, store.code, "")
    admin_headers = api.admin
    response = store.client.post(
        "/v1/sales/dsr",
        content=one_block_per_isrc([recording]).text(),
        headers={**admin_headers, "Content-Type": "text/tab-separated-values"},
        params={"store": store.code},
    )
    assert response.status_code == 200, response.text
    assert response.json()["sales_recorded"] == 1
    assert recording in _sales(store)
    assert admin.code == store.code


def test_rejected_lines_name_line_record_cell_and_reason(store: Store, recording: str) -> None:
    dsr = DsrFile(
        summaries=[summary(), summary("SR2", territory="XX")],
        blocks=[
            [resource(1, recording), sale(1), sale(1, summary_id="SR2")],
            [resource(2, "RUA01060000"), sale(2)],  # 11 characters: not an ISRC
            [
                record_release(3),
                sale(3, resource_ref="", TransactedRelease="A1"),
            ],
            [resource(4, recording), sale(4, usages=1, returns=2)],
            [sale(5)],  # a block of sales alone: not the previous block's resource
        ],
    )
    response = post_dsr(store, dsr.text())
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert (receipt["sales_recorded"], receipt["rejected"]) == (1, 5)
    found = {(r["line"], r["record_type"], r["cell"], r["code"]) for r in receipt["rejections"]}
    assert found == {
        (6, "SU01", "Territory", "invalid"),
        (8, "SU01", "ISRC", "invalid"),
        (10, "SU01", "TransactedResource", "no_resource"),
        (12, "SU01", "Returns", "unmatched_return"),
        (13, "SU01", "TransactedResource", "no_resource"),
    }
    reasons = {r["line"]: r["reason"] for r in receipt["rejections"]}
    assert "'XX'" in reasons[6] and "SY02.02 SR2, line 3" in reasons[6]


def record_release(block: int) -> str:
    return record(
        "RE01",
        BlockId=str(block),
        ReleaseReference="A1",
        DspReleaseId="rel-1",
        DisplayArtistName="An artist",
        Title="An album",
    )


def test_not_royalty_bearing_and_empty_lines_are_skipped(store: Store, recording: str) -> None:
    dsr = DsrFile(
        blocks=[[resource(1, recording), sale(1, IsRoyaltyBearing="false"), sale(1, usages=0)]]
    )
    receipt = post_dsr(store, dsr.text()).json()
    assert (receipt["skipped"], receipt["sales_recorded"], receipt["rejected"]) == (2, 0, 0)


def test_a_fresh_isrc_is_booked_into_suspense_like_any_sale(store: Store, api: Api) -> None:
    code = isrc()
    api.tariff(territory="RU", right_type="neighbouring", currency="USD", percent_of_gross="0.25")
    receipt = post_dsr(store, one_block_per_isrc([code]).text()).json()
    assert receipt["sales_recorded"] == 1
    assert _sales(store)[code]["held"] is True


@pytest.mark.parametrize(
    ("summary_cells", "sale_cells", "cell", "words"),
    [
        ({}, {"Usages": "three"}, "Usages", "not a whole number"),
        ({}, {"Returns": "-1"}, "Returns", "not a whole number"),
        ({}, {"Usages": "1000001"}, "Usages", "at most 1000000"),
        ({"Territory": "Worldwide"}, {}, "Territory", "'Worldwide'"),
        ({"CurrencyOfReporting": "XYZ"}, {}, "CurrencyOfReporting", "'XYZ'"),
        ({}, {"PriceConsumerPaidExcSalesTax": ""}, "PriceConsumerPaidExcSalesTax", "unit_price"),
        ({}, {"SummaryRecordId": "SR9"}, "SummaryRecordId", "no summary 'SR9'"),
        ({}, {"TransactedResource": "R7"}, "TransactedResource", "no resource 'R7'"),
    ],
)
def test_a_line_that_cannot_be_a_sale_is_rejected_alone(
    store: Store,
    recording: str,
    summary_cells: dict[str, str],
    sale_cells: dict[str, str],
    cell: str,
    words: str,
) -> None:
    dsr = DsrFile(
        summaries=[summary(**summary_cells)],
        blocks=[[resource(1, recording), sale(1, **sale_cells)]],
    )
    receipt = post_dsr(store, dsr.text()).json()
    assert (receipt["sales_recorded"], receipt["rejected"]) == (0, 1), receipt
    [rejection] = receipt["rejections"]
    assert (rejection["line"], rejection["cell"]) == (4, cell)
    assert words in rejection["reason"]


def test_a_basic_summary_sy01_gives_territory_and_currency_too(
    store: Store, recording: str
) -> None:
    basic = record(
        "SY01.01",
        SummaryRecordId="SB1",
        CommercialModel="PayAsYouGoModel",
        UseType="PermanentDownload",
        Territory="RU",
        Usages="2",
        CurrencyOfReporting="USD",
        NetRevenue="0.20",
    )
    dsr = DsrFile(
        summaries=[basic], blocks=[[resource(1, recording), sale(1, usages=2, summary_id="SB1")]]
    )
    assert check_dsr(dsr.text(), NAME) == []
    receipt = post_dsr(store, dsr.text()).json()
    assert receipt["sales_recorded"] == 1, receipt
    booked = _sales(store)[recording]
    assert (booked["territory"], booked["currency"], booked["quantity"]) == ("RU", "USD", 2)
