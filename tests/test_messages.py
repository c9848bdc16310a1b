"""Messages that say how to fix the request (issue #12, "Messages"): each case a new user
met, with the text they now get."""

from typing import Any

from tests.factories import Api, bearer

SALE = {
    "sale_id": "m-1",
    "isrc": "RUA010600001",
    "territory": "RU",
    "sold_at": "2006-11-03T10:00:00Z",
    "quantity": 1,
    "unit_price": "0.10",
    "currency": "USD",
}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_balances_without_party_asks_an_admin_to_name_one(api: Api) -> None:
    body = _problem(api.get("/v1/balances"), 422)
    assert "None" not in body["detail"]
    assert "?party=society:<code> (e.g. society:ROMS)" in body["detail"]
    assert body["errors"][0]["loc"] == ["query", "party"]


def test_a_bare_code_is_shown_its_kind_colon_name_form(api: Api) -> None:
    api.society(code="ROMS")
    body = _problem(api.get("/v1/balances", party="ROMS"), 422)
    assert "e.g. society:ROMS" in body["detail"]
    assert api.get("/v1/balances", party="society:ROMS").status_code == 200


def test_someone_elses_balance_is_not_yours_to_read(api: Api) -> None:
    api.society(code="ROMS")
    store = api.key("store", api.store()["code"])
    body = _problem(api.get("/v1/balances", token=store, party="society:ROMS"), 404)
    assert body["detail"].startswith("society:ROMS is not yours to read: a store key reads only")
    # The same words whether or not the party exists: a key learns nothing about others.
    other = _problem(api.get("/v1/balances", token=store, party="society:NOPE"), 404)
    assert "is not yours to read" in other["detail"]
    assert api.get("/v1/balances", token=store).status_code == 200


def test_an_unknown_party_is_named_to_an_admin(api: Api) -> None:
    body = _problem(api.get("/v1/balances", party="society:NOPE"), 404)
    assert body["detail"] == "No party society:NOPE."


def _sale_errors(api: Api, token: str, **fields: Any) -> list[dict[str, Any]]:
    response = api.client.post("/v1/sales", json={**SALE, **fields}, headers=bearer(token))
    assert response.status_code == 422, response.text
    body = response.json()
    errors = body.get("errors") or body["results"][0]["error"]["errors"]
    return list(errors)


def test_a_fractional_quantity_asks_for_a_whole_number(api: Api) -> None:
    store = api.key("store", api.store()["code"])
    for quantity in (1.5, "1.5"):
        [error] = _sale_errors(api, store, quantity=quantity)
        assert error["loc"][-1] == "quantity"
        assert error["msg"].startswith("must be a whole number, e.g. 1")
        assert "unable to parse" not in error["msg"]


def test_a_date_without_zone_shows_one_with_a_zone(api: Api) -> None:
    store = api.key("store", api.store()["code"])
    [error] = _sale_errors(api, store, sold_at="2006-11-03T10:00:00")
    assert error["loc"][-1] == "sold_at"
    assert "2006-11-03T10:00:00Z" in error["msg"]
    assert "'2006-11-03T10:00:00'" in error["msg"]  # what was sent
    [error] = _sale_errors(api, store, sold_at="3 Nov 2006")
    assert "2006-11-03T10:00:00Z" in error["msg"]


def test_a_csv_row_gets_the_same_hints(api: Api) -> None:
    store = api.key("store", api.store()["code"])
    csv = (
        "sale_id,isrc,territory,sold_at,quantity,unit_price,currency\n"
        "m-2,RUA010600001,RU,2006-11-03T10:00:00,1.5,0.10,USD\n"
    )
    headers = {**bearer(store), "Content-Type": "text/csv"}
    response = api.client.post("/v1/sales", content=csv, headers=headers)
    [row] = response.json()["results"]
    messages = {e["loc"][-1]: e["msg"] for e in row["error"]["errors"]}
    assert messages["quantity"].startswith("must be a whole number")
    assert "2006-11-03T10:00:00Z" in messages["sold_at"]


def test_royalties_403_names_only_the_roles_that_may_read_them(api: Api) -> None:
    society = api.key("society", api.society()["code"])
    body = _problem(api.get("/v1/royalties", token=society), 403)
    assert "society" not in body["detail"].split(";")[0]
    assert "rights_holder" in body["detail"]
