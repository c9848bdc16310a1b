"""The portal reads through the domains that own the data (issue 20): it runs no query on
another domain's tables, and it shows a caller exactly the statement lines the API serves
that caller, because both go through ``service.statements.access``."""

import ast
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.auth.service import authenticate
from service.statements import summaries
from service.statements.line_pages import LineFilter, lines_page
from service.statements.models import Statement
from tests.conftest import ADMIN_TOKEN
from tests.factories import bearer

PORTAL = Path(__file__).resolve().parents[2] / "service" / "portal"
QUERIES = {"execute", "exec", "get", "scalar", "scalars", "query"}
SESSIONS = {"session", "reader", "db"}
# The portal's one table: its sign-in sessions, read only by ``portal/sessions.py``.
OWN_TABLES = {"PortalSession"}


def _queries(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in QUERIES
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in SESSIONS
    ]


def test_no_portal_module_queries_another_domains_tables() -> None:
    offenders = []
    for path in sorted(PORTAL.rglob("*.py")):
        for call in _queries(ast.parse(path.read_text())):
            named = {n.id for n in ast.walk(call) if isinstance(n, ast.Name) and n.id[0].isupper()}
            if path.name != "sessions.py" or not named <= OWN_TABLES:
                offenders.append(f"{path.relative_to(PORTAL)}:{call.lineno} {sorted(named)}")
    assert offenders == []


def test_the_check_sees_a_query_on_another_domains_table() -> None:
    planted = "def f(session):\n    return session.exec(select(Statement)).all()\n"
    assert len(_queries(ast.parse(planted))) == 1


def _key(line: dict[str, Any], statement_id: str) -> tuple[Any, ...]:
    fields = ("isrc", "territory", "right_type", "holder_id", "units", "royalty", "currency")
    return (statement_id, *(line[f] for f in fields))


def _api_lines(client: TestClient, token: str) -> Counter[tuple[Any, ...]]:
    """Every line the API serves ``token``: its statements' lines and its remittance."""
    seen: Counter[tuple[Any, ...]] = Counter()
    listed = client.get("/v1/statements", headers=bearer(token), params={"limit": 1000})
    for statement in listed.json()["data"] if listed.status_code == 200 else []:
        cursor = None
        while True:
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = client.get(
                f"/v1/statements/{statement['id']}", headers=bearer(token), params=params
            ).json()
            seen.update(_key(line, statement["id"]) for line in page["lines"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
    remittance = client.get("/v1/royalties", headers=bearer(token), params={"limit": 1000})
    if remittance.status_code == 200:
        seen.update(_key(line, line["statement_id"]) for line in remittance.json()["data"])
    return seen


def _portal_lines(session: Session, token: str) -> Counter[tuple[Any, ...]]:
    caller = authenticate(session=session, token=token, admin_token=ADMIN_TOKEN)
    assert caller is not None
    seen: Counter[tuple[Any, ...]] = Counter()
    for statement in session.exec(select(Statement)).all():
        page = lines_page(
            session=session, caller=caller, statement=statement, flt=LineFilter(size=10_000)
        )
        seen.update(_key(line, statement.id) for line in page.lines)
    return seen


@pytest.mark.parametrize("who", ["SOCIETY", "HOLDER_TOKEN"])
def test_the_portal_and_the_api_read_the_same_lines(
    client: TestClient, session: Session, demo: dict[str, Any], who: str
) -> None:
    token = demo[who]
    api = _api_lines(client, token)
    assert api, "the demo gives this caller lines to read"
    assert _portal_lines(session, token) == api
    # The overview's sums run over the same lines.
    caller = authenticate(session=session, token=token, admin_token=ADMIN_TOKEN)
    assert caller is not None
    sums = summaries.sums(session=session, caller=caller, by="territory", month=None, limit=500)
    by_currency: Counter[str] = Counter()
    for amount in sums:
        by_currency[amount.currency] += amount.value  # type: ignore[assignment]
    expected: Counter[str] = Counter()
    for key, count in api.items():
        expected[key[-1]] += Decimal(key[-2]) * count  # type: ignore[assignment]
    assert by_currency == expected
