"""Errors of loan servicing, each with a stable UPPER_SNAKE code.

`RepaymentError` is the base of every repayment error. The money-math errors below are raised by the
pure modules (schedules, interest, rebuild, colending, allocation) on bad input — never a wrong number.
Each names the offending field in its message and in ``details["field"]``. Servicing errors (loan state,
repayments) derive from `RepaymentError` too.
"""

from django.conf import settings
from django.utils.translation import gettext

from common.errors import DomainError


def _(message: str) -> str:
    """gettext when Django is configured; the pure money modules also run without settings (bench, scripts)."""
    return gettext(message) if settings.configured else message


class RepaymentError(DomainError):
    code = "REPAYMENT_ERROR"


class InvalidAmount(RepaymentError):
    """An amount that is a float, not a number, has more than two decimals, or is zero/negative where it must not be."""

    code = "INVALID_AMOUNT"


class InvalidRate(RepaymentError):
    """A rate that is a float, negative, 1 (100%) or more, or has more than six decimals."""

    code = "INVALID_RATE"


class InvalidTerm(RepaymentError):
    code = "INVALID_TERM"


class InvalidDate(RepaymentError):
    code = "INVALID_DATE"


class InvalidInput(RepaymentError):
    """A value of the wrong kind where no more specific error applies (e.g. a count that is not an integer)."""

    code = "INVALID_INPUT"


class UnknownRepaymentMethod(RepaymentError):
    code = "UNKNOWN_REPAYMENT_METHOD"


class UnknownDayCount(RepaymentError):
    code = "UNKNOWN_DAY_COUNT"


class InvalidShares(RepaymentError):
    """Funding shares that are not Decimals in [0, 1] summing to exactly 1."""

    code = "INVALID_SHARES"


class UnknownAllocationStrategy(RepaymentError):
    code = "UNKNOWN_ALLOCATION_STRATEGY"


class UnknownPrepaymentMode(RepaymentError):
    code = "UNKNOWN_PREPAYMENT_MODE"


class InvalidPrepayment(RepaymentError):
    """A partial prepayment that cannot be applied to the schedule (date outside it, or it repays everything)."""

    code = "INVALID_PREPAYMENT"


class InvalidCashFlows(RepaymentError):
    """Cash flows whose APR does not exist (no positive payment, or a payment before the money was received)."""

    code = "INVALID_CASH_FLOWS"


# --- Servicing errors (loan state, repayments, close-of-business) -------------------------------------


class LoanNotFound(RepaymentError):
    code = "LOAN_NOT_FOUND"
    http_status = 404

    def __init__(self, message: str = "", **details):
        super().__init__(message or _("No such loan."), **details)


class RepaymentNotFound(RepaymentError):
    code = "REPAYMENT_NOT_FOUND"
    http_status = 404

    def __init__(self, message: str = "", **details):
        super().__init__(message or _("No such repayment."), **details)


class LoanNotRepayable(RepaymentError):
    """A write against a loan that is settled or written off."""

    code = "LOAN_NOT_ACTIVE"
    http_status = 409

    def __init__(self, message: str = "", **details):
        super().__init__(message or _("This loan is closed; nothing more can be paid on it."), **details)


class InvalidFunding(RepaymentError):
    """Funding shares that do not sum to one, miss our own share, or give us less than 30% (REG_COFUND_RATIO)."""

    code = "INVALID_FUNDING"


class LoanOpenConflict(RepaymentError):
    """The payout order already opened a loan with other terms: a replay must ask for the same loan."""

    code = "LOAN_OPEN_CONFLICT"
    http_status = 409


class UnknownRepaymentKind(RepaymentError):
    code = "UNKNOWN_REPAYMENT_KIND"


class PayoffAmountTooLow(RepaymentError):
    """A full prepayment for less than the payoff quote of its value date."""

    code = "PAYOFF_AMOUNT_TOO_LOW"
    http_status = 409


class PrepaymentTooLarge(RepaymentError):
    """A partial prepayment that would repay everything: that is a full prepayment."""

    code = "PREPAYMENT_TOO_LARGE"
    http_status = 409


class NoDebitAccount(RepaymentError):
    code = "NO_DEBIT_ACCOUNT"
    http_status = 409


class RolloverLimitReached(RepaymentError):
    """REG_ROLLOVER_LIMIT: a loan may be rolled over at most the rule set's number of times (2)."""

    code = "REG_ROLLOVER_LIMIT"
    http_status = 409


class RolloverNotAllowed(RepaymentError):
    """A rollover asked while interest or penalty is overdue, or with nothing left to reschedule."""

    code = "ROLLOVER_NOT_ALLOWED"
    http_status = 409


class NothingToRefund(RepaymentError):
    code = "NOTHING_TO_REFUND"
    http_status = 409


class PartnerSettlementExists(RepaymentError):
    code = "PARTNER_SETTLEMENT_EXISTS"
    http_status = 409


class CobDateInvalid(RepaymentError):
    """A close-of-business asked for a date already closed and not the last, or with no business date to start from."""

    code = "COB_DATE_INVALID"


class PartitionBusy(RepaymentError):
    """A close-of-business step could not lock its partition in time (a payment held it): retried, not skipped."""

    code = "COB_PARTITION_BUSY"
    http_status = 503

    def __init__(self, message: str = "", **details):
        super().__init__(message or _("The partition is busy with a payment; the step will be retried."), **details)
