"""Authentication and authorization.

``caller`` (the framework-free :class:`Caller` services receive), ``models`` (``ApiKey``),
``service`` (key issuing, hashing, authentication) and ``dependencies`` (FastAPI: the
role aliases and request-parsing dependencies). The router-facing names are re-exported
here so a router writes ``from service.auth import AdminCaller``; services import
``service.auth.caller`` and never this package's FastAPI side.
"""

from service.auth.caller import Caller
from service.auth.dependencies import (
    AdminCaller,
    AnyCaller,
    FilerCaller,
    IsrcPath,
    IswcPath,
    PageDep,
    PartyReader,
    SettingsDep,
    StoreCaller,
    TakedownReader,
    require_role,
)
from service.auth.exceptions import Forbidden, Unauthenticated

__all__ = [
    "AdminCaller",
    "AnyCaller",
    "Caller",
    "FilerCaller",
    "Forbidden",
    "IsrcPath",
    "IswcPath",
    "PageDep",
    "PartyReader",
    "SettingsDep",
    "StoreCaller",
    "TakedownReader",
    "Unauthenticated",
    "require_role",
]
