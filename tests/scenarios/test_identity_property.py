"""The identity property on random catalogues: ``territory=buyer`` with no overrides
reproduces the books to the micro-unit for every party, whatever the shares (partial,
territory-specific), mandates, ECL societies, tariff shapes, currencies, refunds and
suspense releases (a work linked after its recording sold)."""

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.identifiers import iswc_check_digit
from tests.factories import Api, bearer, isrc, share, unique

_iswc_numbers = itertools.count(700_000_001)
TERRITORIES = ("RU", "US", "GB", "FR")  # FR has no tariff: its sales are refused, not booked
CURRENCIES = ("USD", "GBP", "RUB")
RIGHTS = ("mechanical", "performance")


def _iswc() -> str:
    digits = f"{next(_iswc_numbers):09d}"
    return f"T-{digits[:3]}.{digits[3:6]}.{digits[6:]}-{iswc_check_digit(digits)}"


@dataclass
class World:
    """Societies, tariffs and rates every example shares (the fixture runs once)."""

    societies: dict[str, str]  # role -> code


@pytest.fixture
def world(api: Api) -> World:
    ecl_ru = api.society(
        right_types=["mechanical", "performance"], extended_collective_licensing=True
    )
    fair = api.society(right_types=["neighbouring"], extended_collective_licensing=True)
    us = api.society(country="US", currency="USD", right_types=["mechanical"])
    gb = api.society(country="GB", currency="GBP", right_types=["mechanical", "performance"])
    api.tariff(territory="RU", currency="RUB", percent_of_gross="0.15")
    api.tariff(territory="RU", right_type="neighbouring", currency="RUB", percent_of_gross="0.25")
    api.tariff(
        territory="US",
        per_unit="0.091",
        per_minute={"rate": "0.0175", "over_seconds": 300},
    )
    api.tariff(territory="GB", currency="GBP", percent_of_gross="0.06", per_unit="0.03")
    api.tariff(territory="GB", right_type="performance", currency="GBP", percent_of_gross="0.02")
    for pair, rate in ((("USD", "RUB"), "26.7"), (("GBP", "USD"), "1.9"), (("GBP", "RUB"), "50.9")):
        api.fx("2000-01-01", pair[0], pair[1], rate)
    return World(
        {"ecl_ru": ecl_ru["code"], "fair": fair["code"], "us": us["code"], "gb": gb["code"]}
    )


shares_st = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=3)


def _split(draw: st.DrawFn, holders: list[str]) -> list[tuple[str, str]]:
    """Shares of up to 1 in all, to 4 places, over some of ``holders``."""
    weights = draw(shares_st)
    if sum(weights) > 10_000:
        weights = [w * 10_000 // sum(weights) for w in weights]
    owners = draw(st.permutations(holders))[: len(weights)]
    return [
        (holder, str(Decimal(w) / Decimal(10_000)))
        for holder, w in zip(owners, weights, strict=False)
        if w
    ]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_buyers_rule_reproduces_the_books_on_random_catalogues(
    api: Api, world: World, data: st.DataObject
) -> None:
    draw = data.draw
    holders = [api.holder()["id"] for _ in range(3)]
    for holder in holders:
        for role, right, territories in (
            ("ecl_ru", "mechanical", ["RU"]),
            ("us", "mechanical", ["US"]),
            ("gb", "performance", ["GB", "RU"]),
            ("fair", "neighbouring", ["WORLD"]),
        ):
            if draw(st.booleans()):
                society = world.societies[role]
                if right == "performance" and role == "gb":
                    territories = ["GB"]
                api.mandate(
                    holder_id=holder,
                    society_code=society,
                    right_type=right,
                    territories=territories,
                )
    works = []
    for _ in range(draw(st.integers(1, 2))):
        work = _iswc()
        rows = [
            share(h, right, value, draw(st.sampled_from(["WORLD", "WORLD", "GB"])))
            for right in RIGHTS
            for h, value in _split(draw, holders)
        ]
        # A territory-specific set must not overlap the WORLD set for the same holder
        # beyond 1 in total: keep one territory per right type.
        by_right: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in rows:
            by_right.setdefault((row["right_type"], row["territory"]), []).append(row)
        kept = [r for group in by_right.values() for r in group]
        api.work(work, kept)
        works.append(work)
    recordings, unlinked = [], []
    for _ in range(draw(st.integers(1, 3))):
        code = isrc()
        label = [share(h, "neighbouring", v) for h, v in _split(draw, holders)]
        linked = draw(st.booleans())
        api.recording(
            code,
            label,
            iswc=draw(st.sampled_from(works)) if linked else None,
            duration_s=draw(st.sampled_from([None, 180, 301, 421])),
        )
        recordings.append(code)
        if not linked:
            unlinked.append(code)
    # Changes within the month, before the sales are posted (so the books price by them):
    # the scenario must cut the month at each of these days.
    day = f"2006-03-{draw(st.integers(2, 28)):02d}"
    if draw(st.booleans()):
        rate = str(draw(st.decimals("1.5", "2.5", places=2)))
        body = {"date": day, "from": "GBP", "to": "USD", "rate": rate}
        response = api.client.post("/v1/fx-rates", json=body, headers=api.admin)
        assert response.status_code in (201, 409), response.text
    if draw(st.booleans()):
        api.mandate(
            holder_id=holders[0],
            society_code=world.societies["gb"],
            right_type="mechanical",
            territories=["GB"],
            valid_from=day,
        )
    if draw(st.booleans()):
        label = [share(h, "neighbouring", v) for h, v in _split(draw, holders)]
        body = {"valid_from": day, "shares": label}
        response = api.client.put(
            f"/v1/recordings/{recordings[0]}/shares", json=body, headers=api.admin
        )
        assert response.status_code in (200, 201), response.text
    store = api.store(code=unique("scen"))["code"]
    token = api.key("store", store)
    rows = [
        {
            "sale_id": unique("p-"),
            "isrc": draw(st.sampled_from([*recordings, "ZZXXX0600098"])),
            "territory": draw(st.sampled_from(TERRITORIES)),
            "sold_at": f"2006-03-{draw(st.integers(1, 28)):02d}T10:00:00Z",
            "quantity": draw(st.integers(1, 7)),
            "unit_price": str(draw(st.decimals("0.01", "2.50", places=draw(st.integers(0, 3))))),
            "currency": draw(st.sampled_from(CURRENCIES)),
        }
        for _ in range(draw(st.integers(1, 12)))
    ]
    posted = api.client.post("/v1/sales", json={"sales": rows}, headers=bearer(token))
    assert posted.status_code == 200, posted.text
    recorded = [
        (row, r)
        for row, r in zip(rows, posted.json()["results"], strict=True)
        if r["status"] == "recorded"
    ]
    for row, _ in recorded:
        back = draw(st.integers(0, row["quantity"]))
        if back:
            body = {
                "refund_id": unique("r-"),
                "quantity": back,
                "refunded_at": "2006-03-29T10:00:00Z",
            }
            response = api.client.post(
                f"/v1/sales/{row['sale_id']}/refunds", json=body, headers=bearer(token)
            )
            assert response.status_code == 201, response.text
    for code in unlinked:
        if draw(st.booleans()):  # link the work now: suspense is released into the books
            response = api.client.patch(
                f"/v1/recordings/{code}",
                json={"iswc": draw(st.sampled_from(works))},
                headers=api.admin,
            )
            assert response.status_code == 200, response.text
    report = api.post("/v1/scenarios", {"period_from": "2006-03", "store": store})
    assert report["sales"] == len(recorded)
    assert report["differs_from_books"] is False, [
        line for line in report["lines"] if line["books"] != line["scenario"]
    ]
