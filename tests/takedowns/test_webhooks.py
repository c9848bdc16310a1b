"""Takedown webhooks: queued in the decision's transaction (the outbox), delivered by the
worker signed per Standard Webhooks, retried with backoff, verified on the receiving side
with the ``standardwebhooks`` library."""

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection
from sqlmodel import Session, col, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service.parties.models import Store
from service.takedowns import worker
from service.takedowns.models import WebhookOutbox
from tests.factories import Api, bearer
from tests.takedowns.conftest import Catalog, Takedowns


@dataclass
class Receiver:
    """A fake store server: records requests, answers from a script per URL
    (0 = connection refused)."""

    script: dict[str, list[int]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            answers = self.script.get(str(request.url), [])
            status = answers.pop(0) if answers else 200
        if status == 0:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(status)

    def to(self, url: str) -> list[httpx.Request]:
        with self.lock:
            return [r for r in self.requests if str(r.url) == url]


@dataclass
class Clock:
    # Just after the real now, so what the requests queued is due.
    now: datetime = field(default_factory=lambda: datetime.now(UTC) + timedelta(seconds=1))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(worker, "utcnow", fake)
    return fake


@pytest.fixture
def deliver(connection: Connection, receiver: Receiver) -> Callable[[], int]:
    """Run the worker once over the test's transaction, against the fake stores."""
    return lambda: worker.deliver_due(connection, transport=httpx.MockTransport(receiver.handle))


@pytest.fixture
def stores(api: Api) -> Callable[[], tuple[dict[str, Any], dict[str, Any]]]:
    def make() -> tuple[dict[str, Any], dict[str, Any]]:
        one = api.store(webhook_url="https://one.example/hooks/takedowns")
        two = api.store(webhook_url="https://two.example/hook")
        api.store()  # no webhook: nothing to call
        return one, two

    return make


def verified(store: dict[str, Any], request: httpx.Request) -> dict[str, Any]:
    """The body, once the receiving side's library accepts its signature."""
    payload: dict[str, Any] = Webhook(store["webhook_secret"]).verify(
        request.content, dict(request.headers)
    )
    return payload


def outbox(session: Session) -> list[WebhookOutbox]:
    session.expire_all()
    return list(session.exec(select(WebhookOutbox).order_by(col(WebhookOutbox.id))))


def test_approval_queues_one_signed_webhook_per_store(
    td: Takedowns,
    catalog: Catalog,
    receiver: Receiver,
    stores: Callable[[], tuple[dict[str, Any], dict[str, Any]]],
    deliver: Callable[[], int],
    session: Session,
) -> None:
    one, two = stores()
    takedown = td.approved(
        iswc=catalog.iswc, territories=["WORLD"], claimant_holder_id=catalog.publisher
    )
    # Written with the decision, before any delivery.
    queued = outbox(session)
    assert sorted(r.store_code for r in queued) == sorted([one["code"], two["code"]])
    assert all(r.delivered_at is None for r in queued)

    assert deliver() == 2
    for store in (one, two):
        [request] = receiver.to(store["webhook_url"])
        assert request.method == "POST"
        payload = verified(store, request)
        assert payload["type"] == "takedown.approved"
        assert payload["data"] == {
            "takedown_id": takedown["id"],
            "action": "approved",
            "status": "approved",
            "isrc": None,
            "iswc": catalog.iswc,
            "isrcs": sorted([catalog.isrc_a, catalog.isrc_b]),
            "territories": ["WORLD"],
            "effective_at": "2006-11-01T00:00:00Z",
            "lift_effective_at": None,
        }
        # Nothing a store has no need to see: no evidence, no history, no key ids.
        text = request.content.decode()
        assert "evidence" not in text and "history" not in text and "actor" not in text
        with pytest.raises(WebhookVerificationError):  # the other store's secret fails
            other = two if store is one else one
            verified(other, request)
    assert {r.headers["webhook-id"] for r in receiver.requests} == {r.message_id for r in queued}
    assert all(r.delivered_at is not None and r.attempts == 1 for r in outbox(session))
    assert deliver() == 0  # delivered once, not again


def test_a_failing_store_is_retried_with_exponential_backoff(
    td: Takedowns,
    catalog: Catalog,
    receiver: Receiver,
    stores: Callable[[], tuple[dict[str, Any], dict[str, Any]]],
    deliver: Callable[[], int],
    clock: Clock,
    session: Session,
) -> None:
    one, two = stores()
    receiver.script[one["webhook_url"]] = [503, 0, 200]  # down, unreachable, then fine
    td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    start = clock.now
    assert deliver() == 2  # one to each store; one failed
    failing = next(r for r in outbox(session) if r.store_code == one["code"])
    assert failing.next_attempt_at == start + timedelta(seconds=worker.BACKOFF_S)
    assert failing.last_error == "HTTP 503"
    assert deliver() == 0  # not due yet
    clock.now = failing.next_attempt_at
    assert deliver() == 1
    failing = outbox(session)[[r.store_code for r in outbox(session)].index(one["code"])]
    assert failing.next_attempt_at == clock.now + timedelta(seconds=2 * worker.BACKOFF_S)
    assert failing.last_error is not None and "ConnectError" in failing.last_error
    clock.now = failing.next_attempt_at
    assert deliver() == 1
    requests = receiver.to(one["webhook_url"])
    assert len(requests) == 3
    assert len({r.headers["webhook-id"] for r in requests}) == 1  # the same message each time
    assert all(verified(one, r)["type"] == "takedown.approved" for r in requests)
    assert len(receiver.to(two["webhook_url"])) == 1
    assert all(r.delivered_at is not None for r in outbox(session))


def test_a_store_that_stays_down_is_given_up_after_max_attempts(
    td: Takedowns,
    catalog: Catalog,
    receiver: Receiver,
    stores: Callable[[], tuple[dict[str, Any], dict[str, Any]]],
    deliver: Callable[[], int],
    clock: Clock,
    session: Session,
) -> None:
    one, _ = stores()
    receiver.script[one["webhook_url"]] = [500] * (worker.MAX_ATTEMPTS + 5)
    td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    for _ in range(worker.MAX_ATTEMPTS + 2):
        deliver()
        clock.now += timedelta(seconds=worker.MAX_BACKOFF_S)
    assert len(receiver.to(one["webhook_url"])) == worker.MAX_ATTEMPTS
    [row] = [r for r in outbox(session) if r.store_code == one["code"]]
    assert row.failed_at is not None and row.delivered_at is None


def test_lifting_notifies_and_refused_or_rejected_decisions_do_not(
    td: Takedowns,
    catalog: Catalog,
    receiver: Receiver,
    stores: Callable[[], tuple[dict[str, Any], dict[str, Any]]],
    deliver: Callable[[], int],
    session: Session,
) -> None:
    one, _ = stores()
    refused = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.stranger)
    assert td.decide(refused["id"]).status_code == 422
    rejected = td.filed(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    td.decide(rejected["id"], approve=False, reason="no proof")
    assert outbox(session) == []
    takedown = td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    td.lift(takedown["id"], effective_at="2007-01-01T00:00:00Z")
    deliver()
    payloads = [verified(one, r) for r in receiver.to(one["webhook_url"])]
    assert [p["type"] for p in payloads] == ["takedown.approved", "takedown.lifted"]
    lifted = payloads[1]["data"]
    assert lifted["action"] == "lifted" and lifted["status"] == "lifted"
    assert lifted["isrcs"] == [catalog.isrc_a]
    assert lifted["lift_effective_at"] == "2007-01-01T00:00:00Z"


def test_the_secret_is_shown_once_and_rotation_replaces_it(
    td: Takedowns,
    catalog: Catalog,
    receiver: Receiver,
    api: Api,
    client: Any,
    deliver: Callable[[], int],
) -> None:
    store = api.store(webhook_url="https://one.example/hook")
    assert store["webhook_secret"].startswith("whsec_")
    read = api.get(f"/v1/stores/{store['code']}").json()
    assert "webhook_secret" not in read
    store_token = api.key("store", store["code"])
    path = f"/v1/stores/{store['code']}/webhook-secret"
    assert client.post(path, headers=bearer(store_token)).status_code == 403
    rotated = client.post(path, headers=api.admin)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["webhook_secret"] != store["webhook_secret"]
    td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    deliver()
    [request] = receiver.requests
    assert verified(new, request)["type"] == "takedown.approved"
    with pytest.raises(WebhookVerificationError):
        verified(store, request)
    assert client.post("/v1/stores/nope/webhook-secret", headers=api.admin).status_code == 404


def test_a_store_without_a_secret_waits_in_the_outbox(
    td: Takedowns,
    catalog: Catalog,
    receiver: Receiver,
    api: Api,
    deliver: Callable[[], int],
    session: Session,
) -> None:
    """Stores registered before signing existed have no secret: nothing unsigned is sent."""
    store = api.store(webhook_url="https://old.example/hook")
    row = session.get(Store, store["code"])
    assert row is not None
    row.webhook_secret = None
    session.add(row)
    session.flush()
    td.approved(isrc=catalog.isrc_a, claimant_holder_id=catalog.label)
    deliver()
    assert receiver.requests == []
    [queued] = outbox(session)
    assert queued.delivered_at is None and queued.failed_at is None
    assert queued.last_error is not None and "webhook-secret" in queued.last_error


def test_signed_headers_follow_the_standard() -> None:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    at = datetime.now(UTC)
    body = json.dumps({"type": "takedown.approved"})
    headers = worker.signed_headers(secret, "msg_1", body, at)
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {"type": "takedown.approved"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + " ", headers)
