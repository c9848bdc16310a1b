"""Admin subcommands against the real application: close, verify-ledger, keys."""

import json

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.client import cli
from service.client.api import LedgerClient
from tests.client.conftest import SALE
from tests.conftest import ADMIN_TOKEN
from tests.factories import Api
from tests.ledger.test_ledger import _unguard


def admin_client(client: TestClient) -> LedgerClient:
    return LedgerClient(token=ADMIN_TOKEN, client=client)


def test_close_closes_the_month_then_answers_the_same(
    api: Api, client: TestClient, store: str, capsys
) -> None:
    LedgerClient(token=api.key("store", store), client=client).post_sales([SALE])
    admin = admin_client(client)

    assert cli.main(["close", "2006-11"], client=admin) == 0
    first = capsys.readouterr().out
    assert first.startswith("2006-11 closed: 1 statement(s), ledger head ")
    assert api.get("/v1/periods/2006-11").json()["status"] == "closed"
    # Scripts may run it twice: the repeat says so and still exits 0.
    assert cli.main(["close", "2006-11"], client=admin) == 0
    again = capsys.readouterr().out
    assert again.startswith("2006-11 was already closed: 1 statement(s)")
    assert first.split("ledger head ")[1] == again.split("ledger head ")[1]


def test_close_of_a_month_that_has_not_ended_is_the_problem_on_one_line(
    client: TestClient, capsys
) -> None:
    assert cli.main(["close", "2999-01"], client=admin_client(client)) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("royalty-ledger: the ledger answered 409 period_not_ended: ")


def test_verify_ledger_passes_then_names_the_first_bad_sequence(
    api: Api, client: TestClient, store: str, session: Session, dialect: str, capsys
) -> None:
    LedgerClient(token=api.key("store", store), client=client).post_sales([SALE])
    admin = admin_client(client)
    assert cli.main(["verify-ledger"], client=admin) == 0
    assert capsys.readouterr().out.startswith("ledger verifies: 1 transaction(s), head 1 ")

    _unguard(session, dialect)
    session.execute(sa.text("UPDATE ledger_transaction SET reference = 'x' WHERE sequence = 1"))
    assert cli.main(["verify-ledger"], client=admin) == 5
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "royalty-ledger: the ledger does NOT verify: first bad sequence 1 "
        "(0 transaction(s) before it verify)"
    ]


def test_keys_create_prints_the_token_once_and_revoke_stops_it(
    client: TestClient, store: str, capsys
) -> None:
    admin = admin_client(client)
    assert cli.main(["keys", "create", "--role", "store", "--subject", store], client=admin) == 0
    captured = capsys.readouterr()
    token = captured.out.strip()
    assert "\n" not in token and token  # only the token on stdout, for TOKEN=$(...)
    assert token not in captured.err
    key_id = captured.err.split()[2]
    as_store = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/sales", headers=as_store).status_code == 200

    assert cli.main(["keys", "revoke", key_id], client=admin) == 0
    assert f"revoked key {key_id}" in capsys.readouterr().out
    assert client.get("/v1/sales", headers=as_store).status_code == 401
    # Revoking an unknown key is the API's 404, one line.
    assert cli.main(["keys", "revoke", "no-such-key"], client=admin) == 1
    assert capsys.readouterr().err.startswith("royalty-ledger: the ledger answered 404")


def test_keys_create_json_carries_the_id(client: TestClient, capsys) -> None:
    assert (
        cli.main(["keys", "create", "--role", "admin", "--json"], client=admin_client(client)) == 0
    )
    key = json.loads(capsys.readouterr().out)
    assert key["role"] == "admin" and key["subject"] is None
    assert (
        client.get(
            "/v1/ledger/head", headers={"Authorization": f"Bearer {key['token']}"}
        ).status_code
        == 200
    )


def test_keys_create_for_a_subject_that_does_not_exist_fails(client: TestClient, capsys) -> None:
    code = cli.main(
        ["keys", "create", "--role", "store", "--subject", "nobody"], client=admin_client(client)
    )
    assert code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
