"""A small catalogue with known owners, and helpers to file and decide takedowns."""

import hashlib
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, col, select

from service.catalog.schemas import RecordingCreate, ShareIn, WorkCreate
from service.catalog.service import create_recording, create_work
from service.config import Settings
from service.engines import make_engine
from service.identifiers import iswc_check_digit
from service.main import create_app
from service.parties.schemas import RightsHolderCreate
from service.parties.service import create_holder
from service.rights import HolderKind
from service.takedowns import webhooks
from service.takedowns.models import WebhookOutbox
from service.takedowns.schemas import TakedownWebhook, TakedownWebhookData
from tests.conftest import ADMIN_TOKEN
from tests.factories import Api, bearer, isrc, share

_works = itertools.count(100_000_000)


def new_iswc() -> str:
    digits = f"{next(_works):09d}"
    return f"T-{digits[:3]}.{digits[3:6]}.{digits[6:]}-{iswc_check_digit(digits)}"


def evidence(kind: str = "contract", text: str = "publishing agreement") -> dict[str, str]:
    return {
        "kind": kind,
        "reference": f"{text} (scan on file)",
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


@dataclass
class Catalog:
    """One work with two recordings, one recording without a work, and their owners.

    publisher: 100% mechanical of the work, WORLD. label: 100% neighbouring of both
    recordings of the work, WORLD. stranger: holds nothing. lone_label: neighbouring
    of the lone recording, but only in RU (territory-specific rows, no WORLD row).
    """

    iswc: str
    isrc_a: str
    isrc_b: str
    isrc_lone: str
    publisher: str
    label: str
    stranger: str
    lone_label: str


@pytest.fixture
def catalog(session: Session) -> Catalog:
    # Arranged through the services, in the test's transaction: every test needs it, and
    # eight HTTP round trips each would double the folder's run time. The endpoints that
    # build it are tested by the catalog and parties suites.
    def holder() -> str:
        data = RightsHolderCreate(name="A holder", kind=HolderKind.publisher)
        return create_holder(session=session, data=data).id

    def shares(holder_id: str, right_type: str, territory: str = "WORLD") -> list[ShareIn]:
        return [ShareIn.model_validate(share(holder_id, right_type, "1", territory))]

    def recording(code: str, holder_id: str, territory: str, iswc: str | None) -> None:
        data = RecordingCreate(
            isrc=code,
            title="A recording",
            artist="An artist",
            iswc=iswc,
            shares=shares(holder_id, "neighbouring", territory),
        )
        create_recording(session=session, data=data)

    publisher, label, stranger, lone_label = holder(), holder(), holder(), holder()
    iswc = new_iswc()
    create_work(
        session=session,
        data=WorkCreate(iswc=iswc, title="A song", shares=shares(publisher, "mechanical")),
    )
    isrc_a, isrc_b, isrc_lone = isrc(), isrc(), isrc()
    recording(isrc_a, label, "WORLD", iswc)
    recording(isrc_b, label, "WORLD", iswc)
    recording(isrc_lone, lone_label, "RU", None)
    session.flush()
    return Catalog(iswc, isrc_a, isrc_b, isrc_lone, publisher, label, stranger, lone_label)


def put_recording_shares(
    api: Api, code: str, valid_from: str, shares: list[dict[str, Any]]
) -> None:
    response = api.client.put(
        f"/v1/recordings/{code}/shares",
        json={"valid_from": valid_from, "shares": shares},
        headers=api.admin,
    )
    assert response.status_code == 200, response.text


class Takedowns:
    """Thin helpers over the real endpoints; each returns the raw response."""

    def __init__(self, client: TestClient, api: Api) -> None:
        self.client = client
        self.api = api

    def file(self, token: str | None = None, *, defaults: bool = True, **body: Any) -> Response:
        if defaults:
            body.setdefault("territories", ["US"])
            body.setdefault("evidence", evidence())
        headers = bearer(token) if token else self.api.admin
        return self.client.post("/v1/takedowns", json=body, headers=headers)

    def filed(self, **body: Any) -> dict[str, Any]:
        response = self.file(**body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def decide(self, takedown_id: str, token: str | None = None, **body: Any) -> Response:
        body.setdefault("approve", True)
        headers = bearer(token) if token else self.api.admin
        return self.client.post(f"/v1/takedowns/{takedown_id}/decision", json=body, headers=headers)

    def approved(self, effective_at: str = "2006-11-01T00:00:00Z", **body: Any) -> dict[str, Any]:
        takedown = self.filed(**body)
        response = self.decide(takedown["id"], effective_at=effective_at)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def lift(self, takedown_id: str, **body: Any) -> Response:
        body.setdefault("reason", "licence agreed")
        return self.client.post(
            f"/v1/takedowns/{takedown_id}/lift", json=body, headers=self.api.admin
        )

    def get(self, takedown_id: str, token: str | None = None) -> Response:
        headers = bearer(token) if token else self.api.admin
        return self.client.get(f"/v1/takedowns/{takedown_id}", headers=headers)

    def list(self, token: str | None = None, **params: Any) -> Response:
        headers = bearer(token) if token else self.api.admin
        return self.client.get("/v1/takedowns", params=params, headers=headers)


@pytest.fixture
def td(client: TestClient, api: Api) -> Takedowns:
    return Takedowns(client, api)


def queue_one_webhook(url: str, *, hook: str, code: str = "killtest") -> tuple[str, str]:
    """In a committed database: a store whose webhook is ``hook``, and one webhook queued
    for it (takedown ``t1``): (the store's secret, the message id)."""
    # The hook is a local receiver: a private address, allowed by the operator's setting.
    settings = Settings(database_url=url, webhooks_worker=False, webhook_allow_private=True)
    app = create_app(settings)
    with TestClient(app) as client:
        response = client.post(
            "/v1/stores",
            json={
                "code": code,
                "name": f"Store {code}",
                "country": "RU",
                "webhook_url": hook,
            },
            headers=bearer(ADMIN_TOKEN),
        )
    assert response.status_code == 201, response.text
    notice = TakedownWebhook(
        type="takedown.approved",
        timestamp=datetime.now(UTC),
        data=TakedownWebhookData(
            takedown_id="t1",
            action="approved",
            status="approved",
            isrc="RUA010600001",
            iswc=None,
            isrcs=["RUA010600001"],
            territories=["RU"],
            effective_at=datetime(2006, 11, 1, tzinfo=UTC),
            lift_effective_at=None,
        ),
    )
    engine = make_engine(url)
    with Session(engine) as session:
        assert webhooks.enqueue(session, notice=notice) == 1
        session.commit()
        newest = select(WebhookOutbox.message_id).order_by(col(WebhookOutbox.id).desc())
        message_id = session.exec(newest).first()
    engine.dispose()
    app.state.engine.dispose()
    assert message_id is not None
    return response.json()["webhook_secret"], message_id
