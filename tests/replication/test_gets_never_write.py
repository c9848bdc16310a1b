"""No GET writes: every GET endpoint answered inside a transaction that refuses writes.

After the world is arranged, the test's transaction is made read-only
(PostgreSQL ``SET TRANSACTION READ ONLY``; SQLite ``PRAGMA query_only``), so any INSERT,
UPDATE or DELETE a GET attempted would fail the request (503 ``read_only``) instead of
passing unnoticed. The same requests run against a real hot standby in ``test_standby.py``.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from tests.factories import Api
from tests.replication.world import (
    Get,
    World,
    answered_status,
    build_world,
    every_get,
    fetch,
    get_routes,
    society_statement,
)


@contextmanager
def _read_only(connection: Connection) -> Iterator[None]:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA query_only = ON")
        try:
            yield
        finally:  # a connection setting: the next test reuses the pooled connection
            connection.exec_driver_sql("PRAGMA query_only = OFF")
    else:
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        yield  # the test's transaction is rolled back: nothing to undo


def _assert_answered(client: TestClient, world_gets: list[Get], world: World) -> None:
    failures = []
    for get in world_gets:
        response = fetch(client, world, get)
        if response.status_code != answered_status(get):
            failures.append((get.url, response.status_code, response.text[:200]))
    assert failures == []


def test_every_get_endpoint_answers_in_a_read_only_transaction(
    app: FastAPI, api: Api, client: TestClient, connection: Connection
) -> None:
    world = build_world(client, api)
    gets = every_get(world)
    assert {g.route for g in gets} == get_routes(app), "a GET route has no case here"
    with _read_only(connection):
        _assert_answered(client, gets, world)


def test_a_write_in_a_read_only_transaction_fails_the_request(
    api: Api, client: TestClient, connection: Connection
) -> None:
    # The check above can fail: a POST in the same read-only transaction is refused.
    with _read_only(connection):
        response = client.post(
            "/v1/stores",
            json={"code": "ro-store", "name": "x", "country": "RU"},
            headers=api.admin,
        )
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "read_only"


@pytest.mark.parametrize("fmt", ["csv", "dsr"])
def test_the_first_csv_and_dsr_request_write_nothing(
    api: Api, client: TestClient, connection: Connection, fmt: str
) -> None:
    world = build_world(client, api)
    st = society_statement(world)
    first = Get("/v1/statements/{statement_id}", f"/v1/statements/{st}?format={fmt}", "society")
    with _read_only(connection):
        _assert_answered(client, [first], world)
