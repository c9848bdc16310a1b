"""Errors of the ledger."""

from service.errors import DomainError


class Unbalanced(DomainError):
    """A transaction whose legs do not sum to zero per currency: a bug, never user input."""

    status = 500
    code = "unbalanced"
    title = "Refused an unbalanced ledger transaction"
