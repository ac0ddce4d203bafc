"""Rebuilding a schedule after a partial prepayment: lower the payment, or shorten the term."""

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from repayment.exceptions import InvalidAmount, InvalidPrepayment, UnknownPrepaymentMode
from repayment.rebuild import LOWER_PAYMENT, PREPAYMENT_MODES, SHORTEN_TERM, rebuild_schedule
from repayment.schedules import BULLET, EQUAL_INSTALLMENT, EQUAL_PRINCIPAL, INTEREST_ONLY, METHODS, build_schedule

D = Decimal


def month_end_schedule(method=EQUAL_INSTALLMENT):
    return build_schedule(
        principal=D("12000.00"), annual_rate=D("0.18"), term=12, method=method, disbursed_on=date(2024, 1, 31)
    )


def test_lower_payment_keeps_the_maturity_and_recomputes_the_payment():
    schedule = month_end_schedule()

    rebuilt = rebuild_schedule(
        schedule=schedule, prepaid_on=date(2024, 3, 15), principal_prepaid=D("5000.00"), mode=LOWER_PAYMENT
    )

    first = rebuilt.installments[0]
    assert rebuilt.principal == D("6079.84")  # 11,079.84 outstanding after installment 1, less 5,000.00
    assert (first.number, first.due_date, first.period_start) == (2, date(2024, 3, 31), date(2024, 3, 15))
    assert first.interest == D("48.64")  # 6,079.84 × 18% × 16 / 360: the days left of the period
    assert first.principal == D("512.49")  # the regular principal part: 603.69 − 91.20
    assert rebuilt.level_payment == D("603.69")
    assert {i.payment for i in rebuilt.installments[1:-1]} == {D("603.69")}
    assert rebuilt.maturity_date == schedule.maturity_date
    assert [i.number for i in rebuilt.installments] == list(range(2, 13))
    assert sum(i.principal for i in rebuilt.installments) == D("6079.84")


def test_shorten_term_keeps_the_payment_and_ends_earlier():
    schedule = month_end_schedule()

    rebuilt = rebuild_schedule(
        schedule=schedule, prepaid_on=date(2024, 3, 15), principal_prepaid=D("5000.00"), mode=SHORTEN_TERM
    )

    assert rebuilt.level_payment == D("1100.16")
    assert [i.payment for i in rebuilt.installments[1:-1]] == [D("1100.16")] * 4
    last = rebuilt.installments[-1]
    assert (last.number, last.due_date, last.payment) == (7, date(2024, 8, 31), D("894.61"))
    assert last.payment <= D("1100.16")
    assert sum(i.principal for i in rebuilt.installments) == D("6079.84")


def test_prepaid_on_a_due_date_the_next_period_charges_its_regular_interest():
    schedule = month_end_schedule()

    rebuilt = rebuild_schedule(
        schedule=schedule, prepaid_on=date(2024, 2, 29), principal_prepaid=D("1079.84"), mode=LOWER_PAYMENT
    )

    first = rebuilt.installments[0]
    assert first.period_start == date(2024, 2, 29)
    assert first.interest == D("150.00")  # 10,000.00 × 1.5%, not by the day
    assert rebuilt.first_period_days is None


def test_equal_principal_shorten_term_keeps_the_principal_part():
    schedule = month_end_schedule(EQUAL_PRINCIPAL)

    rebuilt = rebuild_schedule(
        schedule=schedule, prepaid_on=date(2024, 2, 29), principal_prepaid=D("3000.00"), mode=SHORTEN_TERM
    )

    assert [i.principal for i in rebuilt.installments] == [D("1000.00")] * 8
    assert rebuilt.maturity_date == date(2024, 10, 31)


def test_interest_only_keeps_its_term_in_either_mode():
    schedule = month_end_schedule(INTEREST_ONLY)

    for mode in PREPAYMENT_MODES:
        rebuilt = rebuild_schedule(
            schedule=schedule, prepaid_on=date(2024, 2, 29), principal_prepaid=D("2000.00"), mode=mode
        )
        assert [i.payment for i in rebuilt.installments] == [D("150.00")] * 10 + [D("10150.00")]


def test_bullet_charges_the_rest_of_its_term_by_the_day_on_the_new_balance():
    schedule = month_end_schedule(BULLET)

    rebuilt = rebuild_schedule(
        schedule=schedule, prepaid_on=date(2024, 7, 31), principal_prepaid=D("2000.00"), mode=LOWER_PAYMENT
    )

    only = rebuilt.installments[0]
    assert only.due_date == date(2025, 1, 31)
    assert only.interest == D("920.00")  # 10,000.00 × 18% × 184 / 360


@pytest.mark.parametrize(
    ("arguments", "error", "field"),
    [
        ({"principal_prepaid": D("11079.84")}, InvalidPrepayment, "principal_prepaid"),
        ({"principal_prepaid": D("0")}, InvalidAmount, "principal_prepaid"),
        ({"prepaid_on": date(2025, 1, 31)}, InvalidPrepayment, "prepaid_on"),
        ({"prepaid_on": date(2024, 1, 30)}, InvalidPrepayment, "prepaid_on"),
        ({"mode": "KEEP_SOMETHING"}, UnknownPrepaymentMode, "mode"),
    ],
)
def test_a_prepayment_that_cannot_be_applied_is_refused(arguments, error, field):
    values = {
        "schedule": month_end_schedule(),
        "prepaid_on": date(2024, 3, 15),
        "principal_prepaid": D("1000.00"),
        "mode": LOWER_PAYMENT,
    }
    values.update(arguments)

    with pytest.raises(error) as raised:
        rebuild_schedule(**values)

    assert raised.value.details["field"] == field


def test_shortening_the_term_needs_the_level_payment_to_keep():
    schedule = dataclasses.replace(month_end_schedule(), level_payment=None)

    with pytest.raises(InvalidPrepayment) as raised:
        rebuild_schedule(
            schedule=schedule, prepaid_on=date(2024, 3, 15), principal_prepaid=D("100.00"), mode=SHORTEN_TERM
        )

    assert raised.value.details["field"] == "level_payment"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    principal=st.integers(min_value=2, max_value=1_000_000_000).map(lambda cents: Decimal(cents).scaleb(-2)),
    annual_rate=st.integers(min_value=0, max_value=999_999).map(lambda m: Decimal(m).scaleb(-6)),
    term=st.integers(min_value=1, max_value=360),
    method=st.sampled_from(METHODS),
    mode=st.sampled_from(PREPAYMENT_MODES),
    data=st.data(),
)
def test_a_rebuilt_schedule_repays_exactly_what_is_left_on_the_remaining_dates(
    principal, annual_rate, term, method, mode, data
):
    schedule = build_schedule(
        principal=principal, annual_rate=annual_rate, term=term, method=method, disbursed_on=date(2024, 1, 31)
    )
    prepaid_on = data.draw(
        st.dates(min_value=schedule.disbursed_on, max_value=schedule.maturity_date).filter(
            lambda day: day < schedule.maturity_date
        )
    )
    running = next(i for i in schedule.installments if i.due_date > prepaid_on)
    outstanding = running.balance_after + running.principal
    assume(outstanding >= D("0.02"))  # a partial prepayment needs a fen to prepay and a fen to leave
    prepaid = data.draw(st.integers(min_value=1, max_value=int(outstanding * 100) - 1).map(lambda c: D(c).scaleb(-2)))

    rebuilt = rebuild_schedule(schedule=schedule, prepaid_on=prepaid_on, principal_prepaid=prepaid, mode=mode)

    remaining_dates = [i.due_date for i in schedule.installments if i.due_date > prepaid_on]
    assert sum(i.principal for i in rebuilt.installments) == outstanding - prepaid
    assert rebuilt.installments[-1].balance_after == D("0.00")
    assert all(min(i.principal, i.interest) >= 0 for i in rebuilt.installments)
    assert [i.due_date for i in rebuilt.installments] == remaining_dates[: len(rebuilt.installments)]
    assert rebuilt.installments[0].number == running.number
    if mode == LOWER_PAYMENT or method in (INTEREST_ONLY, BULLET):
        assert rebuilt.maturity_date == schedule.maturity_date
    if mode == SHORTEN_TERM and method == EQUAL_INSTALLMENT:
        assert rebuilt.level_payment == schedule.level_payment
        assert all(i.payment == schedule.level_payment for i in rebuilt.installments[1:-1])
        assert rebuilt.installments[-1].payment <= max(schedule.level_payment, schedule.installments[-1].payment)
