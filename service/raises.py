"""Which domain errors a function can raise, read from the source (for the OpenAPI document).

The contract lists, per operation, the problem codes it can answer with. Writing them by
hand next to 80 routes would rot; instead the source is read once: every ``raise X(...)``
whose ``X`` is a :class:`~service.errors.DomainError` subclass, followed through the calls
a function makes to other functions of the ``service`` package (``module.func(...)``,
``func(...)`` imported or defined alongside, ``Class(...)`` and ``Class.method(...)``).
Calls through objects (``self.x()``, ``document.chunks()``) are not followed: what they
raise is declared by the route, and the suite's problem check catches what both miss.

No web framework here: ``service.openapi`` asks for a route's endpoint and dependencies.
"""

import ast
import importlib
import inspect
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from service.errors import DomainError

PACKAGE = Path(__file__).resolve().parent
# The command line and the portal's HTML pages render no problem+json of the API.
_SKIPPED = ("client", "portal")

Name = tuple[str, str]  # (module, qualified name inside it)


class _Module:
    """One module's functions: what each raises and calls, names resolved by its imports."""

    def __init__(self, module: str, tree: ast.Module) -> None:
        self.module = module
        self.imports: dict[str, str] = {}  # local name -> "module" or "module:name"
        self.raises: dict[str, set[str]] = {}  # qualname -> dotted names raised
        self.calls: dict[str, set[str]] = {}  # qualname -> dotted names called
        for node in tree.body:
            self._imports(node)
        self._functions(tree.body, "")

    def _imports(self, node: ast.stmt) -> None:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                self.imports[alias.asname or alias.name] = f"{node.module}:{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                self.imports[alias.asname or alias.name.split(".")[0]] = alias.name

    def _functions(self, body: Iterable[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                self._functions(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{node.name}"
                self.raises[name], self.calls[name] = set(), set()
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Raise) and inner.exc is not None:
                        target = inner.exc.func if isinstance(inner.exc, ast.Call) else inner.exc
                        self.raises[name].add(_dotted(target))
                    elif isinstance(inner, ast.Call):
                        self.calls[name].add(_dotted(inner.func))

    def resolve(self, dotted: str) -> Name | None:
        """``(module, qualname)`` of a name used in this module, if it is in the package."""
        head, _, rest = dotted.partition(".")
        if not head:
            return None
        target = self.imports.get(head)
        if target is None:  # defined here (a function, a class, a class's method)
            return (self.module, dotted)
        if ":" in target:  # from module import name
            module, name = target.split(":")
            if _is_module(f"{module}.{name}"):  # from package import module; module.func
                return (f"{module}.{name}", rest) if rest else None
            return (module, f"{name}.{rest}" if rest else name)
        return (target, rest) if rest else None  # import module; module.func


def _dotted(node: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _is_module(dotted: str) -> bool:
    return dotted.startswith("service") and _source(dotted) is not None


def _source(module: str) -> Path | None:
    relative = Path(*module.split(".")[1:])
    for path in (PACKAGE / relative.with_suffix(".py"), PACKAGE / relative / "__init__.py"):
        if path.is_file():
            return path
    return None


@cache
def _module(module: str) -> _Module | None:
    parts = module.split(".")
    if parts[0] != "service" or (len(parts) > 1 and parts[1] in _SKIPPED):
        return None
    path = _source(module)
    return None if path is None else _Module(module, ast.parse(path.read_text()))


def _error_class(module: str, qualname: str) -> type[DomainError] | None:
    try:
        value: Any = importlib.import_module(module)
        for part in qualname.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError):
        return None
    return value if inspect.isclass(value) and issubclass(value, DomainError) else None


@cache
def _raised(name: Name) -> frozenset[type[DomainError]]:
    """The domain errors ``name`` raises, itself or through the calls it makes."""
    seen: set[Name] = set()
    found: set[type[DomainError]] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        module = _module(current[0])
        if module is None:
            continue
        qualname = current[1]
        if qualname not in module.raises and f"{qualname}.__init__" in module.raises:
            qualname = f"{qualname}.__init__"  # Class(...) runs its __init__
        for raised in module.raises.get(qualname, ()):
            target = module.resolve(raised)
            error = _error_class(*target) if target else None
            if error is not None:
                found.add(error)
        for called in module.calls.get(qualname, ()):
            target = module.resolve(called)
            if target is not None:
                todo.append(target)
    return frozenset(found)


def raised_by(functions: Iterable[Callable[..., Any]]) -> frozenset[type[DomainError]]:
    """Every domain error these functions (an endpoint and its dependencies) can raise."""
    found: set[type[DomainError]] = set()
    for function in functions:
        module = getattr(function, "__module__", "")
        # A closure's raises are read as its enclosing function's (ast.walk covers both).
        qualname = getattr(function, "__qualname__", "").split(".<locals>", 1)[0]
        if module.startswith("service."):
            found |= _raised((module, qualname))
    return frozenset(found)
