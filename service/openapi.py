"""The served OpenAPI document, made honest where FastAPI's generator is not.

FastAPI declares a response ``model`` under ``application/json`` whatever the media type
the handler really sends; every error here is ``application/problem+json`` (RFC 9457), so
error responses are rewritten to declare exactly that. Lists get an example built from
their item's own example, so `/docs` shows what a page looks like.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from service.problems import PROBLEM_JSON

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_REF_PREFIX = "#/components/schemas/"


def _problem_responses(spec: dict[str, Any]) -> None:
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if status[:1] in ("4", "5"):
                    response["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
    # FastAPI's own 422 body is never sent (problems.py answers with a Problem instead).
    schemas = spec.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def _item_example(schemas: dict[str, Any], page: dict[str, Any]) -> Any:
    items = page.get("properties", {}).get("data", {}).get("items", {})
    ref = items.get("$ref", "")
    item = schemas.get(ref.removeprefix(_REF_PREFIX), {}) if ref else items
    examples = item.get("examples") or []
    return examples[0] if examples else None


def _list_examples(spec: dict[str, Any]) -> None:
    """``{"data": [<the item's example>], "next_cursor": null}`` on every page schema."""
    schemas = spec.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        if not name.startswith("Page_") or "examples" in schema:
            continue
        example = _item_example(schemas, schema)
        if example is not None:
            schema["examples"] = [{"data": [example], "next_cursor": None}]


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` by a generator that applies the fixes above, once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            _problem_responses(spec)
            _list_examples(spec)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI documents this override
