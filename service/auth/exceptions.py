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
