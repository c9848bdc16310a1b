"""Catalog changes other domains react to (the sales domain releases suspense).

A tiny in-process publish/subscribe keeps the catalog free of imports from domains that
depend on it; subscribers run inside the same database transaction as the change.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session


@dataclass(frozen=True, slots=True)
class CatalogChanged:
    asset_kind: str  # "work" | "recording"
    asset_id: str


Subscriber = Callable[[Session, CatalogChanged], None]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> Subscriber:
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)
    return subscriber


def publish(session: Session, change: CatalogChanged) -> None:
    for subscriber in list(_subscribers):
        subscriber(session, change)
