"""Settlement handlers lending registers with the payment core (in `LendingConfig.ready`)."""

from payments.handlers import SettledOrder

from .services import disbursement_settle


def loan_disbursement_settled(order: SettledOrder) -> None:
    """A LOAN_DISBURSEMENT payout is final: settle the application (idempotent per order)."""
    disbursement_settle(order)
