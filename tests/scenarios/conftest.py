"""Scenarios' fixtures: the demo loaded into the test's database, and its tokens."""

from typing import Any

import pytest
from sqlmodel import Session

from service.demo import load_demo


@pytest.fixture
def demo(session: Session) -> dict[str, Any]:
    """The demo of `make run` (2006 sales, January to October closed), its tokens."""
    tokens = load_demo(session)
    session.flush()
    return tokens
