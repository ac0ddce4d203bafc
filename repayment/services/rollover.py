"""Rollover (展期): the principal left is rescheduled over a new term, at most the rule set's limit (2) per loan."""

from datetime import date
from decimal import Decimal

from django.db import transaction

from .. import colending, locks
from ..exceptions import LoanNotRepayable, RolloverLimitReached, RolloverNotAllowed, _
from ..models import Installment, InstallmentShare, Loan, LoanEvent, LoanRollover
from ..schedules import build_schedule
from .cob import loan_catch_up
from .loans import installments_lay
from .repayments import OPEN, interest_recognize, next_installment_number, open_day

ZERO = Decimal("0.00")


@transaction.atomic(durable=True)
def loan_rollover(*, loan_id: int, term: int) -> Loan:
    """Reschedule every fen of unpaid principal over ``term`` months from today, at the contract rate.

    Interest and penalty already due must be paid first (REG: a rollover is not a way to capitalise arrears);
    the running period's interest to today is billed at once on a stub due today. Refused past the limit
    with REG_ROLLOVER_LIMIT.
    """
    loan = locks.loan_for_update(loan_id)
    if not loan.is_active:
        raise LoanNotRepayable(loan_id=loan.pk, status=loan.status)
    loan_catch_up(loan=loan)
    on = open_day(loan)
    if loan.rollover_count >= loan.rollover_limit:
        raise RolloverLimitReached(
            _("A loan may be rolled over at most %(limit)s times.") % {"limit": loan.rollover_limit},
            limit=loan.rollover_limit,
            actual=loan.rollover_count + 1,
            rule_set=loan.rule_set,
        )
    open_rows = list(loan.installments.filter(status__in=OPEN).order_by("due_date", "number"))
    arrears = sum((row.interest_unpaid + row.penalty_unpaid for row in open_rows if row.due_date <= on), ZERO)
    remaining = sum((row.principal_unpaid for row in open_rows), ZERO)
    if arrears > 0 or remaining <= 0:
        raise RolloverNotAllowed(
            _("Pay the interest and penalty due (%(arrears)s) before rolling the loan over.") % {"arrears": arrears},
            arrears=arrears,
            remaining_principal=remaining,
        )
    fundings = list(loan.fundings.order_by("position"))
    shares = [funding.share for funding in fundings]
    stubs = []
    for row in open_rows:
        if row.due_date <= on:
            # Its principal moves into the new schedule; what it billed besides is paid.
            _reschedule_row(row, principal=row.principal_paid, interest=row.interest, shares=shares)
        elif row.period_start < on and not stubs:
            elapsed, days = (on - row.period_start).days, (row.due_date - row.period_start).days
            interest = (row.interest * elapsed / days).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
            _reschedule_row(row, principal=ZERO, interest=interest, shares=shares, due_date=on)
            stubs.append(row)
        else:
            Installment.objects.filter(pk=row.pk).update(status=Installment.Status.CANCELLED)
    schedule = build_schedule(
        principal=remaining,
        annual_rate=loan.annual_rate,
        term=term,
        method=loan.method,
        disbursed_on=on,
        day_count=loan.day_count,
    )
    installments_lay(
        loan=loan,
        schedule=schedule,
        fundings=fundings,
        remaining=[funding.outstanding_principal for funding in fundings],
        number_offset=next_installment_number(loan) - 1,
    )
    interest_recognize(loan, installments=stubs, on=on, key=f"rollover:{loan.pk}:{loan.rollover_count + 1}")
    LoanRollover.objects.create(loan=loan, number=loan.rollover_count + 1, rolled_on=on, term=term, principal=remaining)
    Loan.objects.filter(pk=loan.pk).update(
        rollover_count=loan.rollover_count + 1,
        maturity_on=schedule.maturity_date,
        level_payment=schedule.level_payment,
        level_principal=schedule.level_principal,
        term=loan.installments.exclude(status=Installment.Status.CANCELLED).count(),
    )
    LoanEvent.objects.create(
        loan=loan,
        kind=LoanEvent.Kind.ROLLED_OVER,
        business_date=on,
        details={"number": loan.rollover_count + 1, "term": term, "principal": str(remaining)},
    )
    loan.refresh_from_db()
    from .repayments import loan_figures_refresh

    loan_figures_refresh(loan, on=on, key=f"rollover:{loan.pk}:{loan.rollover_count}")
    return loan


def _reschedule_row(
    row: Installment, *, principal: Decimal, interest: Decimal, shares: list[Decimal], due_date: date | None = None
) -> None:
    """Cut an installment down to ``principal`` and ``interest``; its funder parts follow (principal as paid so
    far per funder when it keeps only what was paid, interest by share)."""
    interest_split = colending.split_amount(amount=interest, shares=shares)
    row.principal, row.interest, row.own_interest = principal, interest, interest_split[0]
    if due_date is not None:
        row.due_date = due_date
        row.penalty_base_on = due_date
    row.status = (
        Installment.Status.PAID
        if (
            principal == row.principal_paid
            and interest == row.interest_paid
            and row.penalty_unpaid == 0
            and due_date is None
        )
        else row.status
    )
    row.save(update_fields=["principal", "interest", "own_interest", "due_date", "penalty_base_on", "status"])
    for share in InstallmentShare.objects.filter(installment=row).select_related("funding"):
        share.principal = share.principal_paid if principal == row.principal_paid else ZERO
        share.interest = interest_split[share.funding.position]
        share.save(update_fields=["principal", "interest"])
