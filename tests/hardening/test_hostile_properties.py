"""Hostile values (the classes issue #10 found) thrown at every write endpoint: a valid
body with one field replaced. Whatever the value, the answer is never a 5xx; a refused
request writes no row; the chain still verifies."""

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
        ("POST", "/v1/stores", {"code": "newstore", "name": "N", "country": "RU"}, False),
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
    ]  # fmt: skip


@pytest.mark.parametrize("index", range(14))
def test_hostile_values_never_reach_a_5xx_nor_write_when_refused(
    api: Api, session: Session, world: dict[str, Any], dialect: str, index: int
) -> None:
    if dialect != "postgresql":
        pytest.skip("once, on PostgreSQL, is enough")
    method, path, valid, as_store = endpoints(world)[index]
    headers = {**(world["store"].headers if as_store else api.admin),
               "Content-Type": "application/json"}  # fmt: skip

    @given(field=st.sampled_from(sorted(valid)), value=HOSTILE)
    @settings(max_examples=25, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def throw(field: str, value: Any) -> None:
        before = rows(session)
        body = json.dumps({**valid, field: value})
        response = api.client.request(method, path, content=body, headers=headers)
        assert response.status_code < 500, (field, value, response.text)
        if response.status_code >= 400:
            assert rows(session) == before, (field, value, response.status_code)

    throw()
    verification = api.get("/v1/ledger/verify").json()
    assert verification["ok"] is True, verification
