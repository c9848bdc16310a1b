"""Issue #25, point 7: the contract lists each operation's own problems, with codes and
examples; every problem type has a page the app serves (its `type` resolves)."""

from html import escape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.errors import DomainError
from service.problem_types import MEANINGS, problem_types


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/openapi.json").json()
    return body


def codes(spec: dict[str, Any], method: str, path: str) -> dict[str, list[str]]:
    responses = spec["paths"][path][method]["responses"]
    return {
        status: response["content"]["application/problem+json"]["schema"]["allOf"][1]["properties"][
            "code"
        ]["enum"]
        for status, response in responses.items()
        if status[0] in "45"
    }


def test_operations_list_their_own_problems_not_a_blanket_set(spec: dict[str, Any]) -> None:
    # Public: no key, so no 401/403/429 (the issue found 401/403 listed here).
    assert codes(spec, "get", "/v1/transparency/key") == {"503": ["database_unavailable"]}
    # No body, no path parameter: nothing to be malformed, too large or missing.
    head = codes(spec, "get", "/v1/ledger/head")
    assert not {"400", "404", "409", "413", "422"} & head.keys()
    assert head["401"] == ["key_expired", "unauthenticated"] and "read_only" not in head["503"]
    close = codes(spec, "post", "/v1/periods/{period}/close")
    assert close["409"] == [
        "earlier_period_open",
        "missing_fx_rate",
        "period_not_ended",
        "signer_refused",
    ]
    assert "forbidden" in close["403"] and "read_only" in close["503"]
    sales = codes(spec, "post", "/v1/sales")
    assert sales["451"] == ["unlicensed", "withdrawn"] and sales["400"] == ["malformed"]
    assert codes(spec, "post", "/v1/sales/dsr")["422"] == [
        "dsr_file_name",
        "dsr_structure",
        "invalid",
    ]
    assert "refund_exceeds_sale" in codes(spec, "post", "/v1/sales/{sale_id}/refunds")["422"]
    assert codes(spec, "get", "/healthz") == {"503": ["not_ready"]}


def test_the_201_of_a_bare_sale_has_its_schema(spec: dict[str, Any]) -> None:
    created = spec["paths"]["/v1/sales"]["post"]["responses"]["201"]
    schema = created["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/SaleResult"}


def _all_codes() -> set[str]:
    def walk(cls: type[DomainError]) -> set[str]:
        return {cls.code}.union(*(walk(sub) for sub in cls.__subclasses__()))

    return walk(DomainError)


def test_every_code_the_ledger_raises_is_documented_and_explained(spec: dict[str, Any]) -> None:
    listed = {
        code
        for operations in spec["paths"].values()
        for operation in operations.values()
        for status, response in operation["responses"].items()
        if status[0] in "45"
        for code in response["content"]["application/problem+json"]["examples"]
    }
    bugs = {c for c, kind in problem_types().items() if kind.status >= 500} - {
        "database_unavailable",
        "read_only",
        "not_ready",
    }
    assert _all_codes() - listed - bugs == set()
    assert set(problem_types()) - set(MEANINGS) == set()


def test_every_problem_type_resolves_to_a_page(client: TestClient) -> None:
    problem = client.get("/v1/no-such-thing").json()
    assert problem["type"] == "/problems/not_found"
    index = client.get("/problems")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    for code, kind in problem_types().items():
        assert f'id="{code}"' in index.text  # a stable anchor per type
        page = client.get(f"/problems/{code}")
        assert page.status_code == 200 and escape(kind.title) in page.text, code
    missing = client.get("/problems/no_such_code")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
