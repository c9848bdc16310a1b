"""Worked examples: public rates posted through HTTP, royalties computed by hand here.

Sources (docs/DOMAIN.md): US statutory mechanical for permanent downloads (9.1 cents or
1.75 cents per minute or fraction thereof over 5 minutes, 2006-2022; 12 cents in 2023;
12.40 cents or 2.39 cents per minute in 2024); the UK Joint Online Licence (8% of gross,
75% MCPS / 25% PRS); AllofMP3's claim of 15% of gross to ROMS and 25% to FAIR.
"""

from decimal import Decimal
from typing import Any

import pytest

from tests.factories import Api, isrc, share
from tests.sales.conftest import Store, a_sale, balance, by_holder, iswc, royalty

D = Decimal


def amounts(result: dict[str, Any]) -> list[str]:
    return [entry["amount"] for entry in result["royalties"]]


# --- US: "greater of 9.1 cents or 1.75 cents per minute", per minute only over 5:00 ---------


@pytest.fixture
def us(api: Api) -> dict[str, Any]:
    api.society(code="HFA", country="US", currency="USD", right_types=["mechanical"])
    publisher = api.holder(kind="publisher")["id"]
    api.mandate(
        holder_id=publisher, society_code="HFA", right_type="mechanical", territories=["US"]
    )
    work = iswc()
    api.work(work, [share(publisher, "mechanical", "1")])
    recordings = {}
    for seconds in (245, 300, 301, 600):
        recordings[seconds] = isrc()
        api.recording(recordings[seconds], [], iswc=work, duration_s=seconds)
    api.tariff(
        territory="US",
        right_type="mechanical",
        currency="USD",
        valid_from="2006-01-01",
        valid_to="2023-01-01",
        per_unit="0.091",
        per_minute={"rate": "0.0175", "over_seconds": 300},
    )
    api.tariff(
        territory="US",
        right_type="mechanical",
        currency="USD",
        valid_from="2023-01-01",
        valid_to="2024-01-01",
        per_unit="0.12",
    )
    api.tariff(
        territory="US",
        right_type="mechanical",
        currency="USD",
        valid_from="2024-01-01",
        per_unit="0.124",
        per_minute={"rate": "0.0239", "over_seconds": 300},
    )
    return {"publisher": publisher, "recordings": recordings}


@pytest.mark.parametrize(
    ("seconds", "quantity", "expected"),
    [
        # 4:05 is not over 5:00: only the per-song rate (5 started minutes would be 0.0875).
        (245, 1, D("0.091")),
        # exactly 5:00 is not OVER 5 minutes: still 9.1 cents, not 5 x 1.75.
        (300, 1, D("0.091")),
        # 5:01 counts 6 started minutes: 6 x 0.0175 = 0.105 > 0.091; two units.
        (301, 2, 2 * 6 * D("0.0175")),
        # 10:00 is 10 minutes: 0.175.
        (600, 1, 10 * D("0.0175")),
    ],
)
def test_us_statutory_greater_of(
    store: Store, us: dict[str, Any], seconds: int, quantity: int, expected: Decimal
) -> None:
    sale = a_sale(
        us["recordings"][seconds],
        territory="US",
        quantity=quantity,
        unit_price="0.99",
        currency="USD",
    )
    result = store.one(sale)
    assert result["status"] == "recorded"
    assert result["error"] is None
    assert result["royalties"] == [
        royalty("mechanical", str(expected), "USD", society="HFA", holder=us["publisher"])
    ]


def test_us_rates_follow_the_sale_date(store: Store, us: dict[str, Any], api: Api) -> None:
    long_track = us["recordings"][301]
    in_2023 = store.one(a_sale(long_track, territory="US", sold_at="2023-06-01T00:00:00Z"))
    in_2024 = store.one(a_sale(long_track, territory="US", sold_at="2024-03-01T00:00:00Z"))
    assert amounts(in_2023) == ["0.120000"]  # 12 cents flat in 2023
    assert amounts(in_2024) == ["0.143400"]  # 6 x 0.0239 = 0.1434 > 0.124
    assert balance(api, "society:HFA", "USD") == D("0.12") + D("0.1434")
    assert balance(api, f"store:{store.code}", "USD") == -(D("0.12") + D("0.1434"))


# --- Russia: percent of gross, collected by ECL societies for non-members ------------------


@pytest.fixture
def russia(api: Api) -> dict[str, Any]:
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
    return {}


def test_russia_percent_of_gross_to_ecl_societies(
    store: Store, russia: dict[str, Any], api: Api
) -> None:
    composer, label = api.holder(kind="composer")["id"], api.holder(kind="label")["id"]
    work, recording = iswc(), isrc()
    api.work(work, [share(composer, "mechanical", "1")])
    api.recording(recording, [share(label, "neighbouring", "1")], iswc=work)

    usd = store.one(a_sale(recording, unit_price="0.10", currency="USD"))
    rub = store.one(a_sale(recording, unit_price="2.70", currency="RUB", quantity=3))

    # 15% and 25% of a 0.10 USD download.
    assert usd["royalties"] == [
        royalty("mechanical", "0.015", "USD", society="ROMS", holder=composer, non_member=True),
        royalty("neighbouring", "0.025", "USD", society="FAIR", holder=label, non_member=True),
    ]
    # Three downloads at 2.70 RUB: 8.10 gross; 15% = 1.215, 25% = 2.025.
    assert rub["royalties"] == [
        royalty("mechanical", "1.215", "RUB", society="ROMS", holder=composer, non_member=True),
        royalty("neighbouring", "2.025", "RUB", society="FAIR", holder=label, non_member=True),
    ]
    assert balance(api, "society:ROMS", "RUB") == D("1.215")
    assert balance(api, "society:FAIR", "USD") == D("0.025")
    assert balance(api, f"store:{store.code}", "RUB") == D("-3.24")


def test_fifty_fifty_member_and_non_member(store: Store, russia: dict[str, Any], api: Api) -> None:
    member, outsider = api.holder()["id"], api.holder()["id"]
    api.mandate(holder_id=member, society_code="ROMS", right_type="mechanical", territories=["RU"])
    work, recording = iswc(), isrc()
    api.work(work, [share(member, "mechanical", "0.5"), share(outsider, "mechanical", "0.5")])
    api.recording(recording, [], iswc=work)

    result = store.one(a_sale(recording, unit_price="0.10", currency="USD"))

    # 15% of 0.10 = 0.015, halved: both collected by ROMS, one as a member, one under ECL;
    # the recording has no neighbouring shares, so FAIR's 0.025 waits as unclaimed.
    assert by_holder(result["royalties"]) == by_holder(
        [
            royalty("mechanical", "0.0075", "USD", society="ROMS", holder=member),
            royalty(
                "mechanical", "0.0075", "USD", society="ROMS", holder=outsider, non_member=True
            ),
            royalty("neighbouring", "0.025", "USD", suspense="unclaimed_share"),
        ]
    )
    assert balance(api, "society:ROMS", "USD") == D("0.015")
    held = api.get("/v1/suspense", isrc=recording).json()["data"]
    assert [(h["reason"], h["right_type"], h["amounts"]) for h in held] == [
        ("unclaimed_share", "neighbouring", [{"currency": "USD", "amount": "0.025000", "units": 1}])
    ]


# --- UK: one 8% licence split 75/25 between MCPS and PRS, as two tariffs --------------------


def test_uk_joint_online_licence(store: Store, api: Api) -> None:
    rate, mcps_part, prs_part = D("0.08"), D("0.75"), D("0.25")
    api.society(code="MCPS", country="GB", currency="GBP", right_types=["mechanical"])
    api.society(code="PRS", country="GB", currency="GBP", right_types=["performance"])
    api.tariff(
        territory="GB",
        right_type="mechanical",
        currency="GBP",
        percent_of_gross=str(rate * mcps_part),
    )
    api.tariff(
        territory="GB",
        right_type="performance",
        currency="GBP",
        percent_of_gross=str(rate * prs_part),
    )
    composer, publisher = api.holder(kind="composer")["id"], api.holder(kind="publisher")["id"]
    for holder in (composer, publisher):
        api.mandate(holder_id=holder, society_code="MCPS", right_type="mechanical")
        api.mandate(holder_id=holder, society_code="PRS", right_type="performance")
    work, recording = iswc(), isrc()
    api.work(
        work,
        [share(composer, right_type, "0.5") for right_type in ("mechanical", "performance")]
        + [share(publisher, right_type, "0.5") for right_type in ("mechanical", "performance")],
    )
    api.recording(recording, [], iswc=work)

    result = store.one(
        a_sale(recording, territory="GB", quantity=2, unit_price="0.79", currency="GBP")
    )

    gross = 2 * D("0.79")  # 1.58
    mechanical = gross * rate * mcps_part  # 0.0948, half each: 0.0474
    performance = gross * rate * prs_part  # 0.0316, half each: 0.0158
    expected = [
        royalty("mechanical", str(mechanical / 2), "GBP", society="MCPS", holder=h)
        for h in (composer, publisher)
    ] + [
        royalty("performance", str(performance / 2), "GBP", society="PRS", holder=h)
        for h in (composer, publisher)
    ]
    assert by_holder(result["royalties"]) == by_holder(expected)
    assert balance(api, "society:MCPS", "GBP") == D("0.0948")
    assert balance(api, "society:PRS", "GBP") == D("0.0316")


# --- FX: a tariff in USD, sales in RUB --------------------------------------------------------


def test_fx_converts_fixed_components_at_the_sale_date(store: Store, api: Api) -> None:
    holder = api.holder()["id"]
    work, recording = iswc(), isrc()
    api.work(work, [share(holder, "mechanical", "1")])
    api.recording(recording, [], iswc=work)
    # "15% of the price or 2 US cents, whichever is greater".
    api.tariff(
        territory="RU",
        right_type="mechanical",
        currency="USD",
        percent_of_gross="0.15",
        per_unit="0.02",
    )
    api.fx("2006-11-01", "USD", "RUB", "26.7")
    api.fx("2006-11-20", "USD", "RUB", "27.1")

    early = store.one(a_sale(recording, unit_price="2.70", currency="RUB"))
    late = store.one(
        a_sale(recording, unit_price="2.70", currency="RUB", sold_at="2006-11-25T08:00:00Z")
    )
    dear = store.one(a_sale(recording, unit_price="5.00", currency="RUB"))
    in_usd = store.one(a_sale(recording, unit_price="0.10", currency="USD"))

    # 2 cents at 26.7 = 0.534 RUB beats 15% of 2.70 = 0.405.
    assert amounts(early) == ["0.534000"]
    # the latest rate on or before the 25th is the 20th's: 0.02 x 27.1 = 0.542.
    assert amounts(late) == ["0.542000"]
    # 15% of 5.00 = 0.75 beats 0.534.
    assert amounts(dear) == ["0.750000"]
    # no conversion for a USD sale: 0.02 beats 0.015.
    assert amounts(in_usd) == ["0.020000"]
    assert all(e["currency"] == "RUB" for e in early["royalties"] + late["royalties"])
    assert balance(api, f"holder:{holder}", "RUB") == D("0.534") + D("0.542") + D("0.75")


def test_direct_payment_without_mandate_or_ecl(store: Store, api: Api) -> None:
    holder = api.holder()["id"]
    recording = isrc()
    api.recording(recording, [share(holder, "neighbouring", "1")])
    api.tariff(territory="DE", right_type="neighbouring", currency="EUR", percent_of_gross="0.1")

    result = store.one(a_sale(recording, territory="DE", unit_price="1.29", currency="EUR"))

    assert result["royalties"] == [royalty("neighbouring", "0.129", "EUR", holder=holder)]
    assert balance(api, f"holder:{holder}", "EUR") == D("0.129")
