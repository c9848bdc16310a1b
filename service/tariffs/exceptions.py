"""Errors of tariffs and exchange rates."""

from service.errors import Conflict, NotFound


class TariffNotFound(NotFound):
    pass


class TariffOverlap(Conflict):
    pass


class FxRateExists(Conflict):
    pass
