"""The served OpenAPI document, made honest where FastAPI's generator is not.

FastAPI declares a response ``model`` under ``application/json`` whatever the media type
the handler really sends; every error here is ``application/problem+json`` (RFC 9457).
Each operation lists the problems *it* can answer with, per status: the codes (an
``enum`` on ``code``) and an example of each, from three sources: what its endpoint and
dependencies raise (``service.raises`` reads the source), what its inputs imply (a body
can be malformed, too large or invalid; a path parameter can name nothing), and codes a
route declares itself (``responses={status: problem_codes(...)}``). Lists get an example
built from their item's own example, so `/docs` shows what a page looks like. A text
body (CSV, NDJSON, a CWR file) states the size the app keeps, as the app was configured.
"""

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi

from service.problem_types import ProblemType, example, problem_types
from service.problems import CODES_KEY, PROBLEM_JSON
from service.raises import raised_by

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_REF_PREFIX = "#/components/schemas/"


def _calls(dependant: Dependant) -> Iterator[Any]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _raised_codes(app: FastAPI) -> dict[tuple[str, str], set[str]]:
    """(METHOD, path) -> the codes its endpoint and dependencies raise (no 5xx: a domain
    error with a 5xx status is a bug the contract does not promise)."""
    found: dict[tuple[str, str], set[str]] = {}
    for context in routing.iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, routing.APIRoute):
            continue
        codes = {e.code for e in raised_by(_calls(route.dependant)) if e.status < 500}
        for method in context.methods or ():
            found[(method.upper(), str(context.path_format))] = codes
    return found


def _input_codes(method: str, operation: dict[str, Any], *, database: bool) -> set[str]:
    params = operation.get("parameters", [])
    codes = {"database_unavailable"} if database else set()
    if database and method.lower() != "get":  # a GET never writes
        codes.add("read_only")
    if operation.get("requestBody"):
        codes |= {"malformed", "too_large", "invalid"}
    if any(p.get("in") in ("path", "query", "header") for p in params):
        codes.add("invalid")
    if any(p.get("in") == "path" for p in params):
        codes.add("not_found")
    return codes


def _response(kinds: list[ProblemType], description: str) -> dict[str, Any]:
    codes = sorted(kind.code for kind in kinds)
    schema = {"allOf": [_PROBLEM_REF, {"properties": {"code": {"enum": codes}}}]}
    named = "Problem codes: " + ", ".join(f"`{code}`" for code in codes)
    return {
        "description": f"{description.rstrip('.')}. {named}" if description else named,
        "content": {
            PROBLEM_JSON: {
                "schema": schema,
                "examples": {
                    kind.code: {"summary": kind.title, "value": example(kind)}
                    for kind in sorted(kinds, key=lambda k: k.code)
                },
            }
        },
    }


def _operation_problems(operation: dict[str, Any], codes: set[str], method: str) -> None:
    """Replace the operation's 4xx/5xx responses by one per status with its codes."""
    responses, types = operation.setdefault("responses", {}), problem_types()
    declared: dict[str, str] = {}
    database = False
    for status, response in list(responses.items()):
        if status[:1] in ("4", "5"):
            own = response.pop(CODES_KEY, None)
            codes |= set(own or ())
            # The routers' blanket 503 (PROBLEM_RESPONSES) names no code: the database's.
            database |= status == "503" and own is None
            declared[status] = response.get("description", "")
            del responses[status]
    codes |= _input_codes(method, operation, database=database)
    by_status: dict[str, list[ProblemType]] = defaultdict(list)
    for code in codes:
        by_status[str(types[code].status)].append(types[code])
    for status in sorted(by_status):
        responses[status] = _response(by_status[status], declared.get(status, ""))


def _problem_responses(app: FastAPI, spec: dict[str, Any]) -> None:
    raised = _raised_codes(app)
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            codes = set(raised.get((method.upper(), path), set()))
            _operation_problems(operation, codes, method)
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


# What Decimal reads from a string (ASCII digits, an optional sign, point, exponent and
# digit-group underscores, surrounding spaces): the string branch of every decimal field.
_DECIMAL = (
    r"^\s*[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?\s*$"
)


def _decimal_strings(node: Any) -> None:
    """Give the string branch of each number-or-string (decimal) schema its pattern."""
    if isinstance(node, dict):
        branches = node.get("anyOf", [])
        if {"number", "string"} <= {b.get("type") for b in branches if isinstance(b, dict)}:
            for branch in branches:
                if branch.get("type") == "string" and "pattern" not in branch:
                    branch["pattern"] = _DECIMAL
        for value in node.values():
            _decimal_strings(value)
    elif isinstance(node, list):
        for value in node:
            _decimal_strings(value)


def _raw_body_limits(spec: dict[str, Any], body_limit: int) -> None:
    """A text body (CSV, NDJSON, CWR: a bare string schema) states the limit
    ``middleware.BodyLimit`` keeps (413 past it), unless its route states its own (a DSR
    file, which its endpoint streams): no more characters than bytes."""
    # ``spec`` is get_openapi's own copy (encoded afresh), not the routes' declarations.
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                schema = media.get("schema", {})
                if schema.get("type") == "string" and "maxLength" not in schema:
                    schema["maxLength"] = body_limit


def install_openapi(app: FastAPI, *, body_limit: int) -> None:
    """Replace ``app.openapi`` by a generator that applies the fixes above, once;
    ``body_limit`` is the bytes a request body may have (``LEDGER_MAX_BODY_BYTES``)."""

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
            _problem_responses(app, spec)
            _list_examples(spec)
            _decimal_strings(spec)
            _raw_body_limits(spec, body_limit)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI documents this override
