"""Every DSR file the API serves in tests goes through the independent checker here."""

from __future__ import annotations

import re

from httpx import Response

from tests.dsr_conformance.checker import check_dsr


def served_file_name(response: Response) -> str:
    found = re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"])
    assert found is not None, response.headers
    return found[1]


def conforming_dsr(response: Response) -> str:
    """The served DSR's text, after asserting it breaks no rule of the standard."""
    assert response.status_code == 200, response.text
    violations = [str(v) for v in check_dsr(response.text, served_file_name(response))]
    assert violations == []
    return response.text
