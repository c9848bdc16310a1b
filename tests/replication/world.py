"""A closed month with something behind every GET endpoint, and one request per endpoint.

Used by the "GETs never write" tests: on the test's own transaction made read-only, and
against a real hot standby (which refuses every write). Built through the API only, so
it works both inside a rolled-back test transaction and on a database that commits.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Route

from tests.factories import Api, bearer, isrc, share
from tests.takedowns.conftest import evidence, new_iswc


@dataclass
class World:
    tokens: dict[str, str]
    ids: dict[str, str]
    statements: list[dict[str, Any]] = field(default_factory=list)


def _sale(sale_id: str, code: str, when: str) -> dict[str, Any]:
    return {
        "sale_id": sale_id,
        "isrc": code,
        "territory": "RU",
        "sold_at": f"{when}T10:00:00Z",
        "quantity": 2,
        "unit_price": "15.00",
        "currency": "RUB",
    }


def build_world(client: TestClient, api: Api) -> World:
    """Catalogue, sales, a takedown with evidence, a payment, and a closed 2006-11."""
    society = api.society()["code"]
    holder = api.holder()["id"]
    api.mandate(holder_id=holder, society_code=society, right_type="mechanical")
    iswc = new_iswc()
    api.work(iswc, [share(holder, "mechanical", "1")])
    code = isrc()
    api.recording(code, [], iswc=iswc)
    api.tariff(territory="RU", right_type="mechanical", currency="RUB", percent_of_gross="0.1")
    store = api.store()["code"]
    tokens = {
        "admin": api.admin["Authorization"].removeprefix("Bearer "),
        "store": api.key("store", store),
        "society": api.key("society", society),
        "holder": api.key("rights_holder", holder),
    }
    sales = [_sale("rw-1", code, "2006-11-03"), _sale("rw-2", code, "2006-11-20")]
    posted = client.post("/v1/sales", json={"sales": sales}, headers=bearer(tokens["store"]))
    assert posted.status_code == 200, posted.text
    filed = api.post(
        "/v1/takedowns",
        {
            "isrc": code,
            "territories": ["US"],
            "claimant_holder_id": holder,
            "evidence": evidence(),
        },
    )
    assert api.client.post("/v1/periods/2006-11/close", headers=api.admin).status_code == 201
    payment = api.post(
        "/v1/payments",
        {
            "party": f"society:{society}",
            "amount": "1.00",
            "currency": "RUB",
            "paid_at": "2006-12-05T10:00:00Z",
            "reference": "rw-pay-1",
        },
    )
    tariff = api.get("/v1/tariffs").json()["data"][0]["id"]
    scenario = api.post("/v1/scenarios", {"period_from": "2006-11", "store": store})
    ids = {
        "society": society,
        "holder": holder,
        "store": store,
        "iswc": iswc,
        "isrc": code,
        "takedown": filed["id"],
        "payment": payment["id"],
        "tariff": tariff,
        "scenario": scenario["id"],
    }
    world = World(tokens, ids)
    world.statements = api.get("/v1/statements", period="2006-11").json()["data"]
    assert world.statements, "the close issued no statement"
    return world


@dataclass(frozen=True)
class Get:
    route: str  # the route's path template, to prove every GET route is covered
    url: str
    token: str = "admin"
    headers: dict[str, str] = field(default_factory=dict)


def society_statement(world: World) -> str:
    return next(s["id"] for s in world.statements if s["party_type"] == "society")


def every_get(world: World) -> list[Get]:
    """One request per GET route (CSV and DSR of a statement: both, as repeat requests)."""
    i = world.ids
    st = society_statement(world)
    # the size the close signed: heads are served as stored (issue #29)
    closed = next(s["ledger_head"]["sequence"] for s in world.statements)
    return [
        Get("/healthz", "/healthz"),
        Get("/readyz", "/readyz"),
        Get("/metrics", "/metrics"),
        Get("/openapi.json", "/openapi.json"),
        Get("/docs", "/docs"),
        Get("/docs/oauth2-redirect", "/docs/oauth2-redirect"),
        Get("/redoc", "/redoc"),
        Get("/problems", "/problems"),
        Get("/problems/{code}", "/problems/invalid"),
        Get("/v1/api-keys", "/v1/api-keys"),
        Get("/v1/societies", "/v1/societies"),
        Get("/v1/societies/{code}", f"/v1/societies/{i['society']}"),
        Get("/v1/stores", "/v1/stores"),
        Get("/v1/stores/{code}", f"/v1/stores/{i['store']}"),
        Get("/v1/rights-holders", "/v1/rights-holders"),
        Get("/v1/rights-holders/{holder_id}", f"/v1/rights-holders/{i['holder']}"),
        Get("/v1/mandates", "/v1/mandates"),
        Get("/v1/works", "/v1/works"),
        Get("/v1/works/{iswc}", f"/v1/works/{i['iswc']}"),
        Get("/v1/recordings", "/v1/recordings"),
        Get("/v1/recordings/{isrc}", f"/v1/recordings/{i['isrc']}"),
        Get("/v1/tariffs", "/v1/tariffs"),
        Get("/v1/tariffs/{tariff_id}", f"/v1/tariffs/{i['tariff']}"),
        Get("/v1/fx-rates", "/v1/fx-rates"),
        Get("/v1/sales", "/v1/sales", token="store"),
        Get("/v1/sales/{sale_id}", "/v1/sales/rw-1", token="store"),
        Get("/v1/suspense", "/v1/suspense"),
        Get("/v1/ledger/head", "/v1/ledger/head"),
        Get("/v1/ledger/verify", "/v1/ledger/verify"),
        Get("/v1/balances", f"/v1/balances?party=society:{i['society']}"),
        Get("/v1/periods/{period}", "/v1/periods/2006-11"),
        Get("/v1/statements", "/v1/statements?period=2006-11", token="society"),
        Get("/v1/statements/{statement_id}", f"/v1/statements/{st}", token="society"),
        Get("/v1/statements/{statement_id}", f"/v1/statements/{st}?format=csv", token="society"),
        Get("/v1/statements/{statement_id}", f"/v1/statements/{st}?format=dsr", token="society"),
        Get("/v1/royalties", "/v1/royalties?period=2006-11", token="holder"),
        Get("/v1/payments", "/v1/payments", token="society"),
        Get("/v1/payments/{payment_id}", f"/v1/payments/{i['payment']}", token="society"),
        Get("/v1/takedowns", "/v1/takedowns", token="holder"),
        Get("/v1/takedowns/{takedown_id}", f"/v1/takedowns/{i['takedown']}", token="store"),
        Get("/v1/statements/{statement_id}/evidence", f"/v1/statements/{st}/evidence", "society"),
        Get("/v1/statements/{statement_id}/digests", f"/v1/statements/{st}/digests", "society"),
        Get("/v1/transparency/key", "/v1/transparency/key"),
        Get("/v1/transparency/sth", "/v1/transparency/sth"),
        Get("/v1/transparency/sth/{tree_size}", f"/v1/transparency/sth/{closed}"),
        Get("/v1/transparency/checkpoint", "/v1/transparency/checkpoint"),
        Get("/v1/transparency/checkpoint/{tree_size}", f"/v1/transparency/checkpoint/{closed}"),
        Get("/v1/transparency/witnesses", "/v1/transparency/witnesses"),
        Get("/v1/transparency/inclusion", "/v1/transparency/inclusion?leaf_index=0&tree_size=1"),
        Get("/v1/transparency/consistency", "/v1/transparency/consistency?first=1&second=2"),
        Get("/v1/transparency/audit", "/v1/transparency/audit"),
        Get("/v1/scenarios/{scenario_id}", f"/v1/scenarios/{i['scenario']}", token="society"),
        Get("/v1/scenarios/{scenario_id}", f"/v1/scenarios/{i['scenario']}?format=csv"),
    ]


def get_routes(app: FastAPI) -> set[str]:
    """Every GET path of the API: the documented ones, and those left out of the schema
    (docs, metrics). The portal's HTML pages are not API reads: they are served by the
    primary, behind a session the portal keeps there (tests/portal covers them)."""
    documented = {path for path, ops in app.openapi()["paths"].items() if "get" in ops}
    found = documented | set(_get_paths(app.routes, ""))
    return {path for path in found if not path.startswith("/portal")}


def _get_paths(routes: Any, prefix: str) -> Iterator[str]:
    # FastAPI >= 0.16x keeps an included router as one lazy entry (``original_router`` plus
    # the ``include_context`` with its prefix) instead of copying its routes into the app.
    for route in routes:
        if isinstance(route, Route) and "GET" in (route.methods or set()):
            yield prefix + route.path
        nested = getattr(route, "original_router", None)
        if nested is not None:
            context = getattr(route, "include_context", None)
            yield from _get_paths(nested.routes, prefix + getattr(context, "prefix", ""))


def fetch(client: TestClient, world: World, get: Get) -> Any:
    headers = {**bearer(world.tokens[get.token]), **get.headers}
    return client.get(get.url, headers=headers)


def answered_status(get: Get) -> int:
    """What a GET answers on a database that refuses writes: 200, except readiness, which
    says it is not ready for writes (issue #24)."""
    return 503 if get.route == "/readyz" else 200
