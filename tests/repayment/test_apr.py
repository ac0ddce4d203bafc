"""APR from the borrower's real cash flows (DOMAIN.md §3), checked against numpy-financial's IRR."""

from datetime import date, timedelta
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repayment.exceptions import InvalidAmount, InvalidCashFlows, InvalidInput
from repayment.schedules import (
    EQUAL_INSTALLMENT,
    METHODS,
    annual_percentage_rate,
    annual_percentage_rate_dated,
    build_schedule,
)

D = Decimal
WORKED_PAYMENTS = [D("1100.16")] * 11 + [D("1100.19")]


def test_apr_of_the_worked_equal_installment_schedule_is_18_0004_percent():
    apr = annual_percentage_rate(amount_received=D("12000.00"), payments=WORKED_PAYMENTS, periods_per_year=12)

    assert apr == D("0.180004")


def test_apr_with_1200_withheld_at_disbursement_is_38_8007_percent():
    apr = annual_percentage_rate(amount_received=D("10800.00"), payments=WORKED_PAYMENTS, periods_per_year=12)

    assert apr == D("0.388007")


def test_apr_of_a_flat_monthly_fee_loan_is_16_2165_percent_not_9():
    apr = annual_percentage_rate(amount_received=D("12000.00"), payments=[D("1090.00")] * 12, periods_per_year=12)

    assert apr == D("0.162165")


def test_apr_has_six_places():
    apr = annual_percentage_rate(amount_received=D("12000.00"), payments=WORKED_PAYMENTS, periods_per_year=12)

    assert apr.as_tuple().exponent == -6


def test_apr_of_repaying_exactly_what_was_received_is_zero():
    assert annual_percentage_rate(amount_received=D("300.00"), payments=[D("100.00")] * 3) == D("0.000000")


def test_apr_is_negative_when_less_is_repaid_than_received():
    assert annual_percentage_rate(amount_received=D("100.00"), payments=[D("99.00")]) == D("-0.120000")


def test_apr_counts_a_skipped_period_as_a_zero_payment():
    with_gap = annual_percentage_rate(amount_received=D("1000.00"), payments=[D("0.00"), D("1100.00")])

    assert with_gap == D("0.585706")  # ((1100/1000)^(1/2) − 1) × 12


@pytest.mark.parametrize(
    ("extra_fens", "expected"),
    [(1, D("0.000001")), (3, D("0.000002")), (5, D("0.000003"))],
)
def test_apr_exactly_on_a_half_of_the_sixth_place_rounds_half_up(extra_fens, expected):
    # 240,000.00 received, repaid 240,000.00 + k fens one month later: APR = 12 × k / 24,000,000 exactly,
    # i.e. 0.0000005, 0.0000015, 0.0000025 — ties that a float cannot see; decided exactly, half-up.
    payment = D("240000.00") + D(extra_fens).scaleb(-2)

    assert annual_percentage_rate(amount_received=D("240000.00"), payments=[payment]) == expected


def test_dated_apr_counts_days_and_a_year_of_365():
    # 1,000.00 received, 1,010.00 repaid 30 days later: daily IRR (1.01)^(1/30) − 1, × 365.
    apr = annual_percentage_rate_dated(
        amount_received=D("1000.00"),
        received_on=date(2024, 1, 1),
        payments=[(date(2024, 1, 31), D("1010.00"))],
    )

    assert apr == D("0.121082")


def test_dated_apr_sees_a_fee_taken_on_the_day_of_receipt():
    without_fee = annual_percentage_rate_dated(
        amount_received=D("1000.00"), received_on=date(2024, 1, 1), payments=[(date(2024, 1, 31), D("1010.00"))]
    )
    with_fee = annual_percentage_rate_dated(
        amount_received=D("1000.00"),
        received_on=date(2024, 1, 1),
        payments=[(date(2024, 1, 1), D("20.00")), (date(2024, 1, 31), D("1010.00"))],
    )

    assert with_fee > without_fee
    assert with_fee == D("0.367046")  # 980 effectively received: (1010/980)^(1/30) − 1, × 365


def test_dated_apr_of_a_broken_period_schedule_is_close_to_its_rate():
    schedule = build_schedule(
        principal=D("12000.00"),
        annual_rate=D("0.18"),
        term=12,
        method=EQUAL_INSTALLMENT,
        disbursed_on=date(2024, 1, 10),
        first_due_on=date(2024, 2, 20),
    )

    apr = annual_percentage_rate_dated(
        amount_received=D("12000.00"), received_on=date(2024, 1, 10), payments=schedule.cash_flows()
    )

    assert D("0.17") < apr < D("0.19")


@pytest.mark.parametrize(
    ("arguments", "error", "field"),
    [
        ({"amount_received": 12000.0, "payments": WORKED_PAYMENTS}, InvalidAmount, "amount_received"),
        ({"amount_received": D("0"), "payments": WORKED_PAYMENTS}, InvalidAmount, "amount_received"),
        ({"amount_received": D("12000.00"), "payments": [D("1100.155")]}, InvalidAmount, "payments[0]"),
        ({"amount_received": D("12000.00"), "payments": [D("-1.00")]}, InvalidAmount, "payments[0]"),
        ({"amount_received": D("12000.00"), "payments": [1100.16]}, InvalidAmount, "payments[0]"),
        ({"amount_received": D("12000.00"), "payments": []}, InvalidCashFlows, "payments"),
        ({"amount_received": D("12000.00"), "payments": [D("0.00")] * 3}, InvalidCashFlows, "payments"),
        (
            {"amount_received": D("12000.00"), "payments": WORKED_PAYMENTS, "periods_per_year": 0},
            InvalidInput,
            "periods_per_year",
        ),
    ],
)
def test_apr_refuses_bad_cash_flows(arguments, error, field):
    with pytest.raises(error) as raised:
        annual_percentage_rate(**arguments)

    assert raised.value.details["field"] == field


def test_dated_apr_refuses_a_payment_before_the_money_was_received():
    with pytest.raises(InvalidCashFlows) as raised:
        annual_percentage_rate_dated(
            amount_received=D("100.00"), received_on=date(2024, 1, 2), payments=[(date(2024, 1, 1), D("101.00"))]
        )

    assert raised.value.details["field"] == "payments[0]"


# --- Against an independent IRR -------------------------------------------------------------------------

amounts = st.integers(min_value=1, max_value=1_000_000_000).map(lambda cents: Decimal(cents).scaleb(-2))
rates = st.integers(min_value=0, max_value=990_000).map(lambda millionths: Decimal(millionths).scaleb(-6))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    principal=amounts,
    annual_rate=rates,
    term=st.integers(min_value=1, max_value=120),
    method=st.sampled_from(METHODS),
    withheld_share=st.sampled_from([D("0"), D("0.05"), D("0.1")]),
)
def test_apr_agrees_with_numpy_financial_irr_within_a_millionth(principal, annual_rate, term, method, withheld_share):
    schedule = build_schedule(
        principal=principal, annual_rate=annual_rate, term=term, method=method, disbursed_on=date(2024, 1, 31)
    )
    received = principal - (principal * withheld_share).quantize(D("0.01"))
    payments = [i.payment for i in schedule.installments]
    if method == "BULLET":  # its one payment falls at the end of month `term`
        payments = [D("0.00")] * (term - 1) + payments
    if received <= 0 or not any(payments):
        return

    apr = annual_percentage_rate(amount_received=received, payments=payments, periods_per_year=12)

    reference = npf.irr([-float(received), *map(float, payments)]) * 12
    assert abs(float(apr) - reference) <= 1e-6


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    received=st.integers(min_value=10_000, max_value=10_000_000).map(lambda cents: Decimal(cents).scaleb(-2)),
    gaps=st.lists(st.integers(min_value=1, max_value=45), min_size=1, max_size=8),
    markup=st.integers(min_value=0, max_value=40).map(lambda percent: Decimal(percent).scaleb(-2)),
)
def test_dated_apr_agrees_with_a_daily_irr_from_numpy_financial(received, gaps, markup):
    total = received * (1 + markup)
    each = (total / len(gaps)).quantize(D("0.01"))
    start = date(2024, 1, 31)
    days = [sum(gaps[: k + 1]) for k in range(len(gaps))]
    payments = [(start + timedelta(days=day), each) for day in days]

    apr = annual_percentage_rate_dated(amount_received=received, received_on=start, payments=payments)

    daily = [0.0] * (days[-1] + 1)
    daily[0] = -float(received)
    for day in days:
        daily[day] += float(each)
    assert abs(float(apr) - npf.irr(daily) * 365) <= 1e-6
