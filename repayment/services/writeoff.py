"""Writing off a loan past the product's DPD threshold (close-of-business, PROVISION step)."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from .. import colending, locks
from ..models import Installment, InstallmentShare, Loan, LoanEvent
from . import posting
from .repayments import OPEN, own_interest_accrued

ZERO = Decimal("0.00")


def loan_write_off(*, loan_id: int, business_date: date) -> Loan:
    """Our principal leaves the books against the allowance (Dr 1304 / Cr 1303), topped up to cover it first
    (Dr 6701 / Cr 1304); our accrued, unpaid interest and penalty are reversed out of income. Each partner's
    part of the loss is recorded on the event (it never was on our books). Joins the caller's transaction."""
    loan = locks.loan_for_update(loan_id)
    if not loan.is_active:
        return loan
    fundings = list(loan.fundings.order_by("position"))
    own = fundings[0]
    open_rows = list(loan.installments.filter(status__in=OPEN))
    own_paid = defaultdict(lambda: {"interest": ZERO, "penalty": ZERO})
    for share in InstallmentShare.objects.filter(installment__in=open_rows, funding=own):
        own_paid[share.installment_id] = {"interest": share.interest_paid, "penalty": share.penalty_paid}
    own_interest = own_penalty = ZERO
    for row in open_rows:
        accrued = row.own_interest if row.status == Installment.Status.DUE else own_interest_accrued(loan, row)
        own_interest += accrued - own_paid[row.pk]["interest"]
        own_penalty += row.own_penalty_accrued - own_paid[row.pk]["penalty"]
    principal = loan.own_outstanding_principal
    legs = (
        posting.Legs()
        .move(debit="6701", credit="1304", amount=principal - loan.provision_amount)
        .move(debit="1304", credit="1303", amount=principal)
        .move(debit="6011", credit="1132", amount=own_interest)
        .move(debit="6051", credit="1134", amount=own_penalty)
    )
    journal_id = posting.post(
        legs,
        kind="LOAN_WRITE_OFF",
        reference=f"loan:{loan.pk}",
        posted_on=business_date,
        idempotency_key=f"write-off:{loan.pk}",
    )
    partner_losses = {f.partner_code: str(f.outstanding_principal) for f in fundings[1:]}
    shares = [f.share for f in fundings]
    penalty_left = sum((row.penalty_unpaid for row in open_rows), ZERO)
    Loan.objects.filter(pk=loan.pk).update(
        status=Loan.Status.WRITTEN_OFF, closed_on=business_date, provision_amount=ZERO
    )
    LoanEvent.objects.create(
        loan=loan,
        kind=LoanEvent.Kind.WRITTEN_OFF,
        business_date=business_date,
        details={
            "journal_id": journal_id,
            "dpd": loan.dpd,
            "own_principal": str(principal),
            "partner_principal": partner_losses,
            "penalty_split": [str(part) for part in colending.split_amount(amount=penalty_left, shares=shares)],
        },
    )
    loan.refresh_from_db()
    return loan
