"""create_app() wires what used to happen at import: catalog subscribers and GC tuning."""

import gc

import pytest

from service.catalog import events
from service.main import create_app
from service.sales import suspense
from service.sales.pricing import generation


def test_create_app_subscribes_suspense_release_to_catalog_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events, "_subscribers", [])
    create_app()
    assert events._subscribers == [suspense._on_catalog_change]
    create_app()  # a second app does not release twice
    assert events._subscribers == [suspense._on_catalog_change]


def test_create_app_raises_the_collector_thresholds() -> None:
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        create_app()
        assert gc.get_threshold() == generation._GC_THRESHOLDS
    finally:
        gc.set_threshold(*saved)
