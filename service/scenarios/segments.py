"""Segments of a month: the days from which the price of one kind of sale may change.

A kind of sale is its (recording, territory priced in, currency). Its price can change
only on a day a tariff of that territory starts or ends, an FX rate between the sale's
currency and one of those tariffs' currencies is dated, or (unless the scenario fixes the
catalogue's date) a version of its recording's or work's shares starts or a mandate of
one of their holders starts or ends. Between two such days every day prices alike, so a
kind is priced once per segment, not once per day.

The cuts are per kind, not the month's union: with daily FX rates the union cuts every
day, while a sale priced in its tariffs' own currency reads no rate at all and keeps one
segment.
"""

from collections.abc import Iterable
from datetime import date

from sqlmodel import Session

from service.catalog.service import RECORDING, WORK, AssetKey
from service.sales.pricing.generation import Generation
from service.tariffs.service import fx_rate_dates


class Segments:
    """Cut days per kind of sale over ``(start, end]``, from one snapshot's generation."""

    def __init__(
        self, *, session: Session, generation: Generation, catalogue: bool, start: date, end: date
    ) -> None:
        """``catalogue``: the catalogue's own dates cut (False when a scenario takes the
        shares and mandates of one fixed date)."""
        self._session = session
        self._generation = generation
        self._catalogue = catalogue
        self.start, self._end = start, end
        self._cuts: dict[tuple[str, str, str], list[date]] = {}
        self._tariffs: dict[tuple[str, str], set[date]] = {}
        self._fx: dict[frozenset[str], set[date]] = {}
        self._assets: dict[str, set[date]] = {}

    def cuts(self, isrc: str, where: str, currency: str) -> list[date]:
        """The sorted days in ``(start, end]`` on which a segment of this kind begins."""
        key = (isrc, where, currency)
        found = self._cuts.get(key)
        if found is None:
            days = self._tariff_days(where, currency)
            if self._catalogue:
                days = days | self._asset_days(isrc)
            found = self._cuts[key] = sorted(d for d in days if self.start < d <= self._end)
        return found

    def read_rates(self, kinds: Iterable[tuple[str, str]]) -> None:
        """Reads now the FX rate dates of every (territory priced in, currency): ``cuts``
        then reads nothing from the database (a forked worker may call it)."""
        for where, currency in set(kinds):
            self._tariff_days(where, currency)

    def _tariff_days(self, where: str, currency: str) -> set[date]:
        """Tariffs of ``where`` starting or ending, and the rates they may read dated."""
        found = self._tariffs.get((where, currency))
        if found is None:
            days: set[date] = set()
            currencies = {currency}
            for tariff in self._generation.tariffs.get(where, ()):
                days.add(tariff.valid_from)
                if tariff.valid_to is not None:
                    days.add(tariff.valid_to)
                currencies.add(tariff.currency)
            found = self._tariffs[(where, currency)] = days | self._fx_days(currencies)
        return found

    def _fx_days(self, currencies: Iterable[str]) -> set[date]:
        """Days a rate between two of ``currencies`` is dated (none with one currency:
        a tariff in the sale's currency reads no rate)."""
        wanted = frozenset(currencies)
        found = self._fx.get(wanted)
        if found is None:
            found = self._fx[wanted] = fx_rate_dates(
                session=self._session, currencies=wanted, start=self.start, end=self._end
            )
        return found

    def _asset_days(self, isrc: str) -> set[date]:
        """Days a version of the recording's or its work's shares starts, or a mandate of
        one of their holders starts or ends (``Generation.interval``'s breaks)."""
        found = self._assets.get(isrc)
        if found is None:
            found = self._assets[isrc] = set()
            for asset in self._assets_of(isrc):
                for version in self._generation.versions.get(asset) or ():
                    found.add(version.valid_from)
                    for row in version.rows:
                        for mandate in self._generation.mandates.get(row.holder_id, ()):
                            found.add(mandate.valid_from)
                            if mandate.valid_to is not None:
                                found.add(mandate.valid_to)
        return found

    def _assets_of(self, isrc: str) -> list[AssetKey]:
        recording = self._generation.recordings.get(isrc)
        if recording is None:
            return []
        if recording.iswc:
            return [(RECORDING, isrc), (WORK, recording.iswc)]
        return [(RECORDING, isrc)]
