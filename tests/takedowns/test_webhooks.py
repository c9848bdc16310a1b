"""Stores with a webhook_url are told, after commit, when a takedown is approved or lifted."""

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlmodel import Session, select

from service.takedowns import webhooks
from tests.factories import Api
from tests.takedowns.conftest import Catalog, Takedowns


@dataclass
class Receiver:
    """A fake store server: records requests, answers from a script per URL."""

    script: dict[str, list[int]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            answers = self.script.get(str(request.url), [])
            status = answers.pop(0) if answers else 200
        if status == 0:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(status)

    def to(self, url: str) -> list[dict[str, object]]:
        with self.lock:
            return [json.loads(r.content) for r in self.requests if str(r.url) == url]


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    fake = Receiver()
    monkeypatch.setattr(webhooks, "transport", httpx.MockTransport(fake.handle))
    monkeypatch.setattr(webhooks, "sleep", fake.waits.append)
    yield fake
    webhooks.wait_idle()


@pytest.fixture
def stores(api: Api) -> Callable[[], tuple[str, str]]:
    def make() -> tuple[str, str]:
        one = api.store(webhook_url="https://one.example/hooks/takedowns")
        two = api.store(webhook_url="https://two.example/hook")
        api.store()  # no webhook: nothing to call
        return one["webhook_url"], two["webhook_url"]

    return make


def test_approval_notifies_every_store_with_a_webhook(
    td: Takedowns, catalog: Catalog, receiver: Receiver, stores: Callable[[], tuple[str, str]]
) -> None:
    one, two = stores()
    takedown = td.approved(
        iswc=catalog.iswc, territories=["WORLD"], claimant_holder_id=catalog.publisher
    )
    webhooks.wait_idle()
    assert len(receiver.requests) == 2
    for url in (one, two):
        [notice] = receiver.to(url)
        assert notice["event"] == "takedown.approved"
        body = notice["takedown"]
        assert isinstance(body, dict)
        assert body["id"] == takedown["id"] and body["status"] == "approved"
        assert body["isrcs"] == sorted([catalog.isrc_a, catalog.isrc_b])
        assert body["effective_at"] == "2006-11-01T00:00:00Z"
    request = receiver.requests[0]
    assert request.method == "POST"
    assert request.headers["idempotency-key"] == f"{takedown['id']}:takedown.approved"
    assert request.headers["x-ledger-event"] == "takedown.approved"


def test_a_failing_store_is_retried_with_backoff(
    td: Takedowns, catalog: Catalog, receiver: Receiver, stores: Callable[[], tuple[str, str]]
) -> None:
    one, two = stores()
    receiver.script[one] = [503, 0, 200]  # down, unreachable, then fine
    td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    webhooks.wait_idle()
    assert len(receiver.to(one)) == 3
    assert len(receiver.to(two)) == 1
    assert receiver.waits == [webhooks.BACKOFF_S, 2 * webhooks.BACKOFF_S]


def test_a_store_that_stays_down_is_given_up_after_a_few_attempts(
    td: Takedowns, catalog: Catalog, receiver: Receiver, stores: Callable[[], tuple[str, str]]
) -> None:
    one, _ = stores()
    receiver.script[one] = [500] * 10
    td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    webhooks.wait_idle()
    assert len(receiver.to(one)) == webhooks.ATTEMPTS


def test_an_unusable_url_is_given_up_at_once(receiver: Receiver) -> None:
    assert webhooks.deliver("https://exa mple.com/\x00", {"event": "e"}, "k") is False
    assert webhooks.deliver("ftp://store.example/hook", {"event": "e"}, "k") is False
    assert receiver.requests == []


def test_a_client_error_is_not_retried(
    td: Takedowns, catalog: Catalog, receiver: Receiver, stores: Callable[[], tuple[str, str]]
) -> None:
    one, _ = stores()
    receiver.script[one] = [410]
    td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    webhooks.wait_idle()
    assert len(receiver.to(one)) == 1


def test_lifting_notifies_and_a_refused_approval_does_not(
    td: Takedowns, catalog: Catalog, receiver: Receiver, stores: Callable[[], tuple[str, str]]
) -> None:
    one, _ = stores()
    refused = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.stranger)
    assert td.decide(refused["id"]).status_code == 422
    rejected = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    td.decide(rejected["id"], approve=False, reason="no proof")
    webhooks.wait_idle()
    assert receiver.requests == []
    takedown = td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    td.lift(takedown["id"], effective_at="2007-01-01T00:00:00Z")
    webhooks.wait_idle()
    assert [n["event"] for n in receiver.to(one)] == ["takedown.approved", "takedown.lifted"]


def test_notices_wait_for_the_commit_and_die_with_a_rollback(
    session: Session, receiver: Receiver
) -> None:
    url = "https://store.example/hook"
    session.exec(select(1)).one()  # inside a transaction, as every service call is
    webhooks.notify_after_commit(session, urls=[url], notice={"event": "e"}, key="rolled-back")
    session.rollback()
    session.exec(select(1)).one()
    webhooks.notify_after_commit(session, urls=[url], notice={"event": "e"}, key="committed")
    webhooks.wait_idle()
    assert receiver.requests == []  # not before the commit
    session.commit()
    webhooks.wait_idle()
    assert [r.headers["idempotency-key"] for r in receiver.requests] == ["committed"]
