"""The import rules of docs/architecture.md, checked on the source so a change that breaks
them fails here rather than in review."""

import ast
import importlib
import inspect
import pkgutil
import re
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel

import service

SERVICE = Path(__file__).resolve().parent.parent / "service"
# The HTTP layer: routers, request dependencies, and the app's own plumbing.
HTTP_LAYER = {"main.py", "middleware.py", "problems.py", "db.py", "openapi.py"}
DOMAINS = {p.name for p in SERVICE.iterdir() if (p / "__init__.py").exists()} - {"client"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _is_http_layer(path: Path) -> bool:
    relative = path.relative_to(SERVICE)
    return (
        str(relative) in HTTP_LAYER
        or path.name in ("router.py", "dependencies.py")
        or relative.parts[0] == "client"  # the HTTP client is no part of the server
    )


def test_only_the_http_layer_imports_fastapi() -> None:
    offenders = [
        str(path.relative_to(SERVICE))
        for path in sorted(SERVICE.rglob("*.py"))
        if not _is_http_layer(path)
        and any(m == "fastapi" or m.startswith(("fastapi.", "starlette")) for m in _imports(path))
    ]
    assert offenders == []


def test_auth_imports_no_domain() -> None:
    """Every domain imports ``service.auth`` (its Caller); the reverse would be a cycle."""
    offenders = {
        f"{path.name} -> {module}"
        for path in (SERVICE / "auth").glob("*.py")
        for module in _imports(path)
        if module.startswith("service.") and module.split(".")[1] in DOMAINS - {"auth"}
    }
    assert offenders == set()


# --- the SQL-level rule: a domain names only its own tables -------------------------------

SQL_TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE|ANALYZE)\s+\"?([a-z_]+)", re.IGNORECASE)


def _table_owners() -> dict[str, str]:
    """Table name -> the domain whose ``models.py`` declares it."""
    from service.all_models import metadata

    owners = {}
    for table in metadata.tables.values():
        module = next(
            mapper.class_.__module__
            for registry in _registries()
            for mapper in registry.mappers
            if mapper.local_table is table
        )
        owners[table.name] = module.split(".")[1]
    return owners


def _registries() -> list[Any]:
    from sqlmodel import SQLModel

    return [SQLModel._sa_registry]  # type: ignore[attr-defined]


def _named_tables(path: Path) -> set[str]:
    """Tables a module names in SQL text (``sa.text``/``exec_driver_sql`` strings) or in a
    lightweight ``sa.table("…")`` clause: references no import check can see."""
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        is_table = isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "table"
        if is_table and node.args and isinstance(node.args[0], ast.Constant):  # type: ignore[attr-defined]
            named.add(str(node.args[0].value))  # type: ignore[attr-defined]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            named |= {m.lower() for m in SQL_TABLE.findall(node.value)}
    return named


def test_a_domain_names_only_its_own_tables_in_sql() -> None:
    owners = _table_owners()
    offenders = []
    for path in sorted(SERVICE.rglob("*.py")):
        parts = path.relative_to(SERVICE).parts
        if len(parts) < 2 or parts[0] not in DOMAINS:
            continue
        for table in _named_tables(path) & owners.keys():
            if owners[table] != parts[0]:
                offenders.append(f"{path.relative_to(SERVICE)} names {table} ({owners[table]})")
    assert offenders == [], offenders


def test_the_sql_rule_sees_a_named_table(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(
        'A = sa.table("period_close", sa.column("period"))\n'
        'B = sa.text("SELECT isrc FROM recording WHERE isrc = :isrc")\n'
    )
    assert _named_tables(planted) == {"period_close", "recording"}


# --- a framework-free core, measured over every import, package __init__s included ----

# The HTTP layer and the entry points may load FastAPI/Starlette; nothing else may.
WEB_ALLOWED = (
    "service.main",
    "service.middleware",
    "service.problems",
    "service.db",
    "service.downloads",
)
WEB_ALLOWED_PREFIXES = ("service.openapi", "service.server", "service.client", "service.startup")


def _may_load_the_web(module: str) -> bool:
    return (
        module in WEB_ALLOWED
        or module.startswith(WEB_ALLOWED_PREFIXES)
        or module.rsplit(".", 1)[-1] in ("router", "dependencies")
    )


def _web_loaders() -> dict[str, list[str]]:
    """Module -> a chain of imports by which importing it loads fastapi or starlette. Unlike
    an import graph alone, importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__``."""
    import grimp

    graph = grimp.build_graph("service", include_external_packages=True)
    web = {"fastapi", "starlette"}

    def loaded_by(module: str) -> set[str]:
        parts = module.split(".")
        parents = {".".join(parts[:i]) for i in range(1, len(parts))}
        return (graph.find_modules_directly_imported_by(module) | parents) & graph.modules

    chains: dict[str, list[str]] = {}
    frontier = {m: [m] for m in graph.modules if m.split(".")[0] in web}
    while frontier:
        chains.update(frontier)
        frontier = {
            importer: [importer, *chain]
            for module, chain in frontier.items()
            for importer in graph.modules
            if importer not in chains and module in loaded_by(importer)
        }
    return {m: c for m, c in chains.items() if m.startswith("service")}


def test_no_module_below_the_http_layer_loads_a_web_framework() -> None:
    offenders = {
        m: " -> ".join(chain) for m, chain in _web_loaders().items() if not _may_load_the_web(m)
    }
    assert offenders == {}


# --- services answer in the domain's words, routers map to response bodies ---------------


def _response_bodies(annotation: Any) -> set[str]:
    """Pydantic models named by a type annotation that are not tables (a table model is
    the domain's own record; any other model is a request or response body)."""
    found: set[str] = set()
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    if is_model and not annotation.model_config.get("table"):
        found.add(f"{annotation.__module__}.{annotation.__qualname__}")
    for argument in typing.get_args(annotation):
        found |= _response_bodies(argument)
    return found


def _bodies_returned(module: ModuleType) -> dict[str, set[str]]:
    returned: dict[str, set[str]] = {}
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if function.__module__ != module.__name__ or name.startswith("_"):
            continue
        bodies = _response_bodies(typing.get_type_hints(function).get("return"))
        if bodies:
            returned[name] = bodies
    return returned


def test_no_service_returns_a_response_body() -> None:
    services = [
        importlib.import_module(found.name)
        for found in pkgutil.walk_packages(service.__path__, "service.")
        if found.name.endswith(".service")
    ]
    assert len(services) >= 10
    returned = {m.__name__: bodies for m in services if (bodies := _bodies_returned(m))}
    assert returned == {}, "services return domain results; their routers map them"


def test_the_service_rule_sees_a_response_body() -> None:
    from service.sales import schemas

    module = ModuleType("service.planted.service")

    def batch() -> list[schemas.BatchResult] | None:
        raise NotImplementedError

    batch.__module__ = module.__name__
    module.batch = batch  # type: ignore[attr-defined]
    assert _bodies_returned(module) == {"batch": {"service.sales.schemas.BatchResult"}}
