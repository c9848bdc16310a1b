"""A store's webhook_url is checked at registration (issue #24, break 6): http(s) only, no
credentials, no control characters, and no loopback, private or link-local address
unless the operator allows it. Refusals are 422s naming the field; nothing is written."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import Api, unique

REFUSED = [
    "file:///etc/passwd",
    "gopher://example.com:70/_x",
    "javascript:alert(1)",
    "ftp://example.com/hook",
    "http://example.com/a\r\nX-Injected: 1",
    "http://example.com/a b",
    "http://exa\tmple.com/",
    "http://user:secret@example.com/hook",
    "https://@example.com/hook",
    "http:///no-host",
    "http://example.com:0/",
    "http://example.com:99999/",
]
PRIVATE = [
    "http://127.0.0.1:8000/v1/sales",  # the service's own API
    "http://localhost/hook",
    "http://api.localhost/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://172.16.0.1/hook",
    "http://100.64.0.1/hook",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
]


def _register(api: Api, url: str) -> tuple[str, object]:
    code = unique("st").lower()
    body = {"code": code, "name": "A store", "country": "RU", "webhook_url": url}
    response = api.client.post("/v1/stores", json=body, headers=api.admin)
    return code, response


@pytest.mark.parametrize("url", REFUSED + PRIVATE)
def test_a_webhook_url_that_may_not_be_called_is_refused(api: Api, url: str) -> None:
    code, response = _register(api, url)
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    errors = response.json()["errors"]  # type: ignore[attr-defined]
    assert [e["loc"] for e in errors] == [["body", "webhook_url"]], errors
    assert api.client.get(f"/v1/stores/{code}", headers=api.admin).status_code == 404


@pytest.mark.parametrize("url", ["https://store.example/hooks/takedowns", "http://8.8.8.8/h"])
def test_public_webhook_urls_are_registered(api: Api, url: str) -> None:
    _, response = _register(api, url)
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("url", PRIVATE[:4])
def test_the_operator_may_allow_private_addresses(
    api: Api, app: FastAPI, client: TestClient, url: str
) -> None:
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"webhook_allow_private": True})
    try:
        _, response = _register(api, url)
    finally:
        app.state.settings = settings
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
