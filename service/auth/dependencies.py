"""FastAPI dependencies: who the caller is, which roles an endpoint admits, the pieces
of a request every router parses the same way (settings, a page, an ISRC or ISWC path).

The only module below the routers that knows FastAPI's ``Depends``; services receive
what these produce (a :class:`Caller`, a :class:`PageParams`, plain values).
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.auth import ratelimit, scopes
from service.auth.caller import Caller
from service.auth.exceptions import Forbidden, InsufficientScope, Unauthenticated
from service.auth.ratelimit import KeyRateLimiter
from service.auth.service import identify
from service.config import Settings
from service.db import SessionDep
from service.errors import NotFound
from service.failover import read_despite_failover
from service.identifiers import ISRC_SPELLING, ISWC_SPELLING, normalize_isrc, normalize_iswc
from service.pagination import PageParams
from service.rights import Role
from service.timeutil import utcnow


def app_settings(request: Request) -> Settings:
    """The settings ``create_app`` was built with (services get them as arguments)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]

_bearer = HTTPBearer(auto_error=False, description="An API key issued by POST /v1/api-keys.")


def current_caller(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Who calls (401 unless a live, unexpired key), within the key's rate limit (429)
    and scopes (403): every role alias below depends on this."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("Send `Authorization: Bearer <token>`.")
    now = utcnow()
    # During a failover the keys are read from a replica, so pulls go on (service/failover.py).
    caller = read_despite_failover(
        primary=session,
        replica=request.app.state.replicas.next,
        read=lambda s: identify(
            session=s, token=credentials.credentials, admin_token=settings.admin_token, now=now
        ),
    )
    if caller.key_id is not None:
        request.app.state.key_use.note(caller.key_id, utcnow())  # memory only: auth.usage
    # For the request log: who called, by key id (the token itself is never logged).
    request.state.caller_key_id = caller.key_id or "admin-token"
    request.state.caller_role = caller.role.value
    limiter: KeyRateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        ratelimit.enforce(limiter, key=request.state.caller_key_id, state=request.state)
    route = getattr(request.scope.get("route"), "path", request.url.path)
    if not scopes.allows(caller.scopes, method=request.method, route=route):
        granted = " ".join(sorted(caller.scopes or ()))
        raise InsufficientScope(
            f"This key's scopes ({granted}) do not cover {request.method} {route} "
            "(docs/api-keys.md).",
            scopes=sorted(caller.scopes or ()),
        )
    return caller


def require_role(*roles: Role) -> Callable[..., Caller]:
    """A dependency admitting ``roles`` (and always admin), 403 for anyone else."""
    allowed = frozenset(roles) | {Role.admin}

    def dependency(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if caller.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"This endpoint is for: {names}; you are {caller.role.value}.")
        return caller

    return dependency


AnyCaller = Annotated[Caller, Depends(current_caller)]
AdminCaller = Annotated[Caller, Depends(require_role(Role.admin))]
StoreCaller = Annotated[Caller, Depends(require_role(Role.store))]
# Statements and payments: a society or a holder reads its own.
PartyReader = Annotated[Caller, Depends(require_role(Role.society, Role.rights_holder))]
# Takedowns: a holder files its own; holders (their own) and stores read them.
FilerCaller = Annotated[Caller, Depends(require_role(Role.rights_holder))]
TakedownReader = Annotated[Caller, Depends(require_role(Role.rights_holder, Role.store))]


def page_params(
    limit: Annotated[int, Query(ge=1, le=1000, description="Rows per page (max 1000).")] = 100,
    cursor: Annotated[
        str | None,
        # Base64url, as issued (pagination.encode_cursor); anything else is refused anyway.
        Query(
            description="`next_cursor` of the previous page.",
            min_length=1,
            max_length=1024,
            pattern=r"^[A-Za-z0-9_=-]+$",
        ),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageDep = Annotated[PageParams, Depends(page_params)]

# List filters, bounded so the contract can say so: a value that no stored one could equal
# is refused (422) rather than matching nothing.
IdFilter = Annotated[str | None, Query(min_length=1, max_length=32)]
TextFilter = Annotated[str | None, Query(min_length=1, max_length=300)]
CountryFilter = Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")]
TerritoryFilter = Annotated[str | None, Query(pattern=r"^(?:[A-Za-z]{2}|[Ww][Oo][Rr][Ll][Dd])$")]
CurrencyFilter = Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")]
IsrcFilter = Annotated[str | None, Query(pattern=f"^{ISRC_SPELLING}$")]
IswcFilter = Annotated[str | None, Query(pattern=f"^{ISWC_SPELLING}$")]
PartyFilter = Annotated[
    str | None, Query(pattern=r"^(?:society|holder|store):[^:]{1,73}$", examples=["society:ROMS"])
]

# Path ids, no longer than the column holding them (VARCHAR(32); a store's code 64): a
# longer one is refused (422 naming the parameter) rather than looked up. No id that long
# exists, so the refusal tells nothing about anyone's resources.
IdPath = Annotated[str, Path(max_length=32)]
StoreCodePath = Annotated[str, Path(max_length=64)]

# The request headers routes read (Accept, If-None-Match, Prefer, Content-Disposition):
# far longer than a client sends (a browser's Accept is ~150 characters, an ETag 66),
# far shorter than the whole header block may be (server.MAX_HEADER_BYTES): a value past
# it is a 422 naming the header, before anything splits or parses it.
HEADER_MAX_LENGTH = 1024


# An ISRC or ISWC in a path names an asset: one that is not even well-formed is a 404
# (there is no such asset), never a 422. The problems' own NotFound, so that auth imports
# no domain (the catalog's AssetNotFound adds nothing to it).
# The pattern is documented, not enforced by FastAPI: what fails it is a 404, as above.
def valid_isrc(
    isrc: Annotated[str, Path(json_schema_extra={"pattern": f"^{ISRC_SPELLING}$"})],
) -> str:
    try:
        return normalize_isrc(isrc)
    except ValueError:
        raise NotFound(f"No recording {isrc} (not a valid ISRC).") from None


def valid_iswc(
    iswc: Annotated[str, Path(json_schema_extra={"pattern": f"^{ISWC_SPELLING}$"})],
) -> str:
    try:
        return normalize_iswc(iswc)
    except ValueError:
        raise NotFound(f"No work {iswc} (not a valid ISWC).") from None


IsrcPath = Annotated[str, Depends(valid_isrc)]
IswcPath = Annotated[str, Depends(valid_iswc)]
