"""Co-lending splits by largest remainder (DOMAIN.md §5): exact to the fen, deterministic, conserving."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repayment.colending import (
    funded_amounts,
    split_amount,
    split_by_weights,
    split_principal,
    split_schedule_principal,
)
from repayment.exceptions import InvalidAmount, InvalidShares
from repayment.schedules import METHODS, build_schedule

D = Decimal


def test_split_100_by_30_70():
    assert split_amount(amount=D("100.00"), shares=[D("0.3"), D("0.7")]) == [D("30.00"), D("70.00")]


def test_equal_remainders_go_to_the_earlier_share():
    assert split_amount(amount=D("0.01"), shares=[D("0.5"), D("0.5")]) == [D("0.01"), D("0.00")]
    assert split_amount(amount=D("0.02"), shares=[D("0.25"), D("0.25"), D("0.5")]) == [
        D("0.01"),
        D("0.00"),
        D("0.01"),
    ]


def test_largest_remainder_not_the_largest_share_gets_the_odd_fen():
    # 10.00 × ⅓-ish shares: exact 3.333, 3.333, 3.334 → the third remainder is largest.
    assert split_amount(amount=D("10.00"), shares=[D("0.3333"), D("0.3333"), D("0.3334")]) == [
        D("3.33"),
        D("3.33"),
        D("3.34"),
    ]


def test_zero_splits_into_zeros():
    assert split_amount(amount=D("0.00"), shares=[D("0.3"), D("0.7")]) == [D("0.00"), D("0.00")]


@pytest.mark.parametrize(
    "shares",
    [
        [D("0.3"), D("0.6")],  # sums to 0.9
        [D("0.3"), D("0.71")],  # sums to 1.01
        [D("-0.3"), D("1.3")],
        [0.3, 0.7],  # floats
        [],
        "0.3,0.7",
    ],
)
def test_shares_must_be_decimals_summing_to_exactly_one(shares):
    with pytest.raises(InvalidShares) as raised:
        split_amount(amount=D("100.00"), shares=shares)

    assert raised.value.code == "INVALID_SHARES"
    assert raised.value.details["field"].startswith("shares")


@pytest.mark.parametrize("amount", [D("-1.00"), D("1.001"), 1.0])
def test_split_refuses_bad_amounts(amount):
    with pytest.raises(InvalidAmount):
        split_amount(amount=amount, shares=[D("1")])


shares_lists = (
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=6)
    .filter(sum)
    .map(
        # integer weights → Decimal shares summing to exactly 1 (the last takes the rest of 1)
        lambda weights: [
            *[D(w * 10_000 // sum(weights)).scaleb(-4) for w in weights[:-1]],
            D(1) - sum(D(w * 10_000 // sum(weights)).scaleb(-4) for w in weights[:-1]),
        ]
    )
)
amounts = st.integers(min_value=0, max_value=1_000_000_000).map(lambda cents: Decimal(cents).scaleb(-2))


@settings(max_examples=300, deadline=None)
@given(amount=amounts, shares=shares_lists)
def test_split_conserves_every_fen_and_each_part_is_within_a_fen_of_its_share(amount, shares):
    parts = split_amount(amount=amount, shares=shares)

    assert sum(parts) == amount
    assert all(abs(part - amount * share) < D("0.01") for part, share in zip(parts, shares, strict=True))
    assert all(part >= 0 for part in parts)
    assert parts == split_amount(amount=amount, shares=shares)  # deterministic


# --- Funded amounts ------------------------------------------------------------------------------------


def test_our_funded_amount_is_rounded_up_to_the_fen():
    assert funded_amounts(principal=D("1000.01"), shares=[D("0.3"), D("0.7")]) == [D("300.01"), D("700.00")]


def test_partners_split_the_rest_by_largest_remainder():
    assert funded_amounts(principal=D("1000.01"), shares=[D("0.3"), D("0.35"), D("0.35")]) == [
        D("300.01"),
        D("350.00"),
        D("350.00"),
    ]


def test_a_loan_we_fund_alone_is_all_ours():
    assert funded_amounts(principal=D("5000.00"), shares=[D("1")]) == [D("5000.00")]


@settings(max_examples=300, deadline=None)
@given(principal=amounts.filter(lambda a: a > 0), shares=shares_lists)
def test_funded_amounts_sum_to_the_principal_and_ours_is_never_below_our_share(principal, shares):
    funded = funded_amounts(principal=principal, shares=shares)

    assert sum(funded) == principal
    assert funded[0] >= principal * shares[0]
    assert funded[0] - principal * shares[0] < D("0.01")
    assert all(part >= 0 for part in funded)


# --- Principal by remaining funded principal --------------------------------------------------------------


def test_installment_principal_follows_the_funders_remaining_principal():
    assert split_principal(amount=D("100.00"), remaining=[D("300.00"), D("700.00")]) == [D("30.00"), D("70.00")]


def test_the_last_installment_gives_each_funder_exactly_its_remainder():
    assert split_principal(amount=D("10.01"), remaining=[D("3.01"), D("7.00")]) == [D("3.01"), D("7.00")]


def test_no_funder_is_repaid_more_than_it_has_left():
    with pytest.raises(InvalidAmount):
        split_principal(amount=D("10.02"), remaining=[D("3.01"), D("7.00")])


def test_split_by_weights_of_any_scale():
    assert split_by_weights(amount=D("10.00"), weights=[D("1"), D("2"), D("2")]) == [D("2.00"), D("4.00"), D("4.00")]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    principal=st.integers(min_value=1, max_value=1_000_000_000).map(lambda cents: Decimal(cents).scaleb(-2)),
    annual_rate=st.integers(min_value=0, max_value=999_999).map(lambda m: Decimal(m).scaleb(-6)),
    term=st.integers(min_value=1, max_value=360),
    method=st.sampled_from(METHODS),
    shares=shares_lists,
)
def test_every_funder_is_repaid_its_funded_amount_to_the_fen(principal, annual_rate, term, method, shares):
    schedule = build_schedule(
        principal=principal, annual_rate=annual_rate, term=term, method=method, disbursed_on=date(2024, 1, 31)
    )
    funded = funded_amounts(principal=principal, shares=shares)

    parts = split_schedule_principal(installment_principals=[i.principal for i in schedule.installments], funded=funded)

    assert [sum(column) for column in zip(*parts, strict=True)] == funded
    assert all(sum(row) == i.principal for row, i in zip(parts, schedule.installments, strict=True))
    assert all(part >= 0 for row in parts for part in row)


def test_worked_co_funded_schedule_30_70():
    schedule = build_schedule(
        principal=D("12000.00"),
        annual_rate=D("0.18"),
        term=12,
        method="EQUAL_INSTALLMENT",
        disbursed_on=date(2024, 1, 1),
    )
    funded = funded_amounts(principal=D("12000.00"), shares=[D("0.3"), D("0.7")])

    parts = split_schedule_principal(installment_principals=[i.principal for i in schedule.installments], funded=funded)

    assert funded == [D("3600.00"), D("8400.00")]
    assert parts[0] == [D("276.05"), D("644.11")]  # 920.16 × 0.3 = 276.048
    assert [sum(column) for column in zip(*parts, strict=True)] == funded
