"""Daily interest, pro-rata accrual, penalty interest and the payoff quote (DOMAIN.md §2, §4)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repayment.exceptions import InvalidAmount, InvalidDate, InvalidInput, InvalidRate, UnknownDayCount
from repayment.interest import (
    InstallmentPaid,
    accrued_interest,
    capped_penalty_rate,
    daily_accrual,
    daily_interest,
    daily_penalty,
    days_between,
    interest_accrued_on,
    payoff_quote,
    penalty_interest,
)
from repayment.schedules import EQUAL_INSTALLMENT, METHODS, build_schedule

D = Decimal


def worked_schedule():
    return build_schedule(
        principal=D("12000.00"),
        annual_rate=D("0.18"),
        term=12,
        method=EQUAL_INSTALLMENT,
        disbursed_on=date(2024, 1, 1),
    )


def paid_in_full(schedule, *numbers):
    by_number = {i.number: i for i in schedule.installments}
    return {n: InstallmentPaid(principal=by_number[n].principal, interest=by_number[n].interest) for n in numbers}


# --- Daily interest ---------------------------------------------------------------------------------------


def test_thirty_days_on_1000_at_18_percent_is_15_00_under_act_360():
    assert daily_interest(principal=D("1000.00"), annual_rate=D("0.18"), days=30, day_count="ACT/360") == D("15.00")


def test_thirty_days_on_1000_at_18_percent_is_14_79_under_act_365():
    assert daily_interest(principal=D("1000.00"), annual_rate=D("0.18"), days=30, day_count="ACT/365") == D("14.79")


def test_days_between_counts_actual_days_or_thirty_day_months():
    assert days_between(date(2024, 1, 31), date(2024, 3, 1), day_count="ACT/360") == 30
    assert days_between(date(2024, 1, 31), date(2024, 3, 1), day_count="30/360") == 31
    assert days_between(date(2024, 2, 29), date(2024, 3, 31), day_count="30/360") == 31


def test_unknown_day_count_is_refused():
    with pytest.raises(UnknownDayCount):
        daily_interest(principal=D("1000.00"), annual_rate=D("0.18"), days=30, day_count="ACT/ACT")


# --- Pro-rata accrual ---------------------------------------------------------------------------------------


def test_accrual_after_d_of_the_periods_days_is_pro_rata_and_the_last_day_takes_the_rest():
    assert accrued_interest(period_interest=D("180.00"), period_days=31, days_elapsed=0) == D("0.00")
    assert accrued_interest(period_interest=D("180.00"), period_days=31, days_elapsed=10) == D("58.06")
    assert accrued_interest(period_interest=D("180.00"), period_days=31, days_elapsed=31) == D("180.00")


def test_daily_accruals_of_the_worked_first_period_sum_to_its_interest():
    accruals = [daily_accrual(period_interest=D("180.00"), period_days=31, day=day) for day in range(1, 32)]

    assert sum(accruals) == D("180.00")
    assert set(accruals) <= {D("5.80"), D("5.81")}


@settings(max_examples=200, deadline=None)
@given(
    interest=st.integers(min_value=0, max_value=100_000_000).map(lambda cents: Decimal(cents).scaleb(-2)),
    period_days=st.integers(min_value=1, max_value=62),
)
def test_accruals_of_a_period_sum_to_its_interest_and_none_is_negative(interest, period_days):
    accruals = [
        daily_accrual(period_interest=interest, period_days=period_days, day=day) for day in range(1, period_days + 1)
    ]

    assert sum(accruals) == interest
    assert min(accruals) >= 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    principal=st.integers(min_value=1, max_value=1_000_000_000).map(lambda cents: Decimal(cents).scaleb(-2)),
    annual_rate=st.integers(min_value=0, max_value=999_999).map(lambda m: Decimal(m).scaleb(-6)),
    term=st.integers(min_value=1, max_value=36),
    method=st.sampled_from(METHODS),
    disbursed_on=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
)
def test_accruals_day_by_day_over_a_schedule_sum_to_each_installments_interest(
    principal, annual_rate, term, method, disbursed_on
):
    schedule = build_schedule(
        principal=principal, annual_rate=annual_rate, term=term, method=method, disbursed_on=disbursed_on
    )

    for installment in schedule.installments:
        days = (installment.due_date - installment.period_start).days
        accrued = [
            interest_accrued_on(schedule=schedule, on=installment.period_start + timedelta(days=day))
            for day in range(1, days + 1)
        ]
        assert accrued[-1] == installment.interest
        assert accrued == sorted(accrued)


def test_interest_accrued_on_a_date_is_that_of_the_running_period():
    schedule = worked_schedule()

    assert interest_accrued_on(schedule=schedule, on=date(2024, 1, 1)) == D("0.00")
    assert interest_accrued_on(schedule=schedule, on=date(2024, 1, 11)) == D("58.06")  # 180.00 × 10 / 31
    assert interest_accrued_on(schedule=schedule, on=date(2024, 2, 1)) == D("180.00")
    assert interest_accrued_on(schedule=schedule, on=date(2024, 2, 2)) == D("5.73")  # 166.20 × 1 / 29
    assert interest_accrued_on(schedule=schedule, on=date(2025, 6, 1)) == D("0.00")


# --- Penalty interest ----------------------------------------------------------------------------------------


def test_penalty_rate_is_the_contract_rate_times_the_multiplier_under_a_36_percent_ceiling():
    assert capped_penalty_rate(annual_rate=D("0.18"), multiplier=D("1.5"), ceiling=D("0.36")) == D("0.270000")


def test_penalty_rate_is_capped_by_the_24_percent_ceiling():
    assert capped_penalty_rate(annual_rate=D("0.18"), multiplier=D("1.5"), ceiling=D("0.24")) == D("0.24")


def test_penalty_on_1000_ten_days_overdue_is_7_50_at_27_percent():
    rate = capped_penalty_rate(annual_rate=D("0.18"), multiplier=D("1.5"), ceiling=D("0.36"))

    assert penalty_interest(overdue_principal=D("1000.00"), penalty_rate=rate, days_overdue=10) == D("7.50")


def test_penalty_on_1000_ten_days_overdue_is_6_67_when_the_24_percent_ceiling_binds():
    rate = capped_penalty_rate(annual_rate=D("0.18"), multiplier=D("1.5"), ceiling=D("0.24"))

    assert penalty_interest(overdue_principal=D("1000.00"), penalty_rate=rate, days_overdue=10) == D("6.67")


@pytest.mark.parametrize(("ceiling", "expected"), [(D("0.24"), D("6.32")), (D("0.36"), D("7.11"))])
def test_penalty_on_worked_installment_3_paid_ten_days_late(ceiling, expected):
    schedule = worked_schedule()
    third = schedule.installments[2]
    rate = capped_penalty_rate(annual_rate=D("0.18"), multiplier=D("1.5"), ceiling=ceiling)

    penalty = penalty_interest(
        overdue_principal=third.principal,
        penalty_rate=rate,
        days_overdue=(third.due_date + timedelta(days=10) - third.due_date).days,
        grace_days=3,
    )

    assert third.principal == D("947.97")
    assert penalty == expected


def test_no_penalty_when_paid_within_the_grace_days():
    assert penalty_interest(overdue_principal=D("1000.00"), penalty_rate=D("0.24"), days_overdue=3, grace_days=3) == D(
        "0.00"
    )


def test_past_the_grace_days_every_day_since_the_due_date_counts():
    assert penalty_interest(overdue_principal=D("1000.00"), penalty_rate=D("0.24"), days_overdue=4, grace_days=3) == D(
        "2.67"
    )  # 1,000 × 24% × 4 / 360


def test_daily_penalty_catches_up_the_grace_days_and_sums_to_the_whole():
    daily = [
        daily_penalty(overdue_principal=D("947.97"), penalty_rate=D("0.24"), day=day, grace_days=3)
        for day in range(1, 11)
    ]

    assert daily[:3] == [D("0.00")] * 3
    assert daily[3] == D("2.53")  # four days at once on the first day past grace
    assert sum(daily) == D("6.32")


def test_penalty_under_act_365():
    assert penalty_interest(
        overdue_principal=D("1000.00"), penalty_rate=D("0.27"), days_overdue=10, day_count="ACT/365"
    ) == D("7.40")


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"overdue_principal": 1000.0, "penalty_rate": D("0.24"), "days_overdue": 1}, InvalidAmount),
        ({"overdue_principal": D("1000.00"), "penalty_rate": D("1.2"), "days_overdue": 1}, InvalidRate),
        ({"overdue_principal": D("1000.00"), "penalty_rate": D("0.24"), "days_overdue": -1}, InvalidInput),
        (
            {"overdue_principal": D("1000.00"), "penalty_rate": D("0.24"), "days_overdue": 1, "grace_days": -1},
            InvalidInput,
        ),
    ],
)
def test_penalty_refuses_bad_input(arguments, error):
    with pytest.raises(error):
        penalty_interest(**arguments)


# --- Payoff quote ----------------------------------------------------------------------------------------------


def test_payoff_on_a_due_date_is_the_remaining_principal_plus_that_periods_interest():
    schedule = worked_schedule()

    quote = payoff_quote(schedule=schedule, on=date(2024, 3, 1), paid=paid_in_full(schedule, 1))

    assert quote.principal == D("11079.84")
    assert quote.interest == D("166.20")
    assert quote.total == D("11246.04")


def test_payoff_mid_period_charges_interest_accrued_to_the_day_only():
    schedule = worked_schedule()

    quote = payoff_quote(schedule=schedule, on=date(2024, 1, 11))

    assert (quote.principal, quote.interest, quote.penalty, quote.total) == (
        D("12000.00"),
        D("58.06"),
        D("0.00"),
        D("12058.06"),
    )


def test_payoff_on_the_disbursement_date_is_the_principal():
    assert payoff_quote(schedule=worked_schedule(), on=date(2024, 1, 1)).total == D("12000.00")


def test_payoff_with_an_overdue_installment_adds_its_interest_and_penalty():
    schedule = worked_schedule()

    quote = payoff_quote(
        schedule=schedule,
        on=date(2024, 3, 16),
        paid=paid_in_full(schedule, 1),
        penalty_rate=D("0.24"),
        grace_days=3,
    )

    assert quote.overdue_principal == D("933.96")
    assert quote.overdue_interest == D("166.20")
    assert quote.interest == D("166.20") + D("73.64")  # period 3: 152.19 × 15 / 31 = 73.640…
    assert quote.penalty == D("9.34")  # 933.96 × 24% × 15 / 360
    assert quote.total == D("11079.84") + D("239.84") + D("9.34")


def test_payoff_uses_the_books_penalty_when_given():
    schedule = worked_schedule()

    quote = payoff_quote(
        schedule=schedule, on=date(2024, 3, 16), paid=paid_in_full(schedule, 1), penalty_due=D("8.00"), fee_due=D("5")
    )

    assert (quote.penalty, quote.fee) == (D("8.00"), D("5.00"))
    assert quote.total == D("11079.84") + D("239.84") + D("8.00") + D("5.00")


def test_payoff_after_paying_the_running_installment_early_rebates_the_unaccrued_interest():
    schedule = worked_schedule()

    quote = payoff_quote(schedule=schedule, on=date(2024, 1, 11), paid=paid_in_full(schedule, 1))

    assert quote.interest == D("0.00")
    assert quote.interest_rebate == D("121.94")  # 180.00 paid, 58.06 accrued
    assert quote.total == D("11079.84") - D("121.94")


def test_payoff_before_disbursement_is_refused():
    with pytest.raises(InvalidDate):
        payoff_quote(schedule=worked_schedule(), on=date(2023, 12, 31))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    principal=st.integers(min_value=1, max_value=1_000_000_000).map(lambda cents: Decimal(cents).scaleb(-2)),
    annual_rate=st.integers(min_value=0, max_value=999_999).map(lambda m: Decimal(m).scaleb(-6)),
    term=st.integers(min_value=1, max_value=360),
    method=st.sampled_from(METHODS),
    disbursed_on=st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)),
    data=st.data(),
)
def test_payoff_quote_on_a_due_date_is_remaining_principal_plus_that_periods_interest(
    principal, annual_rate, term, method, disbursed_on, data
):
    schedule = build_schedule(
        principal=principal, annual_rate=annual_rate, term=term, method=method, disbursed_on=disbursed_on
    )
    due = data.draw(st.sampled_from(schedule.installments))
    earlier = [i.number for i in schedule.installments if i.number < due.number]

    quote = payoff_quote(schedule=schedule, on=due.due_date, paid=paid_in_full(schedule, *earlier))

    assert quote.principal == due.balance_after + due.principal
    assert quote.interest == due.interest
    assert quote.total == due.balance_after + due.principal + due.interest
