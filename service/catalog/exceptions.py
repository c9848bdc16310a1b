"""Errors of the catalog."""

from service.problems import Conflict, Invalid, NotFound


class AssetNotFound(NotFound):
    pass


class AssetExists(Conflict):
    pass


class ShareVersionExists(Conflict):
    pass


class SharesInvalid(Invalid):
    pass
