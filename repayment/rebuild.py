"""Rebuilding a schedule after a partial prepayment (DOMAIN.md §2, "Prepayment").

The product chooses what the prepayment buys: ``LOWER_PAYMENT`` keeps the term (the maturity) and lowers
the payment; ``SHORTEN_TERM`` keeps the payment and shortens the term. (INTEREST_ONLY and BULLET loans have no level
payment to keep: their term always stays.)

How a servicing engine applies a partial prepayment on date d:
1. allocate the payment to everything due on or before d (`repayment.allocation.allocate`);
2. settle the running period's interest accrued to d (`repayment.interest.interest_accrued_on`);
3. the rest is principal prepaid: ``rebuild_schedule(schedule=…, prepaid_on=d, principal_prepaid=rest, mode=…)``
   gives the installments that replace every installment falling due after d.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .exceptions import InvalidPrepayment, UnknownPrepaymentMode, _
from .interest import days_between
from .schedules import BULLET, EQUAL_INSTALLMENT, EQUAL_PRINCIPAL, Schedule, compose_schedule
from .validation import parse_amount, parse_date

LOWER_PAYMENT = "LOWER_PAYMENT"  # keep the term: same maturity, lower payment
SHORTEN_TERM = "SHORTEN_TERM"  # keep the payment: same payment, earlier maturity
PREPAYMENT_MODES = (LOWER_PAYMENT, SHORTEN_TERM)


def rebuild_schedule(
    *,
    schedule: Schedule,
    prepaid_on: date,
    principal_prepaid: Decimal,
    mode: str,
    outstanding_principal: Decimal | None = None,
) -> Schedule:
    """The schedule of the principal left after prepaying ``principal_prepaid`` on ``prepaid_on``.

    ``outstanding_principal`` (before the prepayment) defaults to the schedule's balance at the start of
    the running period, i.e. every installment due on or before ``prepaid_on`` settled, none after it.
    The result starts on ``prepaid_on`` (its ``disbursed_on``), keeps the installment numbers and due
    dates of the installments it replaces, and its first installment charges interest on the new balance
    by the day for the days from ``prepaid_on`` to its due date (the days before were settled with the
    prepayment); prepaid on the first day of a period, that period keeps its own rule.
    """
    prepaid_on = parse_date(prepaid_on, field="prepaid_on")
    if mode not in PREPAYMENT_MODES:
        raise UnknownPrepaymentMode(
            _("mode must be one of %(choices)s: %(value)s") % {"choices": ", ".join(PREPAYMENT_MODES), "value": mode},
            field="mode",
            value=repr(mode),
        )
    principal_prepaid = parse_amount(principal_prepaid, field="principal_prepaid")
    remaining = [installment for installment in schedule.installments if installment.due_date > prepaid_on]
    if prepaid_on < schedule.disbursed_on or not remaining:
        raise InvalidPrepayment(
            _("%(field)s must fall between the disbursement date and the last due date") % {"field": "prepaid_on"},
            field="prepaid_on",
            value=prepaid_on.isoformat(),
        )
    running = remaining[0]
    if outstanding_principal is None:
        outstanding = running.balance_after + running.principal
    else:
        outstanding = parse_amount(outstanding_principal, field="outstanding_principal")
    new_principal = outstanding - principal_prepaid
    if new_principal <= 0:
        raise InvalidPrepayment(
            _("%(field)s repays the whole principal: quote a payoff instead") % {"field": "principal_prepaid"},
            field="principal_prepaid",
            outstanding_principal=outstanding,
        )

    term = schedule.term
    if prepaid_on == running.period_start:
        # Nothing of the period has run: it keeps its own rule (a broken first period stays broken).
        starts_schedule = running.number == schedule.installments[0].number
        first_period_days = schedule.first_period_days if starts_schedule else None
        first_due_on = schedule.first_due_on if starts_schedule else None
    else:
        first_period_days = days_between(prepaid_on, running.due_date, day_count=schedule.day_count)
        first_due_on = running.due_date
        term = 1  # a BULLET's remaining interest is then all by the day, up to maturity

    level = None
    if mode == SHORTEN_TERM and schedule.method == EQUAL_INSTALLMENT:
        level = _kept_level(schedule.level_payment, field="level_payment")
    elif mode == SHORTEN_TERM and schedule.method == EQUAL_PRINCIPAL:
        level = _kept_level(schedule.level_principal, field="level_principal")
    return compose_schedule(
        principal=new_principal,
        annual_rate=schedule.annual_rate,
        term=term if schedule.method == BULLET else len(remaining),
        method=schedule.method,
        day_count=schedule.day_count,
        disbursed_on=prepaid_on,
        first_due_on=first_due_on,
        due_dates=[installment.due_date for installment in remaining],
        first_period_days=first_period_days,
        first_number=running.number,
        level=level,
    )


def _kept_level(level: Decimal | None, *, field: str) -> Decimal:
    """The level to keep when shortening the term; without it the rebuild would silently lower the payment."""
    if level is None:
        raise InvalidPrepayment(
            _("%(field)s of the schedule is needed to keep the payment") % {"field": field}, field=field
        )
    return level
