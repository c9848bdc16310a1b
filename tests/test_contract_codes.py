"""The contract's small promises (issue 25, point 7): every problem has a `code`, 404 and
405 included; `info.version` is the package's version."""

from importlib.metadata import version

from fastapi.testclient import TestClient


def test_an_unknown_path_and_a_wrong_method_are_problems_with_a_code(client: TestClient) -> None:
    missing = client.get("/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["code"] == "not_found"
    wrong = client.delete("/v1/transparency/key")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "method_not_allowed"


def test_the_contract_states_the_package_version(client: TestClient) -> None:
    assert client.get("/openapi.json").json()["info"]["version"] == version("royalty-ledger")
