"""The README's table of the 2006 dispute is what the demo's scenario says."""

import re
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import ROOT
from tests.factories import bearer

ROW = re.compile(
    r"^\| (\S+:\S+|[^|]+?) *(?:\([^|]*\))? \| ([A-Z]{3}) \| (\S+) \| (\S+) \| (\S+) \|$"
)


def _readme_table() -> dict[tuple[str, str], tuple[Decimal, ...]]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## The 2006 dispute, priced", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        found = ROW.match(line)
        if found and found.group(3) != "---:":
            party, currency, *amounts = found.groups()
            rows[(party.strip(), currency)] = tuple(Decimal(a) for a in amounts)
    return rows


def test_the_readme_table_is_the_demos_scenario(client: TestClient, demo: dict[str, Any]) -> None:
    admin = bearer(demo["ADMIN"])
    body = {"period_from": "2006-10", "store": "allofmp3", "territory": "store_licence"}
    report = client.post("/v1/scenarios", json=body, headers=admin).json()
    names = {
        h["id"]: h["name"]
        for h in client.get("/v1/rights-holders?limit=1000", headers=admin).json()["data"]
    }
    computed = {}
    for p in report["parties"]:
        kind, _, name = p["party"].partition(":")
        who = names[name].split(" (")[0] if kind == "holder" else p["party"]
        amounts = (Decimal(p["books"]), Decimal(p["scenario"]), Decimal(p["difference"]))
        computed[(who, p["currency"])] = amounts
    table = _readme_table()
    assert len(table) >= 10
    for key, amounts in table.items():
        assert computed.get(key) == amounts, key
    # Every society and directly paid holder of the report is in the table.
    assert {k for k in computed if not k[0].startswith("suspense:")} == set(table)
