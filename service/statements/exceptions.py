"""Errors of the statements domain."""

from service.errors import Conflict, Invalid, NotFound


class PeriodNotEnded(Conflict):
    code = "period_not_ended"
    title = "The month has not ended yet"


class EarlierPeriodOpen(Conflict):
    code = "earlier_period_open"
    title = "An earlier month with entries is still open"


class MissingFxRates(Conflict):
    code = "missing_fx_rate"
    title = "Exchange rates are missing for the close"


class StatementNotFound(NotFound):
    pass


class PaymentNotFound(NotFound):
    pass


class PaymentInvalid(Invalid):
    pass


class PaymentConflict(Conflict):
    code = "conflict"
    title = "The payment reference is already used with different content"


class NotAcceptable(Invalid):
    status = 406
    code = "not_acceptable"
    title = "No representation matches the Accept header"


class StatementNotPinned(Conflict):
    code = "statement_not_pinned"
    title = "The statement pins no signed tree head"
