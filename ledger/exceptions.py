"""Errors of the books; each carries a stable code (common.errors.DomainError)."""

from django.utils.translation import gettext_lazy as _

from common.errors import ConflictError, DomainError, NotFoundError


class LedgerError(DomainError):
    code = "LEDGER_ERROR"


class InvalidJournal(LedgerError):
    """A journal that cannot be posted as given: bad line, bad amount, missing field."""

    code = "LEDGER_INVALID_JOURNAL"


class UnbalancedJournal(InvalidJournal):
    code = "LEDGER_UNBALANCED_JOURNAL"

    def __init__(self, *, debits, credits, reference: str) -> None:
        super().__init__(
            str(_("Journal debits do not equal its credits.")), debits=debits, credits=credits, reference=reference
        )


class UnknownAccount(LedgerError):
    code = "LEDGER_UNKNOWN_ACCOUNT"


class InsufficientBalance(LedgerError):
    """The posting would take an account that may not go negative below zero."""

    code = "LEDGER_INSUFFICIENT_BALANCE"
    http_status = 409

    def __init__(self, *, account: str, balance, change, reference: str) -> None:
        super().__init__(
            str(_("The account may not go negative.")),
            account=account,
            balance=balance,
            change=change,
            reference=reference,
        )


class JournalIdempotencyConflict(ConflictError):
    """The idempotency key was first used for another journal."""

    code = "LEDGER_IDEMPOTENCY_CONFLICT"

    def __init__(self, *, idempotency_key: str, journal_id: int) -> None:
        super().__init__(
            str(_("This idempotency key was already used for a different journal.")),
            idempotency_key=idempotency_key,
            journal_id=journal_id,
        )


class JournalNotFound(NotFoundError):
    code = "LEDGER_JOURNAL_NOT_FOUND"


class JournalNotReversible(ConflictError):
    code = "LEDGER_JOURNAL_NOT_REVERSIBLE"
