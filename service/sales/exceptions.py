"""Errors of the sales domain (each becomes an RFC 9457 problem with its ``code``)."""

from service.errors import Conflict, DomainError, Invalid, NotFound


class Malformed(DomainError):
    status = 400
    code = "malformed"
    title = "The body cannot be parsed"


class BodyInvalid(Invalid):
    title = "The body is not a sale or a batch of sales"


class BatchTooLarge(DomainError):
    status = 413
    code = "too_large"
    title = "Too many rows in one batch"


class UnsupportedBody(DomainError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported body type"


class StoreRequired(Invalid):
    title = "Say which store"


class StoreUnknown(Invalid):
    title = "No such store"


# --- a bare sale's rejection (a batch reports these per row instead) --------------------


class SaleInvalid(Invalid):
    title = "Invalid sale"


class Withdrawn(DomainError):
    status = 451
    code = "withdrawn"
    title = "Withdrawn: taken down in that territory"


class Unlicensed(DomainError):
    status = 451
    code = "unlicensed"
    title = "No tariff covers that territory on that date"


class SaleConflict(Conflict):
    title = "The sale_id was recorded with different content"


REJECTIONS: dict[str, type[DomainError]] = {
    "invalid": SaleInvalid,
    "withdrawn": Withdrawn,
    "unlicensed": Unlicensed,
    "conflict": SaleConflict,
}


# --- reading sales, refunds ---------------------------------------------------------------


class SaleNotFound(NotFound):
    pass


class RefundInvalid(Invalid):
    title = "Invalid refund"


class RefundExceedsSale(Invalid):
    code = "refund_exceeds_sale"
    title = "More units than were sold"


class RefundConflict(Conflict):
    title = "The refund_id was recorded with different content"
