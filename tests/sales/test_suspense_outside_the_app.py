"""Suspense release when the catalog changes without an HTTP request.

The release hangs on the catalog's in-process events (``service.catalog.events``): every
catalog *service* call publishes, whoever makes it (a script, an import job, a shell), and
the sales domain's subscriber releases in the same transaction. A row written straight to
the database publishes nothing; the admin run (``POST /v1/suspense/release``) is the
documented way to catch up then.
"""

from decimal import Decimal

from sqlmodel import Session

from service.catalog import service as catalog
from service.catalog.models import Recording
from service.catalog.schemas import RecordingCreate, ShareIn, WorkCreate
from tests.factories import Api, isrc
from tests.sales.conftest import Store, a_sale, balance, iswc
from tests.sales.test_suspense import held, russia, usd

__all__ = ["russia"]
D = Decimal


def test_a_direct_catalog_service_call_releases_what_was_held(
    store: Store, api: Api, russia: None, session: Session
) -> None:
    recording = isrc()
    store.one(a_sale(recording, quantity=2))
    assert [h[0] for h in held(api)] == ["unknown_recording", "unknown_recording"]
    composer, label = api.holder()["id"], api.holder(kind="label")["id"]

    # No request: the catalog's own functions, in the test's session and transaction.
    work = iswc()
    mechanical = ShareIn(holder_id=composer, right_type="mechanical", share=D(1))
    catalog.create_work(session=session, data=WorkCreate(iswc=work, title="W", shares=[mechanical]))
    neighbouring = ShareIn(holder_id=label, right_type="neighbouring", share=D(1))
    data = RecordingCreate(isrc=recording, title="R", artist="A", iswc=work, shares=[neighbouring])
    catalog.create_recording(session=session, data=data)
    session.flush()

    assert held(api) == []
    assert balance(api, "society:ROMS", "USD") == D("0.03")
    assert balance(api, "society:FAIR", "USD") == D("0.05")


def test_a_row_written_straight_to_the_database_waits_for_the_admin_run(
    store: Store, api: Api, russia: None, session: Session
) -> None:
    recording = isrc()
    store.one(a_sale(recording, quantity=2))
    session.add(Recording(isrc=recording, title="R", artist="A"))  # bypasses the service
    session.flush()
    # Nothing published, so nothing released yet (the gap the admin run exists for).
    assert [h[0] for h in held(api)] == ["unknown_recording", "unknown_recording"]

    run = api.client.post("/v1/suspense/release", headers=api.admin)
    assert run.status_code == 200, run.text
    assert run.json() == {"examined": 1, "released": 1}
    # Known now, but without a work or shares: held again, for the reasons that remain.
    assert held(api) == [
        ("unclaimed_share", "RU", recording, "neighbouring", usd("0.05", 2)),
        ("unknown_work", "RU", recording, "mechanical", usd("0.03", 2)),
    ]
