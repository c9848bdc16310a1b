"""The import rules of docs/architecture.md, checked on the source so a change that breaks
them fails here rather than in review."""

import ast
from pathlib import Path

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
