"""Chunks: each committed on its own, an interrupted post resumed by posting the file again;
gzip bodies; the DSR Part 1 file name checked against the HEAD."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlmodel import Session

from service.config import Settings
from service.db import get_session
from service.main import create_app
from service.sales.dsr_intake import service as dsr_service
from service.sales.recording import record_sales
from tests.dsr_conformance.checker import check_dsr
from tests.factories import Api, bearer
from tests.sales.conftest import Store, counts
from tests.sales.dsr_intake.conftest import post_dsr
from tests.sales.dsr_intake.files import DsrFile, resource, sale

NAME = "DSR_ROMS_AllOfMP3_Downloads_2006-11_RU__20061201T080000.tsv"


def _file(recording_isrc: str, lines: int) -> DsrFile:
    return DsrFile(blocks=[[resource(1, recording_isrc), *(sale(1) for _ in range(lines))]])


def test_an_interrupted_post_is_resumed_by_posting_the_file_again(
    store: Store, recording: str, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dsr_service, "CHUNK", 2)
    calls: list[int] = []

    def fail_third_chunk(**kwargs: Any) -> Any:
        calls.append(len(kwargs["rows"]))
        if len(calls) == 3:
            raise ConnectionError("the database went away")
        return record_sales(**kwargs)

    monkeypatch.setattr(dsr_service.sales, "record_sales", fail_third_chunk)
    text = _file(recording, 7).text()
    assert post_dsr(store, text).status_code == 500
    assert calls == [2, 2, 2]
    assert counts(session)["sale"] == 4  # two chunks of two, each committed
    monkeypatch.undo()
    monkeypatch.setattr(dsr_service, "CHUNK", 2)
    receipt = post_dsr(store, text).json()
    assert (receipt["duplicates"], receipt["sales_recorded"]) == (4, 3)
    assert counts(session)["sale"] == 7


def test_a_gzip_body_is_read_as_the_file(store: Store, recording: str) -> None:
    response = post_dsr(store, _file(recording, 3).text(), gzipped=True)
    assert response.status_code == 200, response.text
    assert response.json()["sales_recorded"] == 3


def test_a_file_name_that_agrees_with_the_head_is_accepted(store: Store, recording: str) -> None:
    text = _file(recording, 1).text()
    assert check_dsr(text, NAME) == []
    response = post_dsr(store, text, file_name=NAME, gzipped=True)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("name", "words"),
    [
        (NAME.replace("AllOfMP3", "OtherStore"), "MessageSender 'OtherStore'"),
        (NAME.replace("ROMS", "GEMA"), "MessageRecipient 'GEMA'"),
        (NAME.replace("2006-11", "2006-12"), "usage period 2006-11-01..2006-11-30"),
        (NAME.replace("2006-11", "2006-Q4"), "usage period"),
        (NAME.replace("__", "_2of3_"), "xofy '2of3'"),
        (NAME.replace("T080000", "T250000"), "MessageCreatedDateTime"),
        (NAME.replace(".tsv", ".csv"), "extension 'csv'"),
        (NAME.replace("Downloads_", ""), "parts"),
    ],
)
def test_a_file_name_breaking_part_1_or_the_head_is_refused(
    store: Store, recording: str, session: Session, name: str, words: str
) -> None:
    text = _file(recording, 1).text()
    assert check_dsr(text, name) != [], "the standard must call this name wrong"
    before = counts(session)
    response = post_dsr(store, text, file_name=name)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "dsr_file_name"
    assert words in response.json()["detail"]
    assert counts(session) == before


def test_a_dsr_file_is_not_bound_by_the_batch_body_limit(
    connection: Connection, api: Api, client: TestClient, recording: str
) -> None:
    """The other routes refuse bodies over LEDGER_MAX_BODY_BYTES before reading them; a DSR
    file streams past that limit (docs/dsr-intake.md)."""
    code = api.store()["code"]
    token = api.key("store", code)
    text = _file(recording, 40).text()
    app = create_app(Settings(max_body_bytes=len(text) // 2))

    def test_session() -> Iterator[Session]:
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            yield session
            session.commit()

    app.dependency_overrides[get_session] = test_session
    with TestClient(app) as small:
        headers = {**bearer(token), "Content-Type": "text/tab-separated-values"}
        booked = small.post("/v1/sales/dsr", content=text, headers=headers)
        assert booked.status_code == 200, booked.text
        assert booked.json()["sales_recorded"] == 40
        headers["Content-Type"] = "text/csv"
        assert small.post("/v1/sales", content=text, headers=headers).status_code == 413
