"""CISAC TIS territories with inclusion and exclusion, resolved to the ledger's territories.

The TIS hierarchy (which countries a group such as 2136 World or 2120 Europe holds) comes
from ``music-metadata-territories``, which ships CISAC's TIS tables; nothing is typed in
here. A party's territory records are applied in order: an inclusion gives the party its
shares in every country of the territory, an exclusion takes them away again.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache

from music_metadata.territories.territory import Territory
from music_metadata.territories.territory_list import (
    TerritoryList,
)

WORLD_TIS = "2136"
Shares = tuple[Decimal, Decimal]  # (PR, MR) collection shares as fractions of 1


@dataclass(frozen=True, slots=True)
class TerritoryClaim:
    include: bool
    tis: str
    shares: Shares


class UnknownTerritory(ValueError):
    pass


def known(tis: str) -> bool:
    return Territory.get(tis) is not None


def is_world(tis: str) -> bool:
    return tis.lstrip("0") == WORLD_TIS


@lru_cache(maxsize=1024)
def countries_of(tis: str) -> tuple[str, ...]:
    """ISO alpha-2 codes of the countries a TIS territory holds (itself, for a country)."""
    territory = Territory.get(tis)
    if territory is None:
        raise UnknownTerritory(f"TIS code {tis} is not a current CISAC territory")
    return tuple(sorted(str(t.tis_a) for t in territory.countries)) or (str(territory.tis_a),)


@cache
def world_countries() -> tuple[str, ...]:
    """ISO alpha-2 codes of every country in TIS World today."""
    return tuple(sorted(str(t.tis_a) for t in Territory.get(WORLD_TIS).countries))


@lru_cache(maxsize=4096)
def shares_by_country(claims: tuple[TerritoryClaim, ...]) -> dict[str, Shares]:
    """Country (ISO alpha-2) -> the party's shares there, after every inclusion and exclusion
    in order (memoised: most files repeat a few patterns, e.g. World alone). Raises
    UnknownTerritory for a TIS code CISAC does not list (or no longer does)."""
    territories = TerritoryList()
    for claim in claims:
        territory = Territory.get(claim.tis)
        if territory is None:
            raise UnknownTerritory(f"TIS code {claim.tis} is not a current CISAC territory")
        if claim.include:
            _include(territories, territory, claim.shares)
        else:
            _exclude(territories, territory)
    return {str(country.tis_a): shares for country, shares in territories.countries.items()}


def _include(territories: TerritoryList, territory: Territory, shares: Shares) -> None:
    # A later inclusion of a territory already (partly) covered replaces the shares there.
    _exclude(territories, territory)
    territories.include(territory, shares)


def _exclude(territories: TerritoryList, territory: Territory) -> None:
    for country in list(territory.countries) or [territory]:
        if country in territories:
            territories.exclude(country)
