"""Errors of the parties domain."""

from service.errors import Conflict, Invalid, NotFound


class PartyNotFound(NotFound):
    pass


class PartyExists(Conflict):
    pass


class EclOverlap(Conflict):
    """Two societies would collect for non-members of one country and right type."""


class MandateRejected(Invalid):
    pass


class BadSubject(Invalid):
    pass
