"""Our writer's DSR files, as served by the API, against the independent checker.

Failed before issue 11's fix (``B1`` block ids; file-name recipient not the HEAD's, empty
RecipientPartyId) and passes since.
"""

from __future__ import annotations

import re

from tests.dsr_conformance.checker import check_dsr
from tests.statements.conftest import Statements, ledger, statements  # noqa: F401 - fixtures
from tests.statements.test_statements import PERIOD, Month, month  # noqa: F401 - fixture


def test_every_statement_dsr_conforms(month: Month, statements: Statements) -> None:  # noqa: F811
    parties = (f"society:{month.roms}", f"society:{month.hfa}", f"holder:{month.direct}")
    found = []
    for party in parties:
        response = statements.get(statements.of(party, PERIOD)["id"], params={"format": "dsr"})
        disposition = re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"])
        assert disposition is not None
        found += [f"{party}: {v}" for v in check_dsr(response.text, disposition[1])]
    assert found == []
