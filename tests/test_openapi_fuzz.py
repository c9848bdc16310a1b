"""Property-based API tests generated from our own OpenAPI spec (schemathesis).

Every operation gets generated requests, valid and invalid, with an admin token; none may
cause a server error, and every response must match what the spec documents. The check
that "schema-valid data is accepted" is left out: identifiers carry check digits (ISWC,
IPI, ISNI) and codes come from ISO tables, which a JSON schema cannot express, so random
strings are rightly refused with a 422 problem.
"""

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from service.main import create_app
from tests.conftest import ADMIN_TOKEN

OPERATIONS = sorted(
    f"{method.upper()} {path}"
    for path, ops in create_app().openapi()["paths"].items()
    for method in ops
)


@pytest.mark.parametrize("label", OPERATIONS)
def test_no_server_errors_and_documented_responses(
    label: str, app: FastAPI, client: TestClient, dialect: str
) -> None:
    if dialect != "postgresql":
        pytest.skip("fuzzing once, on PostgreSQL, is enough")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    method, path = label.split(" ", 1)
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=10,
        derandomize=True,  # the same cases on every run: CI must not flake
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            excluded_checks=[positive_data_acceptance],
        )

    run()
