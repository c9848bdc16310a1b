"""A DSR line whose sale a takedown covers is refused exactly as a posted sale is."""

from sqlmodel import Session

from service.tariffs.schemas import TariffCreate
from service.tariffs.service import create_tariff
from tests.factories import Api
from tests.sales.conftest import Store
from tests.sales.dsr_intake.conftest import post_dsr
from tests.sales.dsr_intake.files import DsrFile, resource, sale, summary
from tests.takedowns.conftest import Catalog, Takedowns


def test_a_withdrawn_recording_is_rejected_by_line_and_the_rest_booked(
    td: Takedowns, catalog: Catalog, api: Api, session: Session
) -> None:
    data = {"territory": "US", "right_type": "mechanical", "currency": "USD"}
    create_tariff(
        session=session,
        data=TariffCreate.model_validate(
            data | {"valid_from": "2000-01-01", "percent_of_gross": "0.08"}
        ),
    )
    session.flush()
    code = api.store()["code"]
    store = Store(api.client, code, api.key("store", code))
    takedown = td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)["id"]
    dsr = DsrFile(
        summaries=[summary(territory="US")],
        blocks=[
            [resource(1, catalog.isrc_a), sale(1)],
            [resource(2, catalog.isrc_b), sale(2)],
        ],
    )
    response = post_dsr(store, dsr.text())
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert (receipt["sales_recorded"], receipt["rejected"]) == (1, 1)
    [rejection] = receipt["rejections"]
    assert (rejection["line"], rejection["code"], rejection["takedown_id"]) == (
        4,
        "withdrawn",
        takedown,
    )
    # The same sale posted alone is a 451 with the same takedown.
    bare = store.post(
        {
            "sale_id": "o-1",
            "isrc": catalog.isrc_a,
            "territory": "US",
            "sold_at": "2006-11-01T00:00:00Z",
            "quantity": 1,
            "unit_price": "0.10",
            "currency": "USD",
        }
    )
    assert (bare.status_code, bare.json()["takedown_id"]) == (451, takedown)
