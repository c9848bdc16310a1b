"""Every string a client sends states its limit in the served OpenAPI document (#25, point 7).

A client generating code or validating before it sends can only keep a limit the contract
states: each string-typed request field (path, query, header and cookie parameters, body
properties at any depth, and raw text bodies) carries a ``maxLength``, a ``pattern``, an
``enum`` or a ``const``. That FastAPI also enforces what it documents is checked per kind in
``tests/hardening/test_stated_limits.py``.
"""

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

from service.config import Settings
from service.main import create_app
from service.sales.dsr_intake.dependencies import MAX_DSR_BYTES

_LIMITS = frozenset({"maxLength", "pattern", "enum", "const"})
# A date or a date-time is bounded by its format: pydantic parses it strictly (RFC 3339),
# so no unbounded text gets through.
_BOUNDED_FORMATS = frozenset({"date", "date-time"})


def _is_string(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def _unbounded(
    node: Any, where: str, schemas: dict[str, Any], seen: frozenset[str]
) -> Iterator[str]:
    """Where, in ``node`` and below, a string states no limit (each component once per
    path into it, so a schema that refers to itself ends)."""
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _unbounded(schemas[name], name, schemas, seen | {name})
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in node.get(key, []):
            yield from _unbounded(branch, where, schemas, seen)
    bounded = _LIMITS & node.keys() or node.get("format") in _BOUNDED_FORMATS
    if _is_string(node) and not bounded:
        yield where
    for name, sub in node.get("properties", {}).items():
        yield from _unbounded(sub, f"{where}.{name}", schemas, seen)
    for key, suffix in (("items", "[]"), ("additionalProperties", "{}")):
        yield from _unbounded(node.get(key), f"{where}{suffix}", schemas, seen)


def unbounded_request_strings(spec: dict[str, Any]) -> set[str]:
    """Every string request field of ``spec`` stating no limit; a component's fields are
    named by the component (``WitnessIn.url``), the rest by operation."""
    schemas = spec.get("components", {}).get("schemas", {})
    found: set[str] = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            op = f"{method.upper()} {path}"
            for param in operation.get("parameters", []):
                where = f"{op} {param['in']}:{param['name']}"
                found |= set(_unbounded(param.get("schema", {}), where, schemas, frozenset()))
            content = operation.get("requestBody", {}).get("content", {})
            for media, body in content.items():
                where = f"{op} body[{media}]"
                found |= set(_unbounded(body.get("schema", {}), where, schemas, frozenset()))
    return found


def test_every_string_request_field_states_its_limit(app: FastAPI) -> None:
    missing = sorted(unbounded_request_strings(app.openapi()))
    assert not missing, f"{len(missing)} without a limit:\n" + "\n".join(missing)


def test_the_walk_finds_strings_at_every_depth() -> None:
    """The walk itself: a string without a limit is found wherever it sits."""
    bare = {"type": "string"}
    spec = {
        "paths": {
            "/x/{a}": {
                "post": {
                    "parameters": [
                        {"in": "path", "name": "a", "schema": bare},
                        {
                            "in": "header",
                            "name": "h",
                            "schema": {"anyOf": [bare, {"type": "null"}]},
                        },
                        {
                            "in": "query",
                            "name": "ok",
                            "schema": {"type": "string", "pattern": "^a$"},
                        },
                        {
                            "in": "query",
                            "name": "day",
                            "schema": {"type": "string", "format": "date"},
                        },
                    ],
                    "requestBody": {
                        "content": {
                            "text/csv": {"schema": bare},
                            "application/json": {"schema": {"$ref": "#/components/schemas/In"}},
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "In": {
                    "type": "object",
                    "properties": {
                        "rows": {
                            "type": "array",
                            "items": {"oneOf": [bare, {"$ref": "#/components/schemas/In"}]},
                        },
                        "tags": {"type": "object", "additionalProperties": bare},
                        "kind": {"type": "string", "enum": ["a"]},
                    },
                }
            }
        },
    }
    assert unbounded_request_strings(spec) == {
        "POST /x/{a} path:a",
        "POST /x/{a} header:h",
        "POST /x/{a} body[text/csv]",
        "In.rows[]",
        "In.tags{}",
    }


def _text_limits(spec: dict[str, Any]) -> dict[str, int]:
    bodies = {
        "csv": ("/v1/sales", "text/csv"),
        "ndjson": ("/v1/sales", "application/x-ndjson"),
        "cwr": ("/v1/catalog/cwr", "text/plain"),
        "dsr": ("/v1/sales/dsr", "text/tab-separated-values"),
    }
    return {
        name: spec["paths"][path]["post"]["requestBody"]["content"][media]["schema"]["maxLength"]
        for name, (path, media) in bodies.items()
    }


def test_a_text_body_states_its_apps_body_limit() -> None:
    """LEDGER_MAX_BODY_BYTES, as the app was built with it (two apps, two limits: one's
    document does not keep the other's); a DSR file, streamed, its own 8 GiB."""
    small = _text_limits(create_app(Settings(max_body_bytes=1000)).openapi())
    default = _text_limits(create_app(Settings()).openapi())
    assert small == {"csv": 1000, "ndjson": 1000, "cwr": 1000, "dsr": MAX_DSR_BYTES}
    assert default == {"csv": 8 << 20, "ndjson": 8 << 20, "cwr": 8 << 20, "dsr": 8 << 30}
