"""The limits the OpenAPI document states are the ones the server keeps (#25, point 7).

Every parameter stating a ``maxLength`` is refused one character past it, as a 422
problem with code ``invalid`` naming it, and taken at the limit itself; then, per kind (a
path id, a query parameter, a header, a witness's field), that such a refusal writes
nothing and that a value at the limit still works as before.
"""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from service.main import create_app
from service.proofs import notes
from tests.conftest import ADMIN_TOKEN
from tests.factories import Api, bearer
from tests.hardening.conftest import priced_recording
from tests.sales.conftest import Store, a_sale, counts
from tests.sales.dsr_intake.conftest import TSV
from tests.sales.dsr_intake.files import one_block_per_isrc

SPEC = create_app().openapi()
ADMIN = bearer(ADMIN_TOKEN)


def _bounded_parameters() -> list[tuple[str, str, str, str, int]]:
    """(method, path, where, name, maxLength) of every parameter stating a maxLength."""
    found = []
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                schema = param["schema"]
                branches = [schema, *schema.get("anyOf", [])]
                for limit in (b["maxLength"] for b in branches if "maxLength" in b):
                    found.append((method, path, param["in"], param["name"], limit))
    return sorted(found)


BOUNDED = _bounded_parameters()


def _call(
    client: TestClient, method: str, path: str, where: str, name: str, value: str, store: str
) -> Response:
    """``method path`` with ``value`` in parameter ``name`` (every other path parameter
    "x"; an admin acting for ``store``, so that the sales routes get that far)."""
    url = path
    for segment in (s for s in path.split("/") if s.startswith("{")):
        url = url.replace(segment, value if segment == f"{{{name}}}" else "x")
    query = {"store": store} | ({name: value} if where == "query" else {})
    headers = ADMIN | ({name: value} if where == "header" else {})
    return client.request(method, url, params=query, headers=headers)


def _too_long(response: Response, where: str, name: str) -> bool:
    """Was ``response`` a refusal of parameter ``name`` for its length?"""
    if response.status_code != 422:
        return False
    errors = response.json().get("errors", [])
    return any(e["loc"] == [where, name] and e.get("type") == "string_too_long" for e in errors)


def test_parameters_of_every_kind_state_a_length() -> None:
    kinds = {where for _, _, where, _, _ in BOUNDED}
    assert kinds == {"path", "query", "header"}, kinds
    assert len(BOUNDED) >= 30, BOUNDED


@pytest.mark.parametrize(
    ("method", "path", "where", "name", "limit"),
    BOUNDED,
    ids=[f"{m.upper()} {p} {w}:{n}" for m, p, w, n, _ in BOUNDED],
)
def test_a_parameter_past_its_stated_length_is_invalid(
    client: TestClient, api: Api, method: str, path: str, where: str, name: str, limit: int
) -> None:
    store = api.store()["code"]
    over = _call(client, method, path, where, name, "a" * (limit + 1), store)
    assert over.status_code == 422, over.text
    assert over.json()["code"] == "invalid"
    assert _too_long(over, where, name), over.text
    # At the limit the value is taken (what else may refuse it, e.g. an unknown cursor, is
    # not this test's business).
    at = _call(client, method, path, where, name, "a" * limit, store)
    assert not _too_long(at, where, name), at.text
    assert at.status_code < 500, at.text


def test_a_path_id_too_long_writes_nothing(client: TestClient, api: Api) -> None:
    """A store's licence: 65 characters are no code (422); 64 are a code nobody has (404)."""
    api.store()
    body = {"territory": "RU", "society_code": api.society()["code"]}
    over = client.put("/v1/stores/" + "s" * 65 + "/licence", json=body, headers=ADMIN)
    assert (over.status_code, over.json()["code"]) == (422, "invalid"), over.text
    assert over.json()["errors"][0]["loc"] == ["path", "code"]
    unknown = client.put("/v1/stores/" + "s" * 64 + "/licence", json=body, headers=ADMIN)
    assert unknown.status_code == 404, unknown.text
    stores = client.get("/v1/stores", params={"limit": 1000}, headers=ADMIN).json()["data"]
    assert stores and all(s["licence"] is None for s in stores)


def test_a_query_parameter_too_long_writes_nothing(
    api: Api, store: Store, session: Session
) -> None:
    """An admin's `store=`: past a store code's 64 characters, 422 `invalid` and no sale."""
    sale = a_sale(priced_recording(api)[1])
    before = counts(session)
    headers = bearer(ADMIN_TOKEN)
    over = store.client.post("/v1/sales", json=sale, params={"store": "s" * 65}, headers=headers)
    assert (over.status_code, over.json()["code"]) == (422, "invalid"), over.text
    assert over.json()["errors"][0]["loc"] == ["query", "store"]
    assert over.json()["errors"][0]["type"] == "string_too_long"
    unknown = store.client.post("/v1/sales", json=sale, params={"store": "s" * 64}, headers=headers)
    assert (unknown.status_code, unknown.json()["title"]) == (422, "No such store")
    assert counts(session) == before
    booked = store.client.post(
        "/v1/sales", json=sale, params={"store": store.code}, headers=headers
    )
    assert booked.status_code == 201, booked.text


def _dsr(store: Store, isrc: str, disposition: str) -> Response:
    text = one_block_per_isrc([isrc]).text()
    headers = {**store.headers, "Content-Type": TSV, "Content-Disposition": disposition}
    return store.client.post("/v1/sales/dsr", content=text.encode(), headers=headers)


def test_a_header_too_long_writes_nothing(api: Api, store: Store, session: Session) -> None:
    """A DSR file's Content-Disposition: 1,025 characters are refused before the file is
    read; 1,024 (an extension parameter padding it) book the file as before."""
    isrc = priced_recording(api)[1]
    before = counts(session)
    padded = 'attachment; x="' + "p" * 1008 + '"'
    assert len(padded) == 1024
    over = _dsr(store, isrc, padded[:-1] + 'p"')
    assert (over.status_code, over.json()["code"]) == (422, "invalid"), over.text
    assert over.json()["errors"][0]["loc"] == ["header", "content-disposition"]
    assert counts(session) == before
    booked = _dsr(store, isrc, padded)
    assert booked.status_code == 200, booked.text
    assert booked.json()["sales_recorded"] == 1


def _vkey(name: str) -> str:
    private = Ed25519PrivateKey.generate()
    return notes.verifier_of(name, private, notes.COSIGNATURE_V1).vkey


def test_a_witness_field_too_long_writes_nothing(client: TestClient) -> None:
    """A witness key is kept in 300 characters and its URL in 2,000: longer ones were
    well-formed enough to reach the database (a 5xx on PostgreSQL); now a 422 naming
    them, and one at each limit is registered."""
    name_room = 300 - len(_vkey("w"))  # the key without its name's other characters
    at_limit = _vkey("w" * (name_room + 1))
    assert len(at_limit) == 300
    url = "http://witness.example/" + "u" * (2000 - 23)
    assert len(url) == 2000
    for body, field in (
        ({"verifier_key": _vkey("w" * (name_room + 2)), "url": url}, "verifier_key"),
        ({"verifier_key": at_limit, "url": url + "u"}, "url"),
    ):
        refused = client.post("/v1/transparency/witnesses", json=body, headers=ADMIN)
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid"), refused.text
        assert refused.json()["errors"][0]["loc"] == ["body", field]
    assert client.get("/v1/transparency/witnesses", headers=ADMIN).json() == []
    body = {"verifier_key": at_limit, "url": url}
    added = client.post("/v1/transparency/witnesses", json=body, headers=ADMIN)
    assert added.status_code == 201, added.text
    listed = client.get("/v1/transparency/witnesses", headers=ADMIN).json()
    assert [(w["verifier_key"], w["url"]) for w in listed] == [(at_limit, url)]
