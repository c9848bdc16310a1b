"""Compiled plans book exactly what the reference path books (issue 21).

The reference is the pure engine behind the basis: ``price.price`` (tariffs in force,
unit royalty, FX, routed shares) → ``basis.sale_deltas`` (the engine's rounding and
largest-remainder split) → ``postings.legs_for`` → ``ledger.postings.prepare`` (the
hash chain's encoding). A compiled plan is built once per recording, territory,
currency and date and applied to any price and quantity; for random catalogues (shares
that do and do not add up to one, mandates, ECL, unknown works and recordings, tariffs
with every component, FX rates present and missing) and random prices and quantities,
both must give the same legs to the micro-unit, the same canonical lines byte for byte,
and the same stored basis text.
"""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.catalog.service import RECORDING, WORK, ShareRow, VersionShares
from service.ledger.postings import Posting, prepare
from service.sales.postings import SaleDims, legs_for
from service.sales.pricing import basis as bases
from service.sales.pricing.engine.engine import TariffTerms
from service.sales.pricing.engine.routing import MandateTerms
from service.sales.pricing.generation import Generation, RecordingFacts, TariffFacts
from service.sales.pricing.plans import plan_for
from service.sales.pricing.price import Snapshot, price
from service.tariffs.service import FxTable

TERRITORIES = ("RU", "US", "GB")
CURRENCIES = ("RUB", "USD", "GBP")
HOLDERS = ("h-a", "h-b", "h-c", "h-d")
DAY0 = date(2006, 11, 1)


class Rate:
    def __init__(self, on: date, pair: tuple[str, str], rate: Decimal) -> None:
        self.date, (self.from_currency, self.to_currency), self.rate = on, pair, rate


class Sale:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


decimals = st.decimals(min_value=Decimal("0"), max_value=Decimal("3"), places=4)
# Equal shares and thirds make largest-remainder ties, where order decides who gets a quantum.
share_values = st.sampled_from(
    [Decimal("0.25"), Decimal("0.25"), Decimal("0.333333"), Decimal("0.1"), Decimal("0.5")]
) | st.integers(1, 25).map(lambda n: Decimal(n) / 100)
shares = st.lists(st.tuples(st.sampled_from(HOLDERS), share_values), min_size=0, max_size=4).map(
    lambda rows: _at_most_one(dict(rows))
)


def _at_most_one(found: dict[str, Decimal]) -> dict[str, Decimal]:
    """Drop holders until the shares add up to 1 at most (the catalog refuses more)."""
    while sum(found.values()) > 1:
        found.pop(max(found))
    return found


@st.composite
def catalogues(draw: st.DrawFn) -> Snapshot:
    generation = Generation(token=None)
    for n in range(3):
        isrc = f"RUAAA06{n:05d}"
        iswc = draw(st.sampled_from([None, f"T-00000000{n}-1"]))
        duration = draw(st.sampled_from([None, 59, 180, 301]))
        generation.recordings[isrc] = RecordingFacts(isrc, iswc, duration)
        for kind, key, rights in (
            (RECORDING, isrc, ("neighbouring",)),
            (WORK, iswc, ("mechanical", "performance")),
        ):
            if key is None:
                continue
            versions = []
            for start in sorted(set(draw(st.lists(st.integers(0, 20), min_size=1, max_size=2)))):
                rows = [
                    ShareRow(holder, right, territory, share)
                    for right in rights
                    for territory in draw(st.sampled_from([("WORLD",), TERRITORIES]))
                    for holder, share in draw(shares).items()
                ]
                versions.append(VersionShares(DAY0 + timedelta(start), tuple(rows)))
            generation.versions[(kind, key)] = versions
    generation.recordings["RUAAA0699999"] = None  # an unknown recording
    ecl_society = draw(st.sampled_from([None, "ROMS"]))
    for holder in HOLDERS:
        generation.mandates[holder] = [
            MandateTerms(holder, society, right, frozenset(TERRITORIES), DAY0 + timedelta(s), None)
            for society, right, s in draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(["HFA", "PRS"]),
                        st.sampled_from(["mechanical", "performance", "neighbouring"]),
                        st.integers(0, 25),
                    ),
                    max_size=2,
                    unique_by=lambda t: t[1],
                )
            )
        ]
    for t, territory in enumerate(TERRITORIES):
        tariffs = []
        for n, right in enumerate(("mechanical", "performance", "neighbouring")):
            if draw(st.booleans()):
                continue
            percent = draw(st.none() | decimals.map(lambda d: d / 10))
            per_unit = draw(st.none() | decimals.map(lambda d: d / 10))
            per_minute = draw(st.none() | decimals.map(lambda d: d / 100))
            if percent is None and per_unit is None and per_minute is None:
                percent = Decimal("0.091")
            terms = TariffTerms(
                right,
                draw(st.sampled_from(CURRENCIES)),
                percent,
                per_unit,
                per_minute,
                draw(st.sampled_from([0, 60, 200])),
            )
            tariffs.append(TariffFacts(t * 10 + n, territory, DAY0, None, terms))  # ids unique
        generation.tariffs[territory] = tariffs
        if ecl_society is not None:
            generation.ecl[(territory, "performance")] = ecl_society
    rates = [
        Rate(DAY0 + timedelta(draw(st.integers(0, 20))), pair, rate)
        for pair, rate in draw(
            st.lists(
                st.tuples(
                    st.sampled_from([("RUB", "USD"), ("USD", "GBP"), ("GBP", "RUB")]),
                    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("40"), places=5),
                ),
                max_size=3,
            )
        )
    ]
    return Snapshot(generation, FxTable(rates))


sales = st.builds(
    Sale,
    isrc=st.sampled_from([f"RUAAA06{n:05d}" for n in range(3)] + ["RUAAA0699999"]),
    territory=st.sampled_from(TERRITORIES),
    currency=st.sampled_from(CURRENCIES),
    sold_at=st.integers(0, 30 * 86400).map(
        lambda s: datetime(2006, 11, 1, tzinfo=UTC) + timedelta(seconds=s)
    ),
    unit_price=st.decimals(min_value=Decimal("0"), max_value=Decimal("99"), places=3)
    | st.sampled_from([Decimal("0.99"), Decimal("0.990"), Decimal("2.7")]),
    quantity=st.integers(0, 12) | st.sampled_from([1, 999_983]),
)


def reference(sale: Sale, snap: Snapshot) -> tuple[list[Any], list[str], str] | None:
    basis = price(sale, snap)
    if not basis:
        return None
    deltas = bases.sale_deltas(basis, units=sale.quantity, territory=sale.territory)
    iswc = snap.iswc_of(sale.isrc)
    dims = SaleDims(7, "store:s", sale.isrc, iswc, sale.territory, sale.currency, sale.unit_price)
    legs = legs_for(dims, deltas, store_units=sale.quantity)
    at = datetime(2006, 12, 1, tzinfo=UTC)
    posting = prepare(Posting("sale", "sale:s/1", "2006-11", legs, created_at=at)) if legs else None
    text = json.dumps(bases.dump(basis))
    return (posting.values, posting.lines, text) if posting else ([], [], text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogues(), st.lists(sales, min_size=1, max_size=25))
def test_compiled_plans_book_what_the_engine_books(snap: Snapshot, batch: list[Sale]) -> None:
    for sale in batch:
        expected = reference(sale, snap)
        plan = plan_for(sale, snap)
        if expected is None:
            assert plan is None
            continue
        assert plan is not None
        applied = plan.apply(sale.unit_price, sale.quantity)
        posting = applied.posting(
            kind="sale",
            reference="sale:s/1",
            month="2006-11",
            created_at=datetime(2006, 12, 1, tzinfo=UTC),
            sale_pk=7,
            isrc=sale.isrc,
            iswc=snap.iswc_of(sale.isrc),
            territory=sale.territory,
            store_account="store:store:s",
            store_text="13:store:store:s",
        )
        values, lines, text = expected
        assert applied.basis_json == text
        assert applied.held == bases.holds(bases.load(json.loads(text)))
        if posting is None:
            assert values == []
            continue
        # The store's leg names the store: the reference's dims carry "store:s".
        assert [v[2] for v in posting.values] == [v[2] for v in values]
        assert posting.values[:-1] == values[:-1]
        assert posting.values[-1][1:] == values[-1][1:]
        assert posting.lines[:-1] == lines[:-1]
        assert posting.lines[-1].split("|", 1)[1] == lines[-1].split("|", 1)[1]
