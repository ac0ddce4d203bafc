"""Settlement handlers servicing registers with the payment core (repayment/apps.py ready()).

Each is idempotent, keyed by the order and its state (payments may deliver twice): the services re-check
the repayment's or refund's status under the loan's lock.
"""

from payments.handlers import SettledOrder

from .services import overpayment_refund_settled, repayment_collection_settled
from .services.refunds import REFUND_PURPOSE
from .services.repayments import PAYMENT_PURPOSE


def loan_repayment_settled(order: SettledOrder) -> None:
    """A LOAN_REPAYMENT collection (borrower's or auto-debit) is final: allocate it, or record the failure."""
    repayment_collection_settled(
        payment_order_id=order.order_id, reference=order.reference, state=order.state, channel=order.channel
    )


def overpayment_refund_order_settled(order: SettledOrder) -> None:
    """An OVERPAYMENT_REFUND payout is final: release the held balance on success."""
    overpayment_refund_settled(payment_order_id=order.order_id, state=order.state, channel=order.channel)


HANDLERS = {PAYMENT_PURPOSE: loan_repayment_settled, REFUND_PURPOSE: overpayment_refund_order_settled}
