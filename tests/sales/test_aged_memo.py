"""The pricing memos keep what is used and stay within their byte budgets (issues 21, 23)."""

import gc
import random
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from service.catalog.service import RECORDING, ShareRow, VersionShares
from service.config import Settings
from service.main import create_app
from service.sales.pricing import budget
from service.sales.pricing import generation as cache
from service.sales.pricing.budget import AgedMemo, plan_bytes
from service.sales.pricing.engine.routing import MandateTerms
from service.sales.pricing.generation import Generation, RecordingFacts


@pytest.fixture(autouse=True)
def _fresh_budget() -> Iterator[None]:
    yield
    cache.configure(budget.CACHE_MB)


def _plan(legs: int) -> object:
    return SimpleNamespace(order=(None,) * legs)


def test_a_hot_entry_survives_every_turn_and_the_memo_stays_bounded() -> None:
    memo = AgedMemo(budget=10, size=1)
    drops: list[int] = []
    memo.on_drop.append(lambda: drops.append(len(memo)))
    memo.put("hot", "plan")
    for n in range(100):
        memo.put(n, n)
        assert memo.get("hot") == "plan"  # a look-up moves it back to the young half
        assert len(memo) <= 10
    assert memo.get(0) is None  # cold entries were dropped
    assert memo.get(99) == 99
    assert drops  # every turn was announced


def test_entries_of_every_size_are_counted_and_the_budget_holds() -> None:
    memo = AgedMemo(budget=100_000, size=plan_bytes)
    rng = random.Random(23)
    for n in range(2_000):
        memo[n] = _plan(rng.randint(1, 12))
        if rng.random() < 0.3:
            memo.get(rng.randrange(n + 1))  # a promotion from the old half
        assert memo.bytes <= 100_000
        held = [*memo.young.values(), *memo.old.values()]
        assert memo.bytes == sum(plan_bytes(p) for p in held)
    assert len(memo) > 10


def test_none_is_a_remembered_answer() -> None:
    memo = AgedMemo(budget=1_000, size=10)
    memo["no tariff"] = None
    assert "no tariff" in memo
    assert memo.get("no tariff", "missing") is None
    assert memo["no tariff"] is None
    with pytest.raises(KeyError):
        memo["never"]


def test_dropping_compiled_plans_empties_the_day_look_ups() -> None:
    generation = Generation(token=None)
    generation.memo_plans["day"] = "plan"
    compiled = generation.memo_compiled
    plan = _plan(legs=3)
    for n in range(compiled.half // plan_bytes(plan) + 1):
        compiled.put(n, plan)
    assert "day" not in generation.memo_plans


def test_the_budget_sizes_every_memo() -> None:
    cache.configure(8)
    small = Generation(token=None)
    cache.configure(64)
    large = Generation(token=None)
    assert abs(large.memo_compiled.half - 8 * small.memo_compiled.half) <= 8
    assert abs(small.memo_compiled.half * 2 - 8 * 2**20 * budget.SHARES["compiled"]) <= 2
    with pytest.raises(ValueError, match="positive"):
        cache.configure(0)


def test_a_catalogue_over_its_share_starts_empty_and_the_memos_stay() -> None:
    cache.configure(1)
    first = cache._generation_for("db#token")
    first.memo_compiled.put("plan key", _plan(3))
    loaded = cache._Loaded(recordings={f"RUA0106{n:05d}": None for n in range(100)})
    loaded.merge_into(first)
    assert first.catalogue_bytes == 100 * budget.RECORDING_BYTES
    assert cache._generation_for("db#token") is first  # within its share
    _loaded_versions(2_000).merge_into(first)
    assert first.catalogue_bytes > budget.BUDGET.of("catalogue")
    second = cache._generation_for("db#token")
    assert second is not first and second.token == first.token
    assert (second.recordings, second.versions, second.catalogue_bytes) == ({}, {}, 0)
    assert len(first.recordings) == 2_100  # a batch pricing from it keeps it whole
    assert second.memo_compiled is first.memo_compiled
    assert second.memo_compiled.get("plan key") is not None
    other = cache._generation_for("db#another token")
    assert other.memo_compiled is not first.memo_compiled and len(other.memo_compiled) == 0


def _loaded_versions(assets: int) -> "cache._Loaded":
    """``assets`` recordings with a version of four share rows, their holders' mandates."""
    day = date(2006, 1, 1)
    loaded = cache._Loaded()
    for n in range(assets):
        isrc = f"RUB0106{n:05d}"
        holders = [uuid.uuid4().hex for _ in range(4)]
        loaded.recordings[isrc] = RecordingFacts(isrc, None, 180 + n % 60)
        rows = tuple(
            ShareRow(h, "neighbouring", "WORLD", Decimal("0.25") + Decimal(n % 7) / 10**6)
            for h in holders
        )
        loaded.versions[(RECORDING, isrc)] = [VersionShares(day, rows)]
        for holder in holders[:1]:
            loaded.mandates[holder] = [
                MandateTerms(holder, "ROMS", "neighbouring", frozenset({"RU"}), day, None)
            ]
    return loaded


def test_the_counted_bytes_are_near_what_the_entries_take() -> None:
    """The per-entry sizes (measured with tracemalloc on the bench catalogue, docs/dsr-
    intake.md) still describe the entries: a catalogue's counted bytes are never fewer than
    its allocations (the budget would not hold), and at most 1.8x (1.4x here: these
    synthetic rows share fewer strings than rows read from the database)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        loaded = _loaded_versions(2_000)
        generation = Generation(token=None)
        loaded.merge_into(generation)
        for asset in generation.versions:
            generation.interval(asset, date(2006, 11, 1))
        taken = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    counted = generation.catalogue_bytes
    assert 1.0 <= counted / taken <= 1.8, (counted, taken)


def test_the_setting_is_the_budget_and_defaults_to_it() -> None:
    assert Settings().pricing_cache_mb == budget.CACHE_MB
    create_app(Settings(pricing_cache_mb=16))
    assert budget.BUDGET.total == 16 * 2**20
