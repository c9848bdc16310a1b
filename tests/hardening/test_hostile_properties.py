"""Hostile values (the classes issues #10 and #24 found) thrown at every write endpoint: a
valid body with one field replaced. Whatever the value, the answer is never a 5xx; a
refused request writes no row; the chain still verifies. Issue #24 added integers longer
than Python reads (a 422 naming the field), webhook URLs that must not be called (422),
and hostile cursors on every list."""

import base64
import json
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from tests.factories import Api, isrc
from tests.hardening.conftest import priced_recording
from tests.sales.conftest import Store

TABLES = (
    "api_key", "work", "recording", "share", "society", "store", "rights_holder", "mandate",
    "tariff", "fx_rate", "sale", "refund", "payment", "takedown", "period_close",
    "ledger_transaction", "ledger_leg",
)  # fmt: skip

# Stand-ins for JSON numbers too long for Python (json.dumps cannot write them): the body's
# text gets the digits in their place.
HUGE_INT, NEGATIVE_HUGE_INT = "<huge integer>", "<negative huge integer>"
_DIGITS = "9" * 5000
SSRF_URLS = [
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_x",
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:8000/v1/sales",
    "http://example.com/a\r\nX-Injected: 1",
    "http://user:pw@example.com/",
]

HOSTILE = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            -1,
            0,
            1e307,
            -1e307,
            "1e999999",
            "-1e999999",
            "NaN",
            "Infinity",
            "1" * 40,
            "10000000000000",
            "1000000000000",
            "9223372036854.775808",
            "-0",
            "-0.00",
            "+1",
            "1E+3",
            "0.0000001",
            "\u0661",
            "\uff11",
            "\ud800",
            "a\udfff",
            "",
            " ",
            "x" * 10_000,
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "0000-01",
            "9999-12",
            [],
            {},
            [[[[[[[[[[]]]]]]]]]],
            HUGE_INT,
            NEGATIVE_HUGE_INT,
            *SSRF_URLS,
        ]
    ),
    st.text(max_size=300),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)


TAKEDOWN: dict[str, Any] = {
    "territories": ["US"],
    "evidence": {"kind": "contract", "reference": "Licence 1", "sha256": "a" * 64},
}


def rows(session: Session) -> dict[str, int]:
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in TABLES)
    return {name: n for name, n in session.execute(sa.text(union)).all()}


@pytest.fixture
def world(api: Api, store: Store) -> dict[str, Any]:
    api.society(code="ROMS")
    holder, code = priced_recording(api)
    sale = store.one(
        {"sale_id": "s-1", "isrc": code, "territory": "RU", "sold_at": "2006-11-03T10:00:00Z",
         "quantity": 2, "unit_price": "0.99", "currency": "USD"}
    )  # fmt: skip
    return {"holder": holder, "isrc": code, "sale": sale, "store": store}


def endpoints(w: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], bool]]:
    """(method, path, a valid body, sent by the store?) for every write endpoint."""
    share = {"holder_id": w["holder"], "right_type": "neighbouring", "share": "1",
             "territory": "WORLD"}  # fmt: skip
    return [
        ("POST", "/v1/sales", {"sale_id": "h-1", "isrc": w["isrc"], "territory": "RU",
                               "sold_at": "2006-11-04T10:00:00Z", "quantity": 1,
                               "unit_price": "0.99", "currency": "USD"}, True),
        ("POST", "/v1/sales/s-1/refunds", {"refund_id": "r-1", "quantity": 1,
                                           "refunded_at": "2006-11-05T10:00:00Z"}, True),
        ("POST", "/v1/payments", {"party": "society:ROMS", "amount": "1.00", "currency": "RUB",
                                  "paid_at": "2006-12-05T12:00:00Z", "reference": "w-1"}, False),
        ("POST", "/v1/tariffs", {"territory": "DE", "right_type": "mechanical",
                                 "currency": "EUR", "valid_from": "2000-01-01",
                                 "per_unit": "0.1"}, False),
        ("POST", "/v1/fx-rates", {"date": "2006-10-31", "from": "USD", "to": "RUB",
                                  "rate": "26.7"}, False),
        ("POST", "/v1/societies", {"code": "GEMA", "name": "G", "country": "DE",
                                   "currency": "EUR", "right_types": ["mechanical"],
                                   "commission_rate": "0.1",
                                   "extended_collective_licensing": False,
                                   "payout_threshold": "10"}, False),
        ("POST", "/v1/stores", {"code": "newstore", "name": "N", "country": "RU",
                                "webhook_url": "https://store.example/hook"}, False),
        ("POST", "/v1/rights-holders", {"name": "N", "kind": "publisher",
                                        "currency": "USD"}, False),
        ("POST", "/v1/mandates", {"holder_id": w["holder"], "society_code": "ROMS",
                                  "right_type": "mechanical", "territories": ["RU"],
                                  "valid_from": "2000-01-01"}, False),
        ("POST", "/v1/recordings", {"isrc": isrc(), "title": "T", "artist": "A",
                                    "shares": [share]}, False),
        ("PATCH", f"/v1/recordings/{w['isrc']}", {"title": "T2", "duration_s": 200}, False),
        ("PUT", f"/v1/recordings/{w['isrc']}/shares", {"shares": [share]}, False),
        ("POST", "/v1/api-keys", {"role": "store", "subject": w["store"].code}, False),
        ("POST", "/v1/takedowns", TAKEDOWN | {"isrc": w["isrc"],
                                              "claimant_holder_id": w["holder"]}, False),
        ("POST", "/v1/refunds", {"refunds": [{"refund_id": "r-2", "sale_id": "s-1",
                                              "quantity": 1,
                                              "refunded_at": "2006-11-05T10:00:00Z"}]}, True),
    ]  # fmt: skip


def _body(valid: dict[str, Any], field: str, value: Any) -> str:
    text = json.dumps({**valid, field: value})
    return text.replace(f'"{HUGE_INT}"', _DIGITS).replace(f'"{NEGATIVE_HUGE_INT}"', f"-{_DIGITS}")


def _must_refuse(path: str, field: str, value: Any) -> bool:
    """Values a request must refuse, naming the field (not merely survive)."""
    if value in (HUGE_INT, NEGATIVE_HUGE_INT):
        return True
    return path == "/v1/stores" and field == "webhook_url" and value in SSRF_URLS


@pytest.mark.parametrize("index", range(15))
def test_hostile_values_never_reach_a_5xx_nor_write_when_refused(
    api: Api, session: Session, world: dict[str, Any], dialect: str, index: int
) -> None:
    if dialect != "postgresql":
        pytest.skip("once, on PostgreSQL, is enough")
    method, path, valid, as_store = endpoints(world)[index]
    headers = {**(world["store"].headers if as_store else api.admin),
               "Content-Type": "application/json"}  # fmt: skip

    def check(field: str, value: Any) -> None:
        before = rows(session)
        body = _body(valid, field, value)
        response = api.client.request(method, path, content=body, headers=headers)
        assert response.status_code < 500, (field, value, response.text)
        if _must_refuse(path, field, value):
            assert response.status_code == 422, (field, value, response.text)
            assert any(field in e["loc"] for e in response.json()["errors"]), response.text
        if response.status_code >= 400:
            assert rows(session) == before, (field, value, response.status_code)

    @given(field=st.sampled_from(sorted(valid)), value=HOSTILE)
    @settings(max_examples=25, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def throw(field: str, value: Any) -> None:
        check(field, value)

    throw()
    # Issue #24's values in every field, whatever the sampling above drew.
    for field in sorted(valid):
        check(field, HUGE_INT)
        check(field, NEGATIVE_HUGE_INT)
    if path == "/v1/stores":
        for url in SSRF_URLS:
            check("webhook_url", url)
    verification = api.get("/v1/ledger/verify").json()
    assert verification["ok"] is True, verification


def _lists(api: Api) -> list[str]:
    paths = api.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return sorted(
        path
        for path, ops in paths.items()
        if "get" in ops
        and "{" not in path
        and any(p["name"] == "cursor" for p in ops["get"].get("parameters", []))
    )


CURSORS = st.one_of(
    st.sampled_from(["azE6AA==", "azE6AA", "azE6", "k1:", "", "=", "%00", "azE6WyJcdTAwMDAiXQ"]),
    st.binary(max_size=64).map(lambda b: base64.urlsafe_b64encode(b"k1:" + b).decode()),
    st.binary(max_size=64).map(lambda b: base64.urlsafe_b64encode(b).decode()),
    st.text(max_size=80),
)


def test_hostile_cursors_never_reach_a_5xx(api: Api, world: dict[str, Any], dialect: str) -> None:
    if dialect != "postgresql":
        pytest.skip("once, on PostgreSQL, is enough")
    lists = _lists(api)

    @given(path=st.sampled_from(lists), cursor=CURSORS)
    @settings(max_examples=120, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def page(path: str, cursor: str) -> None:
        params = {"cursor": cursor, "holder_id": world["holder"]}
        response = api.client.get(path, params=params, headers=api.admin)
        assert response.status_code < 500, (path, cursor, response.text)

    page()
