"""Interest by the day: day counts, pro-rata accrual, penalty interest (罚息) and the payoff quote (DOMAIN.md §2, §4).

Everything here is pure Decimal arithmetic, exact to the fen. The functions a servicing engine needs:

- `days_between` / `daily_interest` — ACT/360, ACT/365 (or 30/360) interest for a number of days;
- `accrued_interest` / `daily_accrual` — a regular period's interest accrued pro rata after d of its D
  days; the daily accruals of a period always sum to its billed interest;
- `interest_accrued_on` — the accrued interest of the period running on a date, from a schedule;
- `capped_penalty_rate` / `penalty_interest` / `daily_penalty` — penalty on overdue principal after the
  grace days, at min(contract rate × multiplier, APR ceiling), ACT/360 unless the product says ACT/365;
- `payoff_quote` — what it costs to repay the whole loan on a date, by component.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from .exceptions import InvalidDate, UnknownDayCount, _
from .validation import CENT, RATE_PLACES, ZERO, parse_amount, parse_count, parse_date, parse_factor, parse_rate

if TYPE_CHECKING:
    from .schedules import Installment, Schedule

ACT_360 = "ACT/360"
ACT_365 = "ACT/365"
THIRTY_360 = "30/360"
# The year basis of each day count: interest for `days` is principal × rate × days / basis.
DAY_COUNT_BASIS = {ACT_360: 360, ACT_365: 365, THIRTY_360: 360}
DAY_COUNTS = tuple(DAY_COUNT_BASIS)


def day_count_basis(day_count: object) -> int:
    """The days in a year under ``day_count``; an unknown convention is refused, never guessed."""
    try:
        return DAY_COUNT_BASIS[day_count]  # type: ignore[index]
    except (KeyError, TypeError):
        raise UnknownDayCount(
            _("day_count must be one of %(choices)s: %(value)s")
            % {"choices": ", ".join(DAY_COUNTS), "value": day_count},
            field="day_count",
            value=repr(day_count),
        ) from None


def days_between(start: date, end: date, *, day_count: str = ACT_360) -> int:
    """Days from ``start`` to ``end`` (end counted, start not): actual days, or 30E/360 days for "30/360"."""
    if day_count == THIRTY_360:
        # 30E/360 (Eurobond basis): every month has 30 days, the 31st counts as the 30th.
        return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (min(end.day, 30) - min(start.day, 30))
    day_count_basis(day_count)
    return (end - start).days


def simple_interest(principal: Decimal, annual_rate: Decimal, days: int, basis: int) -> Decimal:
    """round_half_up(principal × annual_rate × days / basis) — unchecked inputs, for the hot loops.

    The numerator is exact (two and six decimals times an integer), so the one division decides the
    rounding correctly even on an exact half fen.
    """
    return (principal * annual_rate * days / basis).quantize(CENT, rounding=ROUND_HALF_UP)


def daily_interest(*, principal: Decimal, annual_rate: Decimal, days: int, day_count: str = ACT_360) -> Decimal:
    """Interest on ``principal`` for ``days`` days at ``annual_rate``, half-up to the fen.

    1,000.00 × 18% for 30 days → 15.00 under ACT/360, 14.79 under ACT/365.
    """
    basis = day_count_basis(day_count)
    principal = parse_amount(principal, field="principal", allow_zero=True)
    annual_rate = parse_rate(annual_rate, field="annual_rate")
    days = parse_count(days, field="days")
    return simple_interest(principal, annual_rate, days, basis)


def accrued_interest(*, period_interest: Decimal, period_days: int, days_elapsed: int) -> Decimal:
    """A period's interest accrued pro rata after ``days_elapsed`` of its ``period_days`` days.

    round_half_up(interest × d / D); on the last day the whole interest (the last day takes the remainder),
    so the accrual never overshoots nor falls short of what the installment bills.
    """
    period_interest = parse_amount(period_interest, field="period_interest", allow_zero=True)
    period_days = parse_count(period_days, field="period_days", minimum=1)
    days_elapsed = parse_count(days_elapsed, field="days_elapsed", maximum=period_days)
    return _accrued(period_interest, period_days, days_elapsed)


def _accrued(period_interest: Decimal, period_days: int, days_elapsed: int) -> Decimal:
    if days_elapsed >= period_days:
        return period_interest
    return (period_interest * days_elapsed / period_days).quantize(CENT, rounding=ROUND_HALF_UP)


def daily_accrual(*, period_interest: Decimal, period_days: int, day: int) -> Decimal:
    """The interest to accrue on the ``day``-th day (1..D) of a period: accrued(day) − accrued(day − 1).

    Close-of-business posts one of these per loan per day; over the period they sum to ``period_interest``
    exactly and none is negative.
    """
    period_interest = parse_amount(period_interest, field="period_interest", allow_zero=True)
    period_days = parse_count(period_days, field="period_days", minimum=1)
    day = parse_count(day, field="day", minimum=1, maximum=period_days)
    return _accrued(period_interest, period_days, day) - _accrued(period_interest, period_days, day - 1)


def interest_accrued_on(*, schedule: Schedule, on: date) -> Decimal:
    """Interest of the period running on ``on`` accrued pro rata up to and including ``on``.

    Zero on the disbursement date and after maturity (by then every period's interest is billed).
    """
    on = parse_date(on, field="on")
    installment = schedule.installment_accruing_on(on)
    if installment is None:
        return ZERO
    return _accrued_for(installment, on)


def capped_penalty_rate(*, annual_rate: Decimal, multiplier: Decimal, ceiling: Decimal) -> Decimal:
    """Penalty rate = min(contract rate × multiplier, APR ceiling), to six places (how rates are stored).

    18% × 1.5 = 27% stays 27% under a 36% ceiling; under the default 24% ceiling the cap binds.
    """
    annual_rate = parse_rate(annual_rate, field="annual_rate")
    ceiling = parse_rate(ceiling, field="ceiling")
    multiplier = parse_factor(multiplier, field="multiplier")
    uncapped = (annual_rate * multiplier).quantize(Decimal(1).scaleb(-RATE_PLACES), rounding=ROUND_HALF_UP)
    return min(uncapped, ceiling)


def penalty_interest(
    *,
    overdue_principal: Decimal,
    penalty_rate: Decimal,
    days_overdue: int,
    grace_days: int = 0,
    day_count: str = ACT_360,
) -> Decimal:
    """Penalty on overdue principal paid ``days_overdue`` days after the due date (payment date − due date).

    Nothing at all when paid within the grace days; past them, every day from the day after the due date
    counts: round_half_up(overdue_principal × penalty_rate × days / basis). 1,000.00 ten days late at 27%
    → 7.50; at 24% → 6.67. The installment's scheduled interest stays owed as billed.
    """
    basis = day_count_basis(day_count)
    overdue_principal = parse_amount(overdue_principal, field="overdue_principal", allow_zero=True)
    penalty_rate = parse_rate(penalty_rate, field="penalty_rate")
    days_overdue = parse_count(days_overdue, field="days_overdue")
    grace_days = parse_count(grace_days, field="grace_days")
    if days_overdue <= grace_days:
        return ZERO
    return simple_interest(overdue_principal, penalty_rate, days_overdue, basis)


def daily_penalty(
    *,
    overdue_principal: Decimal,
    penalty_rate: Decimal,
    day: int,
    grace_days: int = 0,
    day_count: str = ACT_360,
) -> Decimal:
    """The penalty to accrue at the close of the ``day``-th day overdue: penalty(day) − penalty(day − 1).

    Zero inside the grace days; the first day past them catches up every day since the due date. The
    daily amounts sum to `penalty_interest` for the same days exactly.
    """
    day = parse_count(day, field="day", minimum=1)
    arguments = {
        "overdue_principal": overdue_principal,
        "penalty_rate": penalty_rate,
        "grace_days": grace_days,
        "day_count": day_count,
    }
    return penalty_interest(days_overdue=day, **arguments) - penalty_interest(days_overdue=day - 1, **arguments)


@dataclass(frozen=True, slots=True)
class InstallmentPaid:
    """What the borrower has already paid of one installment, by component."""

    principal: Decimal = ZERO
    interest: Decimal = ZERO
    penalty: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class PayoffQuote:
    """The amount that repays the whole loan on ``on``, by component; no interest runs after ``on``.

    ``principal`` is every unpaid fen of principal (overdue, current and future installments);
    ``interest`` is the unpaid interest of overdue installments plus the running period's interest accrued
    pro rata to ``on``; ``interest_rebate`` is interest the borrower paid in advance beyond what had
    accrued by ``on`` — it is deducted, never kept. total = principal + interest + penalty + fee − rebate.
    """

    on: date
    principal: Decimal
    interest: Decimal
    penalty: Decimal
    fee: Decimal
    interest_rebate: Decimal
    overdue_principal: Decimal
    overdue_interest: Decimal
    total: Decimal


def payoff_quote(
    *,
    schedule: Schedule,
    on: date,
    paid: Mapping[int, InstallmentPaid] | None = None,
    penalty_rate: Decimal | None = None,
    grace_days: int = 0,
    penalty_day_count: str = ACT_360,
    penalty_due: Decimal | None = None,
    fee_due: Decimal = ZERO,
) -> PayoffQuote:
    """Quote the full repayment of ``schedule`` on ``on`` given what was paid per installment number.

    Penalty: pass ``penalty_due`` when the books already hold the accrued, unpaid penalty (servicing
    accrues it day by day); otherwise, with ``penalty_rate`` it is computed here for each installment past
    its due date on its unpaid principal from the due date to ``on`` (exact when no principal of an
    overdue installment was paid while it was overdue), less penalty already paid. On a due date with
    every earlier installment paid, the quote is the remaining principal plus that period's whole interest.
    """
    on = parse_date(on, field="on")
    if on < schedule.disbursed_on:
        raise InvalidDate(
            _("%(field)s is before the disbursement date") % {"field": "on"}, field="on", value=on.isoformat()
        )
    paid = paid or {}
    fee_due = parse_amount(fee_due, field="fee_due", allow_zero=True)
    principal = interest = rebate = overdue_principal = overdue_interest = computed_penalty = ZERO
    for installment in schedule.installments:
        settled = paid.get(installment.number, _NOTHING_PAID)
        unpaid_principal = installment.principal - settled.principal
        principal += unpaid_principal
        if installment.due_date < on:
            unpaid_interest = installment.interest - settled.interest
            overdue_principal += unpaid_principal
            overdue_interest += unpaid_interest
            interest += unpaid_interest
            if penalty_rate is not None and penalty_due is None:
                owed = penalty_interest(
                    overdue_principal=unpaid_principal,
                    penalty_rate=penalty_rate,
                    days_overdue=(on - installment.due_date).days,
                    grace_days=grace_days,
                    day_count=penalty_day_count,
                )
                computed_penalty += max(owed - settled.penalty, ZERO)
        elif installment.period_start < on:
            accrued = _accrued_for(installment, on)
            if accrued >= settled.interest:
                interest += accrued - settled.interest
            else:
                rebate += settled.interest - accrued
        else:
            rebate += settled.interest
    penalty = (
        parse_amount(penalty_due, field="penalty_due", allow_zero=True)
        if penalty_due is not None
        else (computed_penalty)
    )
    return PayoffQuote(
        on=on,
        principal=principal,
        interest=interest,
        penalty=penalty,
        fee=fee_due,
        interest_rebate=rebate,
        overdue_principal=overdue_principal,
        overdue_interest=overdue_interest,
        total=principal + interest + penalty + fee_due - rebate,
    )


_NOTHING_PAID = InstallmentPaid()


def _accrued_for(installment: Installment, on: date) -> Decimal:
    return _accrued(
        installment.interest,
        (installment.due_date - installment.period_start).days,
        (on - installment.period_start).days,
    )
