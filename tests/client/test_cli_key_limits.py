"""`royalty-ledger keys create --scope … --expires-at …` (issue #26)."""

import json

from fastapi.testclient import TestClient

from service.client import cli
from tests.client.test_cli_admin import admin_client


def test_keys_create_with_scope_and_expiry(client: TestClient, store: str, capsys) -> None:
    argv = ["keys", "create", "--role", "store", "--subject", store, "--json"]
    argv += ["--scope", "sales:write", "--scope", "read", "--expires-at", "2099-01-01T00:00:00Z"]
    assert cli.main(argv, client=admin_client(client)) == 0
    key = json.loads(capsys.readouterr().out)
    assert key["scopes"] == ["read", "sales:write"]
    assert key["expires_at"].startswith("2099-01-01T00:00:00")
    listed = client.get("/v1/api-keys", headers=admin_client(client).auth, params={"limit": 1000})
    assert {k["id"]: k["scopes"] for k in listed.json()["data"]}[key["id"]] == [
        "read",
        "sales:write",
    ]


def test_keys_create_with_a_past_expiry_is_the_problem_on_one_line(
    client: TestClient, store: str, capsys
) -> None:
    argv = ["keys", "create", "--role", "store", "--subject", store]
    argv += ["--expires-at", "2001-01-01T00:00:00Z"]
    assert cli.main(argv, client=admin_client(client)) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("royalty-ledger: the ledger answered 422 invalid: ")
    assert "expires_at must lie in the future" in line
