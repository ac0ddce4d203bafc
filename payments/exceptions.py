"""Errors of the payment core; each carries a stable code that callers and the API can rely on."""

from common.errors import DomainError


class PaymentsError(DomainError):
    code = "PAYMENTS_ERROR"


class IdempotencyConflict(PaymentsError):
    """The idempotency key was used before for a different request: one key, one effect (DOMAIN.md §10.5)."""

    code = "IDEMPOTENCY_KEY_REUSED"
    http_status = 409


class PaymentOrderNotFound(PaymentsError):
    code = "PAYMENT_ORDER_NOT_FOUND"
    http_status = 404


class OrderStateConflict(PaymentsError):
    """The order is not in the state a transition expects (forward-only state machine)."""

    code = "PAYMENT_ORDER_STATE_CONFLICT"
    http_status = 409


class UnknownChannel(PaymentsError):
    code = "UNKNOWN_PAYMENT_CHANNEL"
    http_status = 404


class InvalidCallbackSignature(PaymentsError):
    code = "INVALID_SIGNATURE"
    http_status = 401


class MalformedCallback(PaymentsError):
    code = "MALFORMED_CALLBACK"


class ChannelUnavailable(PaymentsError):
    """The channel could not be reached for something that is not a payment (a statement download)."""

    code = "CHANNEL_UNAVAILABLE"
    http_status = 502


class StatementRowInvalid(PaymentsError):
    """A statement line cannot be read; the whole statement is refused and nothing is written."""

    code = "STATEMENT_ROW_INVALID"


class StatementChanged(PaymentsError):
    """A day was reconciled against one statement and now another one arrives: an operator must look."""

    code = "STATEMENT_CHANGED"
    http_status = 409


class CaseAlreadyResolved(PaymentsError):
    code = "PAYMENT_CASE_ALREADY_RESOLVED"
    http_status = 409


class InvalidCaseResolution(PaymentsError):
    code = "PAYMENT_CASE_RESOLUTION_INVALID"


class DuplicateSettlementHandler(PaymentsError):
    code = "DUPLICATE_SETTLEMENT_HANDLER"
