"""Errors of the catalog."""

from service.errors import Conflict, Invalid, NotFound


class AssetNotFound(NotFound):
    pass


class AssetExists(Conflict):
    pass


class ShareVersionExists(Conflict):
    pass


class SharesInvalid(Invalid):
    pass
