"""The per-process cache of what pricing reads, checked against a catalog version token.

Recordings, share versions, mandates, tariffs, FX rates and ECL societies change rarely
and are read by every batch, so each process keeps them (as plain values, never ORM
objects) in one *generation*: the data as of one value of ``catalog_version.token``.
Database triggers give that token a fresh random value in every transaction that writes
one of those tables (migration 0005), so:

* a batch reads the token (one query); the same token means the cached data is exactly
  what the database holds for this transaction, so only keys never seen are loaded;
* another token starts a new generation (the old one is dropped whole);
* a rolled-back change never comes back: its random token is never seen again, so a
  generation filled inside that transaction is simply never used after it.

Data topped up into a generation is loaded first and kept only if the token read *after*
loading is still the one read before (under READ COMMITTED each statement sees the
latest commits; a catalog change committed meanwhile shows up as a new token). Missing
keys are cached too (an unknown ISRC, a holder without mandates), since creating them
changes the token. The memo dictionaries of ``service.sales.pricing.price`` and
``service.sales.recording`` live on the generation for the same reason.

Memory is bounded in bytes (``configure``: ``CACHE_MB`` a process by default): every entry
is counted at an approximate size measured with tracemalloc (the ``*_BYTES`` constants;
docs/dsr-intake.md, "Memory"), and each part of the cache keeps within its share of the
budget (``SHARES``). A memo forgets by age (``AgedMemo``: the half not used since the last
turn goes); the catalogue part (recordings, share versions, mandates) is dropped whole
when it passes its share and reloaded as batches need it, the memos kept (same token:
what they hold is still true).
"""

import bisect
import gc
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from service.catalog import repository as catalog
from service.catalog.service import RECORDING, WORK, AssetKey, VersionShares, load_share_versions
from service.parties.models import Mandate
from service.parties.service import ecl_societies
from service.sales.models import CatalogVersion
from service.sales.pricing.budget import (
    BASIS_BYTES,
    BUDGET,
    CLAIMS_BYTES,
    LOOKUP_BYTES,
    MEMO_BYTES,
    AgedMemo,
    catalogue_bytes,
    plan_bytes,
)
from service.sales.pricing.engine.engine import TariffTerms
from service.sales.pricing.engine.routing import MandateTerms
from service.sql import among, is_postgresql, table_of
from service.tariffs.service import FxTable, load_fx, load_tariff_rows

_CHUNK = 5_000
_ATTEMPTS = 3

MANDATES = table_of(Mandate)
VERSION = table_of(CatalogVersion)


@dataclass(frozen=True, slots=True)
class RecordingFacts:
    isrc: str
    iswc: str | None
    duration_s: int | None


@dataclass(frozen=True, slots=True)
class TariffFacts:
    """A tariff's terms with where and when they are in force (the engine's
    ``TariffTerms`` carry the right type and currency: they are not repeated here)."""

    id: int
    territory: str
    valid_from: date
    valid_to: date | None
    terms: TariffTerms

    @property
    def right_type(self) -> str:
        return self.terms.right_type

    @property
    def currency(self) -> str:
        return self.terms.currency


@dataclass(slots=True)
class Generation:
    """Everything cached under one catalog token (``None``: private to one batch)."""

    token: str | None
    recordings: dict[str, RecordingFacts | None] = field(default_factory=dict)
    versions: dict[AssetKey, list[VersionShares]] = field(default_factory=dict)
    mandates: dict[str, list[MandateTerms]] = field(default_factory=dict)
    tariffs: dict[str, list[TariffFacts]] = field(default_factory=dict)  # by territory
    fx: dict[frozenset[str], FxTable] = field(default_factory=dict)
    ecl: dict[tuple[str, str], str] = field(default_factory=dict)
    ecl_loaded: bool = False
    breaks: dict[AssetKey, list[date]] = field(default_factory=dict)
    catalogue_bytes: int = 0  # approximate bytes of recordings, versions and mandates
    memo_tariffs: AgedMemo = field(
        default_factory=lambda: AgedMemo(BUDGET.of("memos", memos=4), MEMO_BYTES)
    )
    memo_rates: AgedMemo = field(
        default_factory=lambda: AgedMemo(BUDGET.of("memos", memos=4), MEMO_BYTES)
    )
    memo_units: AgedMemo = field(
        default_factory=lambda: AgedMemo(BUDGET.of("memos", memos=4), MEMO_BYTES)
    )
    # Routed shares are read when a plan compiles; the plan keeps what it needs, so a
    # smaller memo costs a re-route now and then, not a sale's look-up.
    memo_claims: AgedMemo = field(
        default_factory=lambda: AgedMemo(BUDGET.of("claims"), CLAIMS_BYTES)
    )
    memo_bases: AgedMemo = field(
        default_factory=lambda: AgedMemo(BUDGET.of("memos", memos=4), BASIS_BYTES)
    )
    # By sale and day (a reference to a compiled plan, or None: no tariff).
    memo_plans: AgedMemo = field(default_factory=lambda: AgedMemo(BUDGET.of("plans"), LOOKUP_BYTES))
    # Compiled plans, by what they are made of; ``memo_plans`` is emptied whenever some of
    # them are dropped, or its references would keep them alive.
    memo_compiled: AgedMemo = field(
        default_factory=lambda: AgedMemo(BUDGET.of("compiled"), plan_bytes)
    )

    def __post_init__(self) -> None:
        if self.memo_plans.clear not in self.memo_compiled.on_drop:
            self.memo_compiled.on_drop.append(self.memo_plans.clear)

    def emptied_catalogue(self) -> "Generation":
        """The same token and memos without the catalogue (batches reload what they need;
        the memos hold what is still true under this token)."""
        return Generation(
            token=self.token,
            memo_tariffs=self.memo_tariffs,
            memo_rates=self.memo_rates,
            memo_units=self.memo_units,
            memo_claims=self.memo_claims,
            memo_bases=self.memo_bases,
            memo_plans=self.memo_plans,
            memo_compiled=self.memo_compiled,
        )

    def interval(self, asset: AssetKey, on: date) -> int:
        """Which validity interval of ``asset`` ``on`` falls in.

        Interval boundaries are the dates a version of the asset starts and the dates a
        mandate of one of its holders starts or ends: the shares in force and their
        routes are the same on every day of one interval.
        """
        breaks = self.breaks.get(asset)
        if breaks is None:
            dates: set[date] = set()
            for version in self.versions.get(asset) or ():
                dates.add(version.valid_from)
                for row in version.rows:
                    for mandate in self.mandates.get(row.holder_id, ()):
                        dates.add(mandate.valid_from)
                        if mandate.valid_to is not None:
                            dates.add(mandate.valid_to)
            breaks = self.breaks[asset] = sorted(dates)
        return bisect.bisect_right(breaks, on)


@dataclass(slots=True)
class _Loaded:
    """What one top-up read, merged into the generation only if the token held."""

    recordings: dict[str, RecordingFacts | None] = field(default_factory=dict)
    versions: dict[AssetKey, list[VersionShares]] = field(default_factory=dict)
    mandates: dict[str, list[MandateTerms]] = field(default_factory=dict)
    tariffs: dict[str, list[TariffFacts]] = field(default_factory=dict)
    fx: dict[frozenset[str], FxTable] = field(default_factory=dict)
    ecl: dict[tuple[str, str], str] | None = None

    def __bool__(self) -> bool:
        return bool(
            self.recordings
            or self.versions
            or self.mandates
            or self.tariffs
            or self.fx
            or self.ecl is not None
        )

    def merge_into(self, generation: Generation) -> None:
        generation.catalogue_bytes += catalogue_bytes(self.recordings, self.versions, self.mandates)
        # Mandates before versions: a reader that finds a version finds its holders.
        generation.mandates.update(self.mandates)
        generation.versions.update(self.versions)
        generation.recordings.update(self.recordings)
        generation.tariffs.update(self.tariffs)
        generation.fx.update(self.fx)
        if self.ecl is not None:
            generation.ecl = self.ecl
            generation.ecl_loaded = True


_lock = threading.Lock()
_current = Generation(token=None)

_GC_THRESHOLDS = (50_000, 20, 10)


def tune_gc() -> None:
    """Raise the collector's thresholds for a process that keeps a filled cache.

    A filled cache is ~10^6 long-lived objects, and CPython's default thresholds
    (700, 10, 10) re-traverse all of them in every full collection: ~0.2 s each, measured
    at ~2 s of the 10 s of 13 ingestion batches (gc.callbacks). A larger young generation
    makes full collections rare (none in the same run) for a little more transient
    garbage. Only ever raised, never lowered, for the whole process (``create_app`` calls
    this once).
    """
    current = gc.get_threshold()
    gc.set_threshold(*(max(a, b) for a, b in zip(current, _GC_THRESHOLDS, strict=False)))


def read_token(session: Session) -> str | None:
    """The catalog version token as this transaction sees it; None: do not cache (the
    database is not migrated yet, or this transaction itself changed the catalog).

    Qualified by the database's URL: a process that talks to two databases (tests, a
    database cloned from another) never mistakes one's cache for the other's.
    """
    bind = session.get_bind()
    if is_postgresql(session):
        own = VERSION.c.writer == sa.func.txid_current_if_assigned()
        row = session.execute(sa.select(VERSION.c.token, own).where(VERSION.c.id == 1)).first()
        # A token this transaction set stands for catalog it may still be writing.
        token = None if row is None or row[1] else row[0]
    else:
        token = session.execute(sa.select(VERSION.c.token).where(VERSION.c.id == 1)).scalar()
    if token is None:
        return None
    return f"{bind.engine.url.render_as_string()}#{token}"


def _generation_for(token: str) -> Generation:
    """The generation of ``token``; over its share, the catalogue part starts empty again
    (in a new object: a batch still pricing from the old one keeps it whole)."""
    global _current
    with _lock:
        if _current.token != token:
            _current = Generation(token=token)
        elif _current.catalogue_bytes > BUDGET.of("catalogue"):
            _current = _current.emptied_catalogue()
        return _current


def clear() -> None:
    """Forget every cached generation (tests; a process never needs it)."""
    global _current
    with _lock:
        _current = Generation(token=None)


def configure(megabytes: float) -> None:
    """Set the cache's budget (``LEDGER_PRICING_CACHE_MB``) and start an empty cache."""
    if megabytes <= 0:
        raise ValueError("the pricing cache needs a positive budget")
    BUDGET.total = int(megabytes * 2**20)
    clear()


def load_generation(
    *,
    session: Session,
    isrcs: Iterable[str],
    territories: Iterable[str],
    currencies: Iterable[str],
) -> tuple[Generation, FxTable]:
    """A generation holding everything these sales need, and the FX table for them."""
    isrcs, territories, currencies = set(isrcs), set(territories), set(currencies)
    for _ in range(_ATTEMPTS):
        token = read_token(session)
        if token is None:
            break
        generation = _generation_for(token)
        loaded, fx_key = _top_up(session, generation, isrcs, territories, currencies)
        if not loaded:
            return generation, generation.fx[fx_key]
        if read_token(session) == token:
            with _lock:
                loaded.merge_into(generation)
            return generation, generation.fx[fx_key]
    # No token (an unmigrated database, or this transaction changed the catalog) or the
    # catalog kept changing while we read it: a private generation, loaded in full.
    private = Generation(token=None)
    loaded, fx_key = _top_up(session, private, isrcs, territories, currencies)
    loaded.merge_into(private)
    return private, private.fx[fx_key]


def _top_up(
    session: Session,
    generation: Generation,
    isrcs: set[str],
    territories: set[str],
    currencies: set[str],
) -> tuple[_Loaded, frozenset[str]]:
    loaded = _Loaded()
    known = generation.recordings
    loaded.recordings = _recordings(session, [i for i in isrcs if i not in known])

    def recording(isrc: str) -> RecordingFacts | None:
        return loaded.recordings[isrc] if isrc in loaded.recordings else known.get(isrc)

    assets: set[AssetKey] = set()
    for isrc in isrcs:
        facts = recording(isrc)
        if facts is not None:
            assets.add((RECORDING, isrc))
            if facts.iswc:
                assets.add((WORK, facts.iswc))
    missing_assets = [a for a in assets if a not in generation.versions]
    if missing_assets:
        loaded.versions = load_share_versions(session=session, assets=missing_assets)
    holders = {
        row.holder_id for versions in loaded.versions.values() for v in versions for row in v.rows
    }
    loaded.mandates = _mandates(session, [h for h in holders if h not in generation.mandates])

    missing_territories = territories - generation.tariffs.keys()
    if missing_territories:
        loaded.tariffs = {territory: [] for territory in missing_territories}
        for row in load_tariff_rows(session=session, territories=missing_territories):
            loaded.tariffs[row.territory].append(_tariff(row))

    def tariffs(territory: str) -> list[TariffFacts]:
        return loaded.tariffs.get(territory) or generation.tariffs.get(territory) or []

    wanted = frozenset(currencies | {t.currency for ter in territories for t in tariffs(ter)})
    if wanted not in generation.fx:
        # Every date: a rate is only ever looked up for a day on or after its own.
        loaded.fx[wanted] = load_fx(session=session, currencies=wanted, until=date.max)
    if not generation.ecl_loaded:
        loaded.ecl = ecl_societies(session=session)
    return loaded, wanted


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _recordings(session: Session, isrcs: list[str]) -> dict[str, RecordingFacts | None]:
    found: dict[str, RecordingFacts | None] = dict.fromkeys(isrcs)
    for chunk in _chunks(sorted(isrcs)):
        for isrc, iswc, duration_s in catalog.recording_facts(session=session, isrcs=chunk):
            found[isrc] = RecordingFacts(isrc, iswc, duration_s)
    return found


def _mandates(session: Session, holders: list[str]) -> dict[str, list[MandateTerms]]:
    found: dict[str, list[MandateTerms]] = defaultdict(list)
    for holder in holders:
        found[holder] = []
    columns = (
        MANDATES.c.holder_id,
        MANDATES.c.society_code,
        MANDATES.c.right_type,
        MANDATES.c.territories,
        MANDATES.c.valid_from,
        MANDATES.c.valid_to,
    )
    for chunk in _chunks(sorted(holders)):
        query = sa.select(*columns).where(among(session, MANDATES.c.holder_id, chunk))
        for holder, society, right_type, territories, valid_from, valid_to in session.execute(
            query
        ).all():
            found[holder].append(
                MandateTerms(
                    holder_id=holder,
                    society_code=society,
                    right_type=right_type,
                    territories=frozenset(territories),
                    valid_from=valid_from,
                    valid_to=valid_to,
                )
            )
    return dict(found)


def _tariff(row: Any) -> TariffFacts:
    return TariffFacts(
        id=row.id,
        territory=row.territory,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        terms=TariffTerms.of(row),
    )
