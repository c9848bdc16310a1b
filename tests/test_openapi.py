"""The served OpenAPI document is valid OpenAPI 3.1 and honest; /docs and /redoc work
offline (every asset they load is served by the app itself)."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from service.problems import PROBLEM_JSON


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_the_served_spec_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises on the first violation


def test_bounds_use_json_schema_keywords(spec: dict[str, Any]) -> None:
    for node in _walk(spec):
        if "type" in node:  # a schema (not a map of property names)
            assert not {"ge", "le", "gt", "lt"} & node.keys(), node
    body = spec["paths"]["/v1/sales"]["post"]["requestBody"]["content"]["application/json"]
    quantity = body["schema"]["oneOf"][0]["properties"]["quantity"]
    assert (quantity["minimum"], quantity["maximum"]) == (1, 1_000_000)
    refund = spec["components"]["schemas"]["RefundIn"]["properties"]["quantity"]
    assert (refund["minimum"], refund["maximum"]) == (1, 1_000_000)


def test_errors_are_declared_only_as_problem_json(spec: dict[str, Any]) -> None:
    """Each error response is problem+json, names its codes (an enum on `code`) and shows
    an example of each, of its own status and with a `type` the app serves."""
    seen = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status[0] not in "45":
                    continue
                seen += 1
                assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)
                media = response["content"][PROBLEM_JSON]
                problem_ref, codes = media["schema"]["allOf"]
                assert problem_ref == {"$ref": "#/components/schemas/Problem"}
                enum = codes["properties"]["code"]["enum"]
                assert enum and sorted(media["examples"]) == enum, (method, path, status)
                for code, shown in media["examples"].items():
                    value = shown["value"]
                    assert (value["status"], value["code"]) == (int(status), code)
                    assert value["type"] == f"/problems/{code}"
    assert seen > 300
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_sales_body_has_an_ndjson_example(spec: dict[str, Any]) -> None:
    content = spec["paths"]["/v1/sales"]["post"]["requestBody"]["content"]
    lines = content["application/x-ndjson"]["example"].splitlines()
    assert len(lines) == 2
    assert all(line.startswith('{"sale_id":"o-1002-') for line in lines)


def test_lists_have_a_page_example(spec: dict[str, Any]) -> None:
    page = spec["components"]["schemas"]["Page_SalePublic_"]
    [example] = page["examples"]
    assert example["next_cursor"] is None
    assert example["data"][0]["isrc"] == "RUA010600001"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_local_assets(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert "cdn" not in html.lower() and "fonts.googleapis" not in html
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets, html
    for asset in assets:
        assert asset.startswith("/"), asset  # same origin, never an external host
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 100, asset
    assert any(a.endswith(".js") for a in assets)
