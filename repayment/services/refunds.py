"""Paying back what a borrower paid beyond what was owed (held in 2202), through a payout."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from .. import locks
from ..exceptions import NothingToRefund, _
from ..models import Loan, LoanEvent, OverpaymentRefund
from . import posting

REFUND_PURPOSE = "OVERPAYMENT_REFUND"
ZERO = Decimal("0.00")


def overpayment_refund_start(*, loan: Loan, on: date) -> OverpaymentRefund | None:
    """Pay out the held overpayment not already being refunded (joins the caller's transaction, loan locked)."""
    from payments.services import payout_create

    in_flight = loan.refunds.filter(status=OverpaymentRefund.Status.PENDING).aggregate(total=Sum("amount"))["total"]
    amount = loan.overpayment_balance - (in_flight or ZERO)
    if amount <= 0 or not loan.debit_account:
        return None
    refund = OverpaymentRefund.objects.create(loan=loan, amount=amount, requested_on=on)
    order = payout_create(
        idempotency_key=f"refund:{refund.pk}",
        amount=amount,
        counterparty_account=loan.debit_account,
        purpose=REFUND_PURPOSE,
        reference=str(refund.pk),
    )
    refund.payment_order_id = order.pk
    refund.save(update_fields=["payment_order_id"])
    return refund


@transaction.atomic(durable=True)
def overpayment_refund_request(*, loan_id: int) -> OverpaymentRefund:
    """An officer (or the borrower) asks for the held overpayment back."""
    from ..selectors import business_date_current

    loan = locks.loan_for_update(loan_id)
    on = business_date_current() or loan.cob_date
    refund = overpayment_refund_start(loan=loan, on=on)
    if refund is None:
        raise NothingToRefund(_("Nothing is held for this loan."), loan_id=loan.pk)
    return refund


@transaction.atomic(durable=True)
def overpayment_refund_settled(*, payment_order_id: int, state: str, channel: str) -> OverpaymentRefund | None:
    """The refund payout is final: on success release the balance (Dr 2202 / Cr 1012.<channel>)."""
    refund = OverpaymentRefund.objects.filter(payment_order_id=payment_order_id).first()
    if refund is None:
        return None
    loan = locks.loan_for_update(refund.loan_id)
    refund = OverpaymentRefund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != OverpaymentRefund.Status.PENDING or state not in ("SUCCEEDED", "FAILED"):
        return refund
    refund.status = state
    refund.save(update_fields=["status"])
    if state == "SUCCEEDED":
        from ..selectors import business_date_current

        on = business_date_current() or refund.requested_on
        loan.overpayment_balance -= refund.amount
        Loan.objects.filter(pk=loan.pk).update(overpayment_balance=loan.overpayment_balance)
        posting.post(
            posting.Legs().move(debit="2202", credit=f"1012.{channel}", amount=refund.amount),
            kind="OVERPAYMENT_REFUND",
            reference=f"loan:{loan.pk}",
            posted_on=on,
            idempotency_key=f"refund:{refund.pk}",
        )
        LoanEvent.objects.create(
            loan=loan,
            kind=LoanEvent.Kind.OVERPAYMENT_REFUNDED,
            business_date=on,
            details={"amount": str(refund.amount)},
        )
    return refund
