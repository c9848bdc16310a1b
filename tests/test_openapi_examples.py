"""The OpenAPI examples name what the demo holds, and the main write examples run against
it as written (so `/docs`' "Try it out" works on a `make run` server)."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.catalog.models import Recording, Work
from service.demo import load_demo
from service.parties.models import RightsHolder, Society, Store
from service.parties.service import party_exists
from tests.factories import bearer

# Keys whose example values must name something in the demo, and how to look them up.
LOOKUPS: dict[str, Any] = {
    "holder_id": RightsHolder,
    "claimant_holder_id": RightsHolder,
    "isrc": Recording,
    "iswc": Work,
    "society_code": Society,
    "subject": Store,
}


def _values(node: Any, key: str | None = None) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _values(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _values(v, key)
    elif key is not None:
        yield key, node


def _request_examples(spec: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    schemas = spec["components"]["schemas"]
    for operations in spec["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                yield from _values(media.get("examples"))
                yield from _values(media.get("example"))
                ref = media.get("schema", {}).get("$ref", "")
                if ref:
                    yield from _values(schemas[ref.rsplit("/", 1)[1]].get("examples"))
            for parameter in operation.get("parameters", []):
                for example in parameter.get("schema", {}).get("examples", []):
                    yield parameter["name"], example


@pytest.fixture
def demo(session: Session) -> dict[str, str]:
    credentials = load_demo(session)
    session.flush()
    return credentials


def test_request_examples_name_the_demos_records(
    client: TestClient, session: Session, demo: dict[str, str]
) -> None:
    spec = client.get("/openapi.json").json()
    checked = set()
    for key, value in _request_examples(spec):
        if key in LOOKUPS and isinstance(value, str):
            assert session.get(LOOKUPS[key], value) is not None, (key, value)
            checked.add(key)
        elif key == "party" and isinstance(value, str):
            assert party_exists(session=session, party=value), value
            checked.add(key)
    assert {"holder_id", "claimant_holder_id", "isrc", "iswc", "party"} <= checked


def _example(spec: dict[str, Any], path: str) -> Any:
    media = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    if "examples" in media:
        return next(iter(media["examples"].values()))["value"]
    ref = media["schema"]["$ref"].rsplit("/", 1)[1]
    return spec["components"]["schemas"][ref]["examples"][0]


def test_write_examples_run_against_the_demo(client: TestClient, demo: dict[str, str]) -> None:
    spec = client.get("/openapi.json").json()
    for path, token in [
        ("/v1/sales", demo["STORE"]),
        ("/v1/takedowns", demo["HOLDER_TOKEN"]),
        ("/v1/payments", demo["ADMIN"]),
    ]:
        response = client.post(path, json=_example(spec, path), headers=bearer(token))
        assert response.status_code == 201, (path, response.text)
    balances = client.get(
        "/v1/balances", params={"party": "society:ROMS"}, headers=bearer(demo["ADMIN"])
    )
    assert balances.status_code == 200


def test_the_refund_batch_example_runs_against_the_demo(
    client: TestClient, demo: dict[str, str]
) -> None:
    spec = client.get("/openapi.json").json()
    response = client.post(
        "/v1/refunds", json=_example(spec, "/v1/refunds"), headers=bearer(demo["STORE"])
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["recorded"], body["rejected"]) == (1, 0), body
    assert body["results"][0]["royalties"], body
