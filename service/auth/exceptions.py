"""Errors of the auth domain."""

from service.errors import DomainError, NotFound


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Not allowed for this role"


class ApiKeyNotFound(NotFound):
    pass


class KeyExpired(Unauthenticated):
    code = "key_expired"
    title = "The API key has expired"


class InsufficientScope(Forbidden):
    code = "insufficient_scope"  # the error code of RFC 6750 §3.1 for the same case
    title = "Not allowed for this key's scopes"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"
