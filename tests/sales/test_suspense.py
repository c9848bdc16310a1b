"""Suspense: what cannot be routed is held, listed, and released once when data arrives."""

import threading
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import ADMIN_TOKEN
from tests.factories import Api, bearer, isrc, share
from tests.sales.conftest import Store, a_sale, balance, iswc, royalty

D = Decimal


@pytest.fixture
def russia(api: Api) -> None:
    """ROMS (mechanical) and FAIR (neighbouring) collect under ECL: 15% and 25% of gross."""
    for code, right_type in (("ROMS", "mechanical"), ("FAIR", "neighbouring")):
        api.society(
            code=code,
            country="RU",
            currency="RUB",
            right_types=[right_type],
            extended_collective_licensing=True,
        )
    api.tariff(territory="RU", right_type="mechanical", currency="RUB", percent_of_gross="0.15")
    api.tariff(territory="RU", right_type="neighbouring", currency="RUB", percent_of_gross="0.25")


def held(api: Api, **filters: Any) -> list[tuple[str, str, str, str, list[dict[str, Any]]]]:
    response = api.get("/v1/suspense", **filters)
    assert response.status_code == 200, response.text
    return [
        (h["reason"], h["territory"], h["isrc"], h["right_type"], h["amounts"])
        for h in response.json()["data"]
    ]


def usd(amount: str, units: int = 1) -> list[dict[str, Any]]:
    return [{"currency": "USD", "amount": str(D(amount).quantize(D("0.000001"))), "units": units}]


def transactions(session: Session, kind: str) -> list[tuple[str, str, bool]]:
    rows = session.execute(
        sa.text(
            "SELECT reference, period, adjustment FROM ledger_transaction WHERE kind = :k "
            "ORDER BY sequence"
        ),
        {"k": kind},
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_unknown_recording_is_held_then_released_by_posting_it(
    store: Store, api: Api, russia: None, session: Session
) -> None:
    recording = isrc()
    sale = a_sale(recording, quantity=2)
    result = store.one(sale)
    assert result["royalties"] == [
        royalty("mechanical", "0.03", "USD", suspense="unknown_recording"),
        royalty("neighbouring", "0.05", "USD", suspense="unknown_recording"),
    ]
    assert held(api) == [
        ("unknown_recording", "RU", recording, "mechanical", usd("0.03", 2)),
        ("unknown_recording", "RU", recording, "neighbouring", usd("0.05", 2)),
    ]

    composer, label = api.holder()["id"], api.holder()["id"]
    work = iswc()
    api.work(work, [share(composer, "mechanical", "1")])
    api.recording(recording, [share(label, "neighbouring", "1")], iswc=work)

    assert held(api) == []
    assert balance(api, "society:ROMS", "USD") == D("0.03")
    assert balance(api, "society:FAIR", "USD") == D("0.05")
    assert transactions(session, "release") == [
        (f"release:{store.code}/{sale['sale_id']}", "2006-11", False)
    ]
    detail = store.get(f"/v1/sales/{sale['sale_id']}").json()
    assert detail["held"] is False and detail["iswc"] == work
    assert detail["royalties"] == result["royalties"]  # the first result stays the first
    assert detail["releases"][0]["royalties"] == [
        royalty("mechanical", "0.03", "USD", society="ROMS", holder=composer, non_member=True),
        royalty("mechanical", "-0.03", "USD", suspense="unknown_recording"),
        royalty("neighbouring", "0.05", "USD", society="FAIR", holder=label, non_member=True),
        royalty("neighbouring", "-0.05", "USD", suspense="unknown_recording"),
    ]

    # Released once: later catalog changes find nothing left to release.
    api.client.patch(f"/v1/recordings/{recording}", json={"title": "Renamed"}, headers=api.admin)
    assert api.post("/v1/suspense/release", {}, expect=200) == {"examined": 0, "released": 0}
    assert len(transactions(session, "release")) == 1
    # And the refund of a released sale reverses the societies', not suspense.
    store.refund(
        sale["sale_id"], {"refund_id": "r", "quantity": 2, "refunded_at": "2006-11-05T00:00:00Z"}
    )
    for party in ("society:ROMS", "society:FAIR", f"store:{store.code}"):
        assert balance(api, party, "USD") == 0


def test_recording_without_work_then_linked(
    store: Store, api: Api, russia: None, session: Session
) -> None:
    composer, label = api.holder()["id"], api.holder()["id"]
    recording, work = isrc(), iswc()
    api.work(work, [share(composer, "mechanical", "1")])
    api.recording(recording, [share(label, "neighbouring", "1")])

    result = store.one(a_sale(recording))
    assert result["royalties"] == [
        royalty("mechanical", "0.015", "USD", suspense="unknown_work"),
        royalty("neighbouring", "0.025", "USD", society="FAIR", holder=label, non_member=True),
    ]
    assert [h[0] for h in held(api)] == ["unknown_work"]

    patched = api.client.patch(
        f"/v1/recordings/{recording}", json={"iswc": work}, headers=api.admin
    )
    assert patched.status_code == 200, patched.text
    assert held(api) == []
    assert balance(api, "society:ROMS", "USD") == D("0.015")
    assert len(transactions(session, "release")) == 1


def test_unclaimed_share_released_by_shares_in_force_on_the_sale_date(
    store: Store, api: Api, russia: None, session: Session
) -> None:
    known, late = api.holder()["id"], api.holder()["id"]
    api.mandate(holder_id=known, society_code="ROMS", right_type="mechanical", territories=["RU"])
    recording, work = isrc(), iswc()
    api.work(work, [share(known, "mechanical", "0.5")])
    api.recording(recording, [], iswc=work)
    store.one(a_sale(recording, unit_price="0.99", quantity=3))  # 15% of 2.97 = 0.4455
    assert held(api, right_type="mechanical") == [
        ("unclaimed_share", "RU", recording, "mechanical", usd("0.22275", 3))
    ]

    # A version from 2007 does not apply to a sale of November 2006: nothing moves.
    full = [share(known, "mechanical", "0.5"), share(late, "mechanical", "0.5")]
    api.client.put(
        f"/v1/works/{work}/shares",
        json={"valid_from": "2007-01-01", "shares": full},
        headers=api.admin,
    ).raise_for_status()
    assert transactions(session, "release") == []
    # Backdated to cover the sale: the unclaimed half goes to the late holder.
    api.client.put(
        f"/v1/works/{work}/shares",
        json={"valid_from": "2006-01-01", "shares": full},
        headers=api.admin,
    ).raise_for_status()
    assert held(api, right_type="mechanical") == []
    assert balance(api, "society:ROMS", "USD") == D("0.4455")
    assert len(transactions(session, "release")) == 1


def test_missing_fx_rate_is_priced_when_the_rate_arrives(
    store: Store, api: Api, session: Session
) -> None:
    holder = api.holder()["id"]
    recording = isrc()
    api.recording(recording, [share(holder, "neighbouring", "1")])
    # "15% of the price or 2 US cents": the 2 cents need a USD -> EUR rate.
    api.tariff(
        territory="FR",
        right_type="neighbouring",
        currency="USD",
        percent_of_gross="0.15",
        per_unit="0.02",
    )
    sale = a_sale(recording, territory="FR", unit_price="0.10", currency="EUR")
    result = store.one(sale)
    # Without the rate only the 15% (0.015 EUR) is known: it is held, the sale recorded.
    assert result["royalties"] == [
        royalty("neighbouring", "0.015", "EUR", suspense="missing_fx_rate")
    ]
    assert balance(api, f"store:{store.code}", "EUR") == D("-0.015")

    api.fx("2006-11-01", "USD", "EUR", "0.8")
    assert api.post("/v1/suspense/release", {}, expect=200) == {"examined": 1, "released": 1}

    # 0.02 USD x 0.8 = 0.016 EUR > 0.015: the store owes 0.001 more, the holder gets 0.016.
    assert balance(api, f"holder:{holder}", "EUR") == D("0.016")
    assert balance(api, f"store:{store.code}", "EUR") == D("-0.016")
    assert held(api) == []
    store.refund(
        sale["sale_id"], {"refund_id": "r", "quantity": 1, "refunded_at": "2006-11-09T00:00:00Z"}
    )
    assert balance(api, f"holder:{holder}", "EUR") == 0
    assert balance(api, f"store:{store.code}", "EUR") == 0


def test_fixed_price_waiting_for_a_rate_is_shown_at_zero(store: Store, api: Api) -> None:
    recording = isrc()
    api.recording(recording, [])
    api.tariff(territory="FR", right_type="neighbouring", currency="USD", per_unit="0.02")
    result = store.one(a_sale(recording, territory="FR", currency="EUR", quantity=4))
    assert result["royalties"] == [royalty("neighbouring", "0", "EUR", suspense="missing_fx_rate")]
    assert held(api) == [
        (
            "missing_fx_rate",
            "FR",
            recording,
            "neighbouring",
            [{"currency": "EUR", "amount": "0.000000", "units": 4}],
        )
    ]


def test_release_lands_in_the_oldest_open_month_when_the_sale_month_is_closed(
    store: Store, api: Api, russia: None, session: Session
) -> None:
    recording = isrc()
    store.one(a_sale(recording, unit_price="2.70", currency="RUB"))
    close = api.client.post("/v1/periods/2006-11/close", headers=api.admin)
    assert close.status_code == 201, close.text  # the first close

    api.recording(recording, [])  # known now, without shares or work: held for other reasons
    assert transactions(session, "release")[0][1:] == ("2006-12", True)
    assert [(h[0], h[3]) for h in held(api)] == [
        ("unclaimed_share", "neighbouring"),
        ("unknown_work", "mechanical"),
    ]


def test_suspense_listing_pages_filters_and_is_admin_only(
    store: Store, api: Api, russia: None
) -> None:
    recordings = sorted(isrc() for _ in range(3))
    store.batch([a_sale(r) for r in recordings])
    everything = held(api)
    assert len(everything) == 6
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/v1/suspense", **params).json()
        pages.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [(h["isrc"], h["right_type"]) for h in pages] == [(e[2], e[3]) for e in everything]
    assert [h[2] for h in held(api, right_type="neighbouring")] == recordings
    assert held(api, isrc=recordings[1], right_type="mechanical") == [
        ("unknown_recording", "RU", recordings[1], "mechanical", usd("0.015"))
    ]
    assert held(api, reason="unclaimed_share") == []
    assert store.get("/v1/suspense").status_code == 403
    assert api.get("/v1/suspense", cursor="garbage").status_code == 422


def test_concurrent_releases_release_once(isolated_app: Any) -> None:
    app, engine = isolated_app
    with TestClient(app) as setup:
        api = Api(setup, ADMIN_TOKEN)
        code = api.store()["code"]
        token = api.key("store", code)
        holder, other = api.holder()["id"], api.holder()["id"]
        api.tariff(
            territory="RU", right_type="neighbouring", currency="USD", percent_of_gross="0.25"
        )
        recording = isrc()
        sales = [a_sale(recording, sale_id=f"s-{n}") for n in range(10)]
        assert (
            setup.post("/v1/sales", json={"sales": sales}, headers=bearer(token)).status_code == 200
        )
        api.recording(recording, [share(holder, "neighbouring", "0.5")])  # half still unclaimed
    with engine.begin() as conn:  # the rest of the shares, behind the service's back
        conn.execute(
            sa.text(
                "INSERT INTO share (version_id, holder_id, right_type, territory, share) "
                "SELECT id, :h, 'neighbouring', 'WORLD', '0.5' FROM share_version "
                "WHERE asset_id = :r"
            ),
            {"h": other, "r": recording},
        )
    start, runs = threading.Barrier(4), []

    def release() -> None:
        with TestClient(app) as client:
            start.wait()
            runs.append(client.post("/v1/suspense/release", headers=bearer(ADMIN_TOKEN)).json())

    workers = [threading.Thread(target=release) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sum(r["released"] for r in runs) == 10
    with engine.connect() as conn:
        releases = conn.execute(
            sa.text("SELECT count(*) FROM ledger_transaction WHERE kind = 'release'")
        ).scalar_one()
        held_total = conn.execute(
            sa.text(
                "SELECT coalesce(sum(amount), 0) FROM ledger_leg WHERE account LIKE 'suspense:%'"
            )
        ).scalar_one()
    assert releases == 20  # 10 when the recording was posted, 10 for the completed shares
    assert held_total == 0


def test_the_suspense_filter_names_every_reason_the_engine_holds_for() -> None:
    from typing import get_args

    from service.sales.dependencies import SuspenseReason
    from service.sales.pricing.engine.engine import SUSPENSE_REASONS

    assert set(get_args(SuspenseReason)) == SUSPENSE_REASONS
