"""Errors of the takedowns domain."""

from service.errors import Conflict, DomainError, Invalid, NotFound


class TakedownNotFound(NotFound):
    pass


class TakedownInvalid(Invalid):
    """The request names something that does not exist or contradicts itself."""


class NotForYourself(DomainError):
    """A rights holder filed a takedown for another holder."""

    status = 403
    code = "forbidden"
    title = "Not allowed for this caller"


class NoShare(Invalid):
    """Approval refused: the claimant holds no share of the asset where it asks."""

    code = "no_share"
    title = "The claimant holds no share there"


class WrongStatus(Conflict):
    """Decided twice, or lifted while not approved (code stays ``conflict``)."""

    title = "Not possible in the takedown's current status"
