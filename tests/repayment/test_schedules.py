"""Schedules for the four repayment methods: DOMAIN.md §2 worked figures, calendars, properties, bad input."""

from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repayment.exceptions import (
    InvalidAmount,
    InvalidDate,
    InvalidRate,
    InvalidTerm,
    RepaymentError,
    UnknownDayCount,
    UnknownRepaymentMethod,
)
from repayment.schedules import (
    BULLET,
    EQUAL_INSTALLMENT,
    EQUAL_PRINCIPAL,
    INTEREST_ONLY,
    METHODS,
    add_months,
    build_schedule,
)

D = Decimal
PRINCIPAL = D("12000.00")
RATE = D("0.18")


def schedule(method=EQUAL_INSTALLMENT, **overrides):
    arguments = {
        "principal": PRINCIPAL,
        "annual_rate": RATE,
        "term": 12,
        "method": method,
        "disbursed_on": date(2024, 1, 1),
    }
    arguments.update(overrides)
    return build_schedule(**arguments)


# --- DOMAIN.md §2 worked example: 12,000.00 at 18% over 12 months -------------------------------------


def test_equal_installment_matches_the_worked_example():
    result = schedule(EQUAL_INSTALLMENT)

    first, second, last = result.installments[0], result.installments[1], result.installments[-1]
    assert result.level_payment == D("1100.16")
    assert (first.principal, first.interest, first.payment, first.balance_after) == (
        D("920.16"),
        D("180.00"),
        D("1100.16"),
        D("11079.84"),
    )
    assert (second.principal, second.interest) == (D("933.96"), D("166.20"))
    assert (last.number, last.payment, last.principal, last.interest) == (12, D("1100.19"), D("1083.93"), D("16.26"))
    assert result.total_interest == D("1201.95")
    assert result.total_payment == D("13201.95")


def test_equal_installment_pays_the_same_every_period_but_the_last():
    result = schedule(EQUAL_INSTALLMENT)

    assert {i.payment for i in result.installments[:-1]} == {D("1100.16")}


def test_equal_principal_matches_the_worked_example():
    result = schedule(EQUAL_PRINCIPAL)

    payments = [i.payment for i in result.installments]
    assert payments[0] == D("1180.00")
    assert all(earlier - later == D("15.00") for earlier, later in pairwise(payments))
    assert payments[-1] == D("1015.00")
    assert {i.principal for i in result.installments} == {D("1000.00")}
    assert result.total_interest == D("1170.00")


def test_interest_only_pays_interest_then_the_principal_with_the_last():
    result = schedule(INTEREST_ONLY)

    assert [i.payment for i in result.installments] == [D("180.00")] * 11 + [D("12180.00")]
    assert result.total_interest == D("2160.00")


def test_bullet_is_one_payment_at_maturity():
    result = schedule(BULLET)

    assert len(result.installments) == 1
    only = result.installments[0]
    assert (only.due_date, only.payment, only.principal, only.interest) == (
        date(2025, 1, 1),
        D("14160.00"),
        PRINCIPAL,
        D("2160.00"),
    )
    assert result.term == 12


def test_balances_run_down_to_zero_and_periods_chain():
    result = schedule(EQUAL_INSTALLMENT)

    assert result.installments[-1].balance_after == D("0.00")
    assert result.installments[0].period_start == date(2024, 1, 1)
    for earlier, later in pairwise(result.installments):
        assert later.period_start == earlier.due_date
        assert later.balance_after == earlier.balance_after - later.principal


# --- Calendar: month ends and leap years --------------------------------------------------------------


def test_loan_of_31_january_falls_due_on_each_month_end_in_a_leap_year():
    result = schedule(disbursed_on=date(2024, 1, 31), term=4)

    assert [i.due_date for i in result.installments] == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]


def test_loan_of_31_january_falls_due_on_28_february_in_a_common_year():
    result = schedule(disbursed_on=date(2023, 1, 31), term=2)

    assert [i.due_date for i in result.installments] == [date(2023, 2, 28), date(2023, 3, 31)]


def test_loan_of_29_february_keeps_the_29th_and_clamps_february():
    result = schedule(disbursed_on=date(2024, 2, 29), term=12)

    assert result.installments[0].due_date == date(2024, 3, 29)
    assert result.installments[-1].due_date == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2100, 1, 31), 1, date(2100, 2, 28)),  # century: not a leap year
        (date(2000, 1, 31), 1, date(2000, 2, 29)),  # divisible by 400: a leap year
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 8, 31), 3, date(2024, 11, 30)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(start, months, expected):
    assert add_months(start, months) == expected


def test_regular_periods_charge_a_twelfth_of_the_rate_whatever_the_days():
    # February (29 days) and March (31 days) both bill 1.5% of the opening balance: 30/360.
    result = schedule(INTEREST_ONLY, disbursed_on=date(2024, 1, 31), term=3)

    assert {i.interest for i in result.installments} == {D("180.00")}


# --- Broken first period -------------------------------------------------------------------------------


def test_broken_first_period_charges_its_actual_days_and_keeps_the_regular_principal():
    regular = schedule(EQUAL_INSTALLMENT)
    broken = schedule(EQUAL_INSTALLMENT, first_due_on=date(2024, 2, 15))

    first = broken.installments[0]
    assert first.interest == D("270.00")  # 12,000 × 18% × 45 / 360
    assert first.principal == regular.installments[0].principal == D("920.16")
    assert first.payment == D("1190.16")
    assert [i.due_date for i in broken.installments[:3]] == [date(2024, 2, 15), date(2024, 3, 15), date(2024, 4, 15)]
    assert [i.principal for i in broken.installments] == [i.principal for i in regular.installments]
    assert broken.first_period_days == 45


def test_broken_first_period_under_act_365():
    broken = schedule(INTEREST_ONLY, first_due_on=date(2024, 1, 21), day_count="ACT/365")

    assert broken.installments[0].interest == D("118.36")  # 12,000 × 18% × 20 / 365 = 118.356…


def test_broken_first_period_under_30_360_counts_thirty_day_months():
    broken = schedule(INTEREST_ONLY, disbursed_on=date(2024, 1, 31), first_due_on=date(2024, 3, 15), day_count="30/360")

    assert broken.first_period_days == 45  # 31 Jan counts as the 30th: 30 − 30 + 30 + 15
    assert broken.installments[0].interest == D("270.00")


def test_first_due_date_one_month_later_is_a_regular_schedule():
    assert schedule(first_due_on=date(2024, 2, 1)) == schedule()


def test_broken_bullet_charges_the_broken_days_and_the_other_months():
    result = schedule(BULLET, first_due_on=date(2024, 1, 21))

    only = result.installments[0]
    assert only.due_date == date(2024, 12, 21)
    assert only.interest == D("1980.00") + D("120.00")  # 11 months at 1.5% + 20 days ACT/360


# --- Edges: smallest amounts, longest terms ------------------------------------------------------------


def test_one_month_loan_repays_everything_at_once():
    result = schedule(term=1)

    assert len(result.installments) == 1
    assert (result.installments[0].principal, result.installments[0].interest) == (PRINCIPAL, D("180.00"))


def test_zero_rate_splits_principal_with_the_last_taking_the_rest():
    result = build_schedule(
        principal=D("100.00"), annual_rate=D("0"), term=3, method=EQUAL_INSTALLMENT, disbursed_on=date(2024, 1, 1)
    )

    assert [i.payment for i in result.installments] == [D("33.33"), D("33.33"), D("33.34")]
    assert result.total_interest == D("0.00")


def test_payment_rounded_up_never_repays_everything_before_the_last_installment():
    # 100.00 over 360 months at 0%: 0.28 a month would repay it all by month 358. The payment becomes
    # 0.27, the largest fen amount that leaves principal for the last installment.
    result = build_schedule(
        principal=D("100.00"), annual_rate=D("0"), term=360, method=EQUAL_INSTALLMENT, disbursed_on=date(2024, 1, 31)
    )

    assert result.level_payment == D("0.27")
    assert {i.payment for i in result.installments[:-1]} == {D("0.27")}
    assert result.installments[-1].principal == D("3.07")


def test_equal_principal_part_rounded_up_never_overshoots():
    result = build_schedule(
        principal=D("100.00"), annual_rate=D("0.1"), term=360, method=EQUAL_PRINCIPAL, disbursed_on=date(2024, 1, 1)
    )

    assert result.level_principal == D("0.27")  # 100 / 360 = 0.2777… would make 359 × 0.28 = 100.52
    assert result.installments[-1].principal == D("3.07")
    assert sum(i.principal for i in result.installments) == D("100.00")


def test_one_fen_over_360_months_is_repaid_with_the_last_installment():
    result = build_schedule(
        principal=D("0.01"), annual_rate=D("0.99"), term=360, method=EQUAL_INSTALLMENT, disbursed_on=date(2024, 1, 1)
    )

    assert result.installments[-1].principal == D("0.01")
    assert all(i.payment >= 0 for i in result.installments)


def test_ten_million_over_thirty_years():
    result = build_schedule(
        principal=D("10000000.00"),
        annual_rate=D("0.24"),
        term=360,
        method=EQUAL_INSTALLMENT,
        disbursed_on=date(2024, 2, 29),
    )

    growth = 1.02**360
    assert abs(float(result.level_payment) - 10_000_000 * 0.02 * growth / (growth - 1)) < 0.005
    assert result.level_payment == D("200160.44")
    assert sum(i.principal for i in result.installments) == D("10000000.00")
    assert result.installments[-1].due_date == date(2054, 2, 28)


def test_interest_exactly_on_a_half_fen_rounds_up_even_when_the_monthly_rate_does_not_terminate():
    # 10% / 12 = 0.008333…; 0.60 × 10% / 12 = 0.005 exactly, half-up → 0.01 (a truncated rate gives 0.00).
    result = build_schedule(
        principal=D("0.60"), annual_rate=D("0.1"), term=2, method=INTEREST_ONLY, disbursed_on=date(2024, 1, 1)
    )

    assert result.installments[0].interest == D("0.01")


# --- Properties ----------------------------------------------------------------------------------------

amounts = st.integers(min_value=1, max_value=1_000_000_000).map(lambda cents: Decimal(cents).scaleb(-2))
rates = st.integers(min_value=0, max_value=999_999).map(lambda millionths: Decimal(millionths).scaleb(-6))
terms = st.integers(min_value=1, max_value=360)
start_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
property_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@property_settings
@given(principal=amounts, annual_rate=rates, term=terms, method=st.sampled_from(METHODS), disbursed_on=start_dates)
def test_every_schedule_repays_exactly_the_principal_and_nothing_is_negative(
    principal, annual_rate, term, method, disbursed_on
):
    result = build_schedule(
        principal=principal, annual_rate=annual_rate, term=term, method=method, disbursed_on=disbursed_on
    )

    assert sum(i.principal for i in result.installments) == principal
    assert result.installments[-1].balance_after == D("0.00")
    assert all(
        min(i.principal, i.interest, i.payment, i.balance_after) >= 0 and i.payment == i.principal + i.interest
        for i in result.installments
    )
    assert all(i.interest == i.interest.quantize(D("0.01")) for i in result.installments)
    assert result.total_payment == sum(i.payment for i in result.installments)
    assert result.total_interest == sum(i.interest for i in result.installments)
    assert len(result.installments) == (1 if method == BULLET else term)


@property_settings
@given(principal=amounts, annual_rate=rates, term=st.integers(min_value=2, max_value=360), disbursed_on=start_dates)
def test_equal_installment_payment_is_constant_except_the_last(principal, annual_rate, term, disbursed_on):
    result = build_schedule(
        principal=principal, annual_rate=annual_rate, term=term, method=EQUAL_INSTALLMENT, disbursed_on=disbursed_on
    )

    assert {i.payment for i in result.installments[:-1]} == {result.level_payment}
    assert result.installments[-1].principal > 0


@property_settings
@given(principal=amounts, annual_rate=rates, term=st.integers(min_value=2, max_value=360), disbursed_on=start_dates)
def test_equal_installment_interest_is_on_the_rounded_opening_balance(principal, annual_rate, term, disbursed_on):
    result = build_schedule(
        principal=principal, annual_rate=annual_rate, term=term, method=EQUAL_INSTALLMENT, disbursed_on=disbursed_on
    )

    opening = principal
    for installment in result.installments:
        assert installment.interest == (opening * annual_rate / 12).quantize(D("0.01"), rounding="ROUND_HALF_UP")
        opening = installment.balance_after


@property_settings
@given(disbursed_on=start_dates, term=terms)
def test_due_dates_keep_the_day_of_the_month_or_the_month_end(disbursed_on, term):
    result = build_schedule(
        principal=PRINCIPAL, annual_rate=RATE, term=term, method=INTEREST_ONLY, disbursed_on=disbursed_on
    )

    for months, installment in enumerate(result.installments, start=1):
        due = installment.due_date
        assert (due.year * 12 + due.month) - (disbursed_on.year * 12 + disbursed_on.month) == months
        next_day_month = date.fromordinal(due.toordinal() + 1).month
        assert due.day == disbursed_on.day or (due.day < disbursed_on.day and next_day_month != due.month)


# --- Bad input is refused, never computed ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"principal": 12000.0}, InvalidAmount, "principal"),
        ({"principal": D("100.001")}, InvalidAmount, "principal"),
        ({"principal": D("0")}, InvalidAmount, "principal"),
        ({"principal": D("-1.00")}, InvalidAmount, "principal"),
        ({"principal": "abc"}, InvalidAmount, "principal"),
        ({"principal": D("NaN")}, InvalidAmount, "principal"),
        ({"annual_rate": 0.18}, InvalidRate, "annual_rate"),
        ({"annual_rate": D("-0.01")}, InvalidRate, "annual_rate"),
        ({"annual_rate": D("1")}, InvalidRate, "annual_rate"),
        ({"annual_rate": D("0.1800001")}, InvalidRate, "annual_rate"),
        ({"term": 0}, InvalidTerm, "term"),
        ({"term": 361}, InvalidTerm, "term"),
        ({"term": 12.0}, InvalidTerm, "term"),
        ({"term": True}, InvalidTerm, "term"),
        ({"method": "ANNUITY"}, UnknownRepaymentMethod, "method"),
        ({"day_count": "ACT/ACT"}, UnknownDayCount, "day_count"),
        ({"disbursed_on": "2024-01-01"}, InvalidDate, "disbursed_on"),
        ({"first_due_on": date(2024, 1, 1)}, InvalidDate, "first_due_on"),
        ({"first_due_on": date(2024, 3, 2)}, InvalidDate, "first_due_on"),
    ],
)
def test_bad_input_raises_a_domain_error_naming_the_field(overrides, error, field):
    with pytest.raises(error) as raised:
        schedule(**overrides)

    assert isinstance(raised.value, RepaymentError)
    assert raised.value.details["field"] == field
    assert field in raised.value.message
    assert raised.value.code == error.code


def test_amount_given_as_a_string_is_accepted_exactly():
    assert schedule(principal="12000.00") == schedule()
