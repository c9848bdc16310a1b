"""Our writer's DSR files, as served by the API, against the independent checker.

Failed before issue 11's fix (``B1`` block ids; file-name recipient not the HEAD's, empty
RecipientPartyId) and passes since.
"""

from __future__ import annotations

import re

from tests.dsr_conformance.checker import check_dsr
from tests.dsr_conformance.served import served_file_name
from tests.factories import Api, isrc
from tests.statements.conftest import (  # noqa: F401 - fixtures
    Ledger,
    Sale,
    Share,
    Statements,
    ledger,
    statements,
)
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


def test_a_party_without_a_dpid_is_named_by_its_dsr_name_and_the_gap_is_reported(
    api: Api,
    ledger: Ledger,  # noqa: F811
    statements: Statements,  # noqa: F811
) -> None:
    """Decision (issue 11): ``dpid`` stays optional. Without one, HEAD RecipientName and the
    file name's MessageRecipient are the party's ``dsr_name`` (they agree, Part 1 8.1), and
    RecipientPartyId stays empty: the XSD makes it mandatory for a single recipient, so the
    checker reports exactly that and nothing else."""
    code = api.society(code="NO_DPID", dpid=None)["code"]
    part = Share(f"society:{code}", "1.5", holder_id=None, society_code=code)
    ledger.sale(PERIOD, Sale("shop", "RUB", isrc(), "RU", 1, "10", [part], sale_pk=1))
    statements.close(PERIOD)
    response = statements.get(
        statements.of(f"society:{code}", PERIOD)["id"], params={"format": "dsr"}
    )
    name = served_file_name(response)
    assert name.startswith("DSR_NO-DPID_")
    assert [str(v) for v in check_dsr(response.text, name)] == [
        "line 1, HEAD (RecipientPartyId): mandatory for a report to one recipient, but empty"
    ]
