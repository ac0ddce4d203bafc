"""Repayment schedules for the four repayment methods, exact to the fen (DOMAIN.md §2; CONTRACT.md §3).

One rounding convention everywhere: compute at full precision, round every posted amount half-up to
0.01; interest is computed on the rounded opening balance; the level payment is rounded once; the last
period's principal is the whole remaining balance, so Σ principal = P exactly.

- Regular periods are months at annual_rate / 12 (30/360); due dates fall on the same day of each
  following month, clamped to the month's end (a loan of 31 January falls due 29 February, 31 March …).
- A broken first period (``first_due_on``) charges interest for its actual days by the day count
  (ACT/360 unless ACT/365 or 30/360 is asked for); its principal part is the regular first principal, so
  the amortisation of the loan is the same as without the broken period.
- The APR solvers live in `repayment.apr` and are re-exported here (CONTRACT.md imports them from here).

Pure Python, no ORM: importable with or without Django configured.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, Inexact, localcontext
from functools import lru_cache
from typing import NamedTuple

from .apr import annual_percentage_rate, annual_percentage_rate_dated
from .exceptions import InvalidDate, UnknownRepaymentMethod, _
from .interest import ACT_360, day_count_basis, days_between, simple_interest
from .validation import CENT, ZERO, parse_amount, parse_date, parse_rate, parse_term

__all__ = [
    "BULLET",
    "EQUAL_INSTALLMENT",
    "EQUAL_PRINCIPAL",
    "INTEREST_ONLY",
    "METHODS",
    "Installment",
    "Schedule",
    "add_months",
    "annual_percentage_rate",
    "annual_percentage_rate_dated",
    "build_schedule",
    "compose_schedule",
    "monthly_due_dates",
]

EQUAL_INSTALLMENT = "EQUAL_INSTALLMENT"  # 等额本息
EQUAL_PRINCIPAL = "EQUAL_PRINCIPAL"  # 等额本金
INTEREST_ONLY = "INTEREST_ONLY"  # 先息后本
BULLET = "BULLET"  # 一次性还本付息
METHODS = (EQUAL_INSTALLMENT, EQUAL_PRINCIPAL, INTEREST_ONLY, BULLET)

TWELVE = Decimal(12)
# Every schedule is computed in this context, whatever the caller's thread context says: 34 digits hold
# 10^12 × a six-place rate with room to spare; the annuity factor gets more (see _annuity_payment).
_CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)
_ANNUITY_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class Installment(NamedTuple):
    """One period of a schedule. ``payment`` = ``principal`` + ``interest``; the period runs from
    ``period_start`` (exclusive) to ``due_date`` (inclusive), which is what pro-rata accrual counts."""

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    payment: Decimal
    balance_after: Decimal
    period_start: date


@dataclass(frozen=True, slots=True)
class Schedule:
    """A repayment schedule. ``level_payment`` is the rounded periodic payment of EQUAL_INSTALLMENT and
    ``level_principal`` the regular principal part of EQUAL_PRINCIPAL (None for the other methods);
    ``first_period_days`` is set when the first period is broken and charged by the day."""

    principal: Decimal
    annual_rate: Decimal
    term: int
    method: str
    disbursed_on: date
    first_due_on: date | None
    day_count: str
    installments: tuple[Installment, ...]
    total_interest: Decimal
    total_payment: Decimal
    level_payment: Decimal | None = None
    level_principal: Decimal | None = None
    first_period_days: int | None = None

    @property
    def maturity_date(self) -> date:
        return self.installments[-1].due_date

    def installment_accruing_on(self, on: date) -> Installment | None:
        """The installment whose period runs on ``on`` (period_start < on ≤ due_date), if any."""
        for installment in self.installments:
            if installment.period_start < on <= installment.due_date:
                return installment
        return None

    def cash_flows(self) -> list[tuple[date, Decimal]]:
        """(due date, payment) of every installment — the borrower's side for the dated APR."""
        return [(installment.due_date, installment.payment) for installment in self.installments]


def add_months(start: date, months: int, *, day: int | None = None) -> date:
    """``start`` plus whole months on ``day`` (default: start's day), clamped to the month's end."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    wanted = day or start.day
    last_day = _month_length(year, month)
    return date(year, month, wanted if wanted <= last_day else last_day)


def _month_length(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def monthly_due_dates(anchor: date, *, start_offset: int, count: int) -> list[date]:
    """``count`` dates on ``anchor``'s day of the month, starting ``start_offset`` months after it, each clamped."""
    day = anchor.day
    month_index = anchor.year * 12 + anchor.month - 1 + start_offset
    if day <= 28:  # every month has the day: no clamping to think about
        return [date(index // 12, index % 12 + 1, day) for index in range(month_index, month_index + count)]
    dates = []
    for index in range(month_index, month_index + count):
        year, month = index // 12, index % 12 + 1
        last_day = _month_length(year, month)
        dates.append(date(year, month, day if day <= last_day else last_day))
    return dates


def build_schedule(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    term: int,
    method: str,
    disbursed_on: date,
    first_due_on: date | None = None,
    day_count: str = ACT_360,
) -> Schedule:
    """The schedule of a loan of ``principal`` at ``annual_rate`` over ``term`` months.

    ``first_due_on`` None → the first installment falls due one month after ``disbursed_on``; a date in
    (disbursed_on, disbursed_on + 2 months] other than that makes a broken first period whose interest is
    charged for its actual days under ``day_count``, the later installments falling on its day of the month.
    BULLET has a single installment at maturity: P + P × rate × months / 12.
    """
    principal = parse_amount(principal, field="principal")
    annual_rate = parse_rate(annual_rate, field="annual_rate")
    term = parse_term(term)
    if method not in METHODS:
        raise UnknownRepaymentMethod(
            _("method must be one of %(choices)s: %(value)s") % {"choices": ", ".join(METHODS), "value": method},
            field="method",
            value=repr(method),
        )
    disbursed_on = parse_date(disbursed_on, field="disbursed_on")
    day_count_basis(day_count)
    try:
        if first_due_on is not None:
            first_due_on = parse_date(first_due_on, field="first_due_on")
            if not disbursed_on < first_due_on <= add_months(disbursed_on, 2):
                raise InvalidDate(
                    _("%(field)s must fall after the disbursement date and within two months of it")
                    % {"field": "first_due_on"},
                    field="first_due_on",
                    value=first_due_on.isoformat(),
                )
            if first_due_on == add_months(disbursed_on, 1):
                first_due_on = None  # one month later is a regular first period, not a broken one
        if first_due_on is None:
            due_dates = monthly_due_dates(disbursed_on, start_offset=1, count=term)
            first_period_days = None
        else:
            due_dates = monthly_due_dates(first_due_on, start_offset=0, count=term)
            first_period_days = days_between(disbursed_on, first_due_on, day_count=day_count)
    except (OverflowError, ValueError) as exc:
        raise InvalidDate(
            _("%(field)s is too late for a schedule of this term") % {"field": "disbursed_on"},
            field="disbursed_on",
        ) from exc
    if method == BULLET:
        due_dates = due_dates[-1:]
    return compose_schedule(
        principal=principal,
        annual_rate=annual_rate,
        term=term,
        method=method,
        day_count=day_count,
        disbursed_on=disbursed_on,
        first_due_on=first_due_on,
        due_dates=due_dates,
        first_period_days=first_period_days,
    )


def compose_schedule(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    term: int,
    method: str,
    day_count: str,
    disbursed_on: date,
    first_due_on: date | None,
    due_dates: Sequence[date],
    first_period_days: int | None,
    first_number: int = 1,
    level: Decimal | None = None,
) -> Schedule:
    """Lay out a schedule on given due dates from already-validated inputs (build and rebuild share it).

    ``first_period_days`` set → the first period's interest is charged by the day for that many days.
    ``level`` set (EQUAL_INSTALLMENT payment / EQUAL_PRINCIPAL principal part) → keep that level and use
    only as many of ``due_dates`` as it takes to repay (the last installment takes the rest); unset → use
    every due date and compute the level. ``term`` is the months BULLET interest runs for.
    """
    with localcontext(_CONTEXT):
        basis = day_count_basis(day_count)
        monthly_interest = _monthly_interest(annual_rate)
        count = len(due_dates)
        level_payment = level_principal = None
        if method == EQUAL_INSTALLMENT:
            if level is None:
                level_payment = _annuity_payment(principal, annual_rate, count)
                principals, interests = _amortize_level_payment(principal, level_payment, count, monthly_interest)
                if count > 1 and principals[-1] <= 0:
                    level_payment = _lowered_level_payment(principal, level_payment, count, monthly_interest)
                    principals, interests = _amortize_level_payment(principal, level_payment, count, monthly_interest)
            else:
                level_payment = level
                principals, interests = _amortize_kept_payment(principal, level, count, monthly_interest)
        elif method == EQUAL_PRINCIPAL:
            level_principal = _level_principal(principal, count) if level is None else level
            principals, interests = _amortize_level_principal(principal, level_principal, count, monthly_interest)
        elif method == INTEREST_ONLY:
            interest = monthly_interest(principal)
            principals = [ZERO] * (count - 1) + [principal]
            interests = [interest] * count
        else:
            principals = [principal]
            interests = [_bullet_interest(principal, annual_rate, term, first_period_days, basis)]
        if first_period_days is not None and method != BULLET:
            interests[0] = simple_interest(principal, annual_rate, first_period_days, basis)
        installments: list[Installment] = []
        new_tuple = tuple.__new__
        balance = principal
        total_interest = ZERO
        period_start = disbursed_on
        number = first_number
        for principal_part, interest, due_date in zip(principals, interests, due_dates, strict=False):
            balance -= principal_part
            total_interest += interest
            # tuple.__new__ skips the NamedTuple's Python-level __new__: same object, a third of the cost.
            installments.append(
                new_tuple(
                    Installment,
                    (number, due_date, principal_part, interest, principal_part + interest, balance, period_start),
                )
            )
            period_start = due_date
            number += 1
        return Schedule(
            principal=principal,
            annual_rate=annual_rate,
            term=term if method == BULLET else len(installments),
            method=method,
            disbursed_on=disbursed_on,
            first_due_on=first_due_on,
            day_count=day_count,
            installments=tuple(installments),
            total_interest=total_interest,
            total_payment=principal + total_interest,
            level_payment=level_payment,
            level_principal=level_principal,
            first_period_days=first_period_days,
        )


@lru_cache(maxsize=1024)
def _monthly_interest(annual_rate: Decimal) -> Callable[[Decimal], Decimal]:
    """round_half_up(balance × annual_rate / 12), exact even on a half fen.

    When annual_rate / 12 is a terminating decimal (18% → 0.015) one multiplication does; otherwise
    (19% → 0.0158333…) multiply first and divide once, so a truncated monthly rate never tips a half fen.
    """
    context = Context(prec=34, traps=[])
    monthly_rate = context.divide(annual_rate, TWELVE)
    if not context.flags[Inexact]:
        return lambda balance: (balance * monthly_rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return lambda balance: (balance * annual_rate / TWELVE).quantize(CENT, rounding=ROUND_HALF_UP)


def _annuity_payment(principal: Decimal, annual_rate: Decimal, count: int) -> Decimal:
    """M = P·i(1+i)ⁿ / ((1+i)ⁿ − 1), rounded half-up once (P / n at a zero rate)."""
    if annual_rate == 0:
        return (principal / count).quantize(CENT, rounding=ROUND_HALF_UP)
    return (principal * _annuity_factor(annual_rate, count)).quantize(CENT, rounding=ROUND_HALF_UP)


@lru_cache(maxsize=4096)
def _annuity_factor(annual_rate: Decimal, count: int) -> Decimal:
    """i(1+i)ⁿ / ((1+i)ⁿ − 1) to 60 digits — computed once per rate and term, as products reuse both."""
    with localcontext(_ANNUITY_CONTEXT):
        monthly_rate = annual_rate / TWELVE
        growth = (1 + monthly_rate) ** count
        return monthly_rate * growth / (growth - 1)


def _lowered_level_payment(
    principal: Decimal, payment: Decimal, count: int, monthly_interest: Callable[[Decimal], Decimal]
) -> Decimal:
    """The payment when the rounded annuity payment would repay the whole loan before the last installment.

    That happens only at the edges (a few yuan over hundreds of months, or rate × term so large that the
    rounding fen compounds past the balance). Then the payment is the largest fen amount that still leaves
    principal for the last installment, so that no installment is negative and the payment stays level.
    Balances fall monotonically as the payment rises, so bisect between round(P·i) — which repays no
    principal before the last period — and the annuity payment.
    """
    valid = int(monthly_interest(principal) * 100)  # in fens
    exhausting = int(payment * 100)
    while exhausting - valid > 1:
        middle = (valid + exhausting) // 2
        if _leaves_principal_for_last(principal, Decimal(middle).scaleb(-2), count, monthly_interest):
            valid = middle
        else:
            exhausting = middle
    return Decimal(valid).scaleb(-2)


def _leaves_principal_for_last(
    principal: Decimal, payment: Decimal, count: int, monthly_interest: Callable[[Decimal], Decimal]
) -> bool:
    balance = principal
    for _period in range(count - 1):
        balance -= payment - monthly_interest(balance)
        if balance <= 0:
            return False
    return True


def _amortize_level_payment(
    principal: Decimal, payment: Decimal, count: int, monthly_interest: Callable[[Decimal], Decimal]
) -> tuple[list[Decimal], list[Decimal]]:
    principals: list[Decimal] = []
    interests: list[Decimal] = []
    balance = principal
    for _period in range(count - 1):
        interest = monthly_interest(balance)
        principal_part = payment - interest
        balance -= principal_part
        principals.append(principal_part)
        interests.append(interest)
    principals.append(balance)
    interests.append(monthly_interest(balance))
    return principals, interests


def _amortize_kept_payment(
    principal: Decimal, payment: Decimal, max_count: int, monthly_interest: Callable[[Decimal], Decimal]
) -> tuple[list[Decimal], list[Decimal]]:
    """Pay ``payment`` each period until the balance plus its interest fits in one; at most ``max_count``."""
    principals: list[Decimal] = []
    interests: list[Decimal] = []
    balance = principal
    while True:
        interest = monthly_interest(balance)
        if len(principals) == max_count - 1 or balance + interest <= payment:
            principals.append(balance)
            interests.append(interest)
            return principals, interests
        principal_part = payment - interest
        balance -= principal_part
        principals.append(principal_part)
        interests.append(interest)


def _level_principal(principal: Decimal, count: int) -> Decimal:
    """P / n rounded half-up — or, when (n − 1) such parts would reach P, the largest fen amount that does not."""
    part = (principal / count).quantize(CENT, rounding=ROUND_HALF_UP)
    if count > 1 and part * (count - 1) >= principal:
        part = ((principal - CENT) / (count - 1)).quantize(CENT, rounding=ROUND_DOWN)
    return part


def _amortize_level_principal(
    principal: Decimal, part: Decimal, max_count: int, monthly_interest: Callable[[Decimal], Decimal]
) -> tuple[list[Decimal], list[Decimal]]:
    """``part`` of principal each period, the last period taking the rest; at most ``max_count`` periods."""
    principals: list[Decimal] = []
    interests: list[Decimal] = []
    balance = principal
    while True:
        interests.append(monthly_interest(balance))
        if len(principals) == max_count - 1 or balance <= part:
            principals.append(balance)
            return principals, interests
        principals.append(part)
        balance -= part


def _bullet_interest(
    principal: Decimal, annual_rate: Decimal, term: int, first_period_days: int | None, basis: int
) -> Decimal:
    """P × rate × months / 12, or with a broken first period: its days by the day count plus the other months."""
    if first_period_days is None:
        return (principal * annual_rate * term / TWELVE).quantize(CENT, rounding=ROUND_HALF_UP)
    # One division over a common denominator keeps the half-fen decision exact.
    numerator = principal * annual_rate * (first_period_days * 12 + (term - 1) * basis)
    return (numerator / (basis * 12)).quantize(CENT, rounding=ROUND_HALF_UP)
