"""Servicing's read side: business date, loans for a borrower, schedules, payoff quotes, what underwriting asks."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Max, QuerySet, Sum

from .interest import InstallmentPaid, PayoffQuote, payoff_quote
from .models import BusinessDate, Installment, Loan, LoanFunding, Repayment, RepaymentAllocation
from .schedules import Installment as ScheduleRow
from .schedules import Schedule
from .servicing_math import penalty_to_date

ZERO = Decimal("0.00")
OPEN = (Installment.Status.PENDING, Installment.Status.DUE)


def business_date_current() -> date | None:
    """The date close-of-business last started (and, once its run completes, finished); None before the first."""
    return BusinessDate.objects.filter(pk=1).values_list("business_date", flat=True).first()


def business_day_open(*, loan: Loan | None = None) -> date | None:
    """The value date of a payment made now: the day after the business date."""
    current = business_date_current()
    if current is None:
        return loan.cob_date + timedelta(days=1) if loan is not None else None
    return current + timedelta(days=1)


def borrower_outstanding_principal(*, borrower_id: int) -> Decimal:
    """Σ outstanding principal of the borrower's active loans (underwriting's exposure fact)."""
    total = Loan.objects.filter(borrower_id=borrower_id, status=Loan.Status.ACTIVE).aggregate(
        total=Sum("outstanding_principal")
    )["total"]
    return total or ZERO


def borrower_max_dpd(*, borrower_id: int) -> int:
    """The highest current DPD over the borrower's active loans (0 when none is late)."""
    return Loan.objects.filter(borrower_id=borrower_id, status=Loan.Status.ACTIVE).aggregate(dpd=Max("dpd"))["dpd"] or 0


def borrower_id_of(user) -> int | None:
    """The borrower behind a signed-in user (lending's Borrower is one-to-one with the user)."""
    borrower = getattr(user, "borrower", None) if user is not None and user.is_authenticated else None
    return borrower.pk if borrower is not None else None


def loans_for_borrower(*, borrower_id: int | None) -> QuerySet[Loan]:
    if borrower_id is None:
        return Loan.objects.none()
    return Loan.objects.filter(borrower_id=borrower_id).order_by("-id")


def loan_schedule(*, loan: Loan) -> list[Installment]:
    return list(loan.installments.exclude(status=Installment.Status.CANCELLED).order_by("number"))


def loan_next_due(*, loan: Loan) -> Installment | None:
    return loan.installments.filter(status__in=OPEN).order_by("due_date", "number").first()


def loan_fundings(*, loan: Loan) -> list[LoanFunding]:
    return list(loan.fundings.order_by("position"))


def penalty_settled_to(*, loan: Loan, installment: Installment, on: date) -> Decimal:
    """The installment's penalty settled up to and including ``on`` (what a payment on ``on`` would owe)."""
    return penalty_to_date(
        due_date=installment.due_date,
        on=on,
        unpaid_principal=installment.principal_unpaid,
        penalty_rate=loan.penalty_rate,
        grace_days=loan.grace_days,
        base_on=installment.penalty_base_on,
        base=installment.penalty_base,
        basis=365 if loan.day_count == "ACT/365" else 360,
    )


def schedule_of(*, loan: Loan, rows: list[Installment]) -> Schedule:
    """Installments as the money modules read a schedule (repayment.schedules.Schedule), with the loan's level."""
    balance = sum((row.principal for row in rows), ZERO)
    schedule_rows = []
    for row in rows:
        balance -= row.principal
        schedule_rows.append(
            ScheduleRow(
                row.number, row.due_date, row.principal, row.interest, row.principal + row.interest, balance,
                row.period_start,
            )
        )  # fmt: skip
    return Schedule(
        principal=loan.principal,
        annual_rate=loan.annual_rate,
        term=len(schedule_rows),
        method=loan.method,
        disbursed_on=loan.disbursed_on,
        first_due_on=None,
        day_count=loan.day_count,
        installments=tuple(schedule_rows),
        total_interest=sum((row.interest for row in rows), ZERO),
        total_payment=sum((row.principal + row.interest for row in rows), ZERO),
        level_payment=loan.level_payment,
        level_principal=loan.level_principal,
    )


def loan_payoff_quote(*, loan: Loan, on: date) -> PayoffQuote:
    """What repaying the whole loan on ``on`` costs, by component (repayment.interest.payoff_quote).

    Penalty is settled to ``on`` as a payment would settle it; interest of the running period pro rata to
    ``on``; no interest after ``on``.
    """
    rows = loan_schedule(loan=loan)
    penalty_due = ZERO
    for row in rows:
        if row.status in OPEN and row.due_date < on:
            settled = penalty_settled_to(loan=loan, installment=row, on=on)
            penalty_due += max(settled, row.penalty_accrued) - row.penalty_paid
    paid = {
        row.number: InstallmentPaid(principal=row.principal_paid, interest=row.interest_paid, penalty=ZERO)
        for row in rows
    }
    schedule = schedule_of(loan=loan, rows=rows)
    return payoff_quote(schedule=schedule, on=max(on, loan.disbursed_on), paid=paid, penalty_due=penalty_due)


def loan_amount_due(*, loan: Loan, on: date) -> Decimal:
    """What a regular payment on ``on`` must bring to settle every installment due by then: unpaid principal
    and interest, and penalty settled to ``on`` as the payment settles it (the nightly overdue amount stops
    at the last close, a day's penalty short of what a payment today owes)."""
    owed = ZERO
    for row in loan.installments.filter(status__in=OPEN, due_date__lte=on):
        penalty = row.penalty_accrued
        if row.due_date < on:
            penalty = max(penalty_settled_to(loan=loan, installment=row, on=on), penalty)
        owed += row.principal_unpaid + row.interest_unpaid + penalty - row.penalty_paid
    return owed


@dataclass(frozen=True)
class RepaymentBreakdown:
    by_component: dict[str, Decimal]
    by_funder: dict[str, dict[str, Decimal]]


def repayment_breakdown(*, repayment: Repayment) -> RepaymentBreakdown:
    """A collected repayment by component, and by funder and component."""
    by_component: dict[str, Decimal] = {}
    by_funder: dict[str, dict[str, Decimal]] = {}
    rows = RepaymentAllocation.objects.filter(repayment=repayment).select_related("funding")
    for row in rows:
        by_component[row.component] = by_component.get(row.component, ZERO) + row.amount
        funder = row.funding.partner_code if row.funding else "BORROWER_OVERPAYMENT"
        components = by_funder.setdefault(funder, {})
        components[row.component] = components.get(row.component, ZERO) + row.amount
    return RepaymentBreakdown(by_component=by_component, by_funder=by_funder)


def repayments_for_borrower(*, borrower_id: int | None) -> QuerySet[Repayment]:
    if borrower_id is None:
        return Repayment.objects.none()
    return Repayment.objects.filter(loan__borrower_id=borrower_id)
