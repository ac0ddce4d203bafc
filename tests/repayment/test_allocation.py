"""Allocating a payment over open dues by strategy; every fen lands somewhere, the excess is an overpayment."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repayment.allocation import (
    ALLOCATION_STRATEGIES,
    COMPONENTS,
    FEE,
    INTEREST,
    INTEREST_PRINCIPAL_PENALTY,
    OLDEST_FIRST,
    PENALTY,
    PENALTY_INTEREST_PRINCIPAL,
    PRINCIPAL,
    AllocatedPart,
    Due,
    allocate,
)
from repayment.exceptions import InvalidAmount, InvalidInput, UnknownAllocationStrategy

D = Decimal

TWO_OVERDUE = [
    # Listed newest first on purpose: allocation orders by due date itself.
    Due(
        number=2,
        due_date=date(2024, 3, 31),
        principal=D("100.00"),
        interest=D("10.00"),
        fee=D("2.00"),
        penalty=D("3.00"),
    ),
    Due(
        number=1,
        due_date=date(2024, 2, 29),
        principal=D("100.00"),
        interest=D("10.00"),
        fee=D("2.00"),
        penalty=D("1.00"),
    ),
]


def parts(allocation):
    return [(p.number, p.component, p.amount) for p in allocation.parts]


def test_oldest_first_settles_one_installment_penalty_fee_interest_principal_before_the_next():
    allocation = allocate(amount=D("120.00"), dues=TWO_OVERDUE, strategy=OLDEST_FIRST)

    assert parts(allocation) == [
        (1, PENALTY, D("1.00")),
        (1, FEE, D("2.00")),
        (1, INTEREST, D("10.00")),
        (1, PRINCIPAL, D("100.00")),
        (2, PENALTY, D("3.00")),
        (2, FEE, D("2.00")),
        (2, INTEREST, D("2.00")),
    ]
    assert allocation.overpayment == D("0.00")


def test_penalty_interest_principal_settles_every_penalty_then_every_interest_before_principal():
    allocation = allocate(amount=D("120.00"), dues=TWO_OVERDUE, strategy=PENALTY_INTEREST_PRINCIPAL)

    assert parts(allocation) == [
        (1, PENALTY, D("1.00")),
        (2, PENALTY, D("3.00")),
        (1, FEE, D("2.00")),
        (2, FEE, D("2.00")),
        (1, INTEREST, D("10.00")),
        (2, INTEREST, D("10.00")),
        (1, PRINCIPAL, D("92.00")),
    ]


def test_interest_principal_penalty_leaves_penalties_for_last():
    allocation = allocate(amount=D("226.00"), dues=TWO_OVERDUE, strategy=INTEREST_PRINCIPAL_PENALTY)

    assert parts(allocation)[-2:] == [(1, PENALTY, D("1.00")), (2, PENALTY, D("1.00"))]
    assert allocation.by_component() == {
        PENALTY: D("2.00"),
        FEE: D("4.00"),
        INTEREST: D("20.00"),
        PRINCIPAL: D("200.00"),
    }


def test_excess_over_everything_owed_is_an_overpayment_not_dropped():
    allocation = allocate(amount=D("300.00"), dues=TWO_OVERDUE)

    assert allocation.allocated == D("228.00")  # everything owed on both installments
    assert allocation.overpayment == D("72.00")


def test_no_dues_makes_the_whole_payment_an_overpayment():
    allocation = allocate(amount=D("50.00"), dues=[])

    assert (allocation.parts, allocation.overpayment) == ((), D("50.00"))


def test_parts_per_installment():
    allocation = allocate(amount=D("120.00"), dues=TWO_OVERDUE)

    assert allocation.for_installment(2) == {PENALTY: D("3.00"), FEE: D("2.00"), INTEREST: D("2.00"), PRINCIPAL: D("0")}


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"amount": D("0")}, InvalidAmount),
        ({"amount": D("-5.00")}, InvalidAmount),
        ({"amount": 5.0}, InvalidAmount),
        ({"amount": D("5.001")}, InvalidAmount),
        ({"strategy": "NEWEST_FIRST"}, UnknownAllocationStrategy),
        ({"dues": [TWO_OVERDUE[0], TWO_OVERDUE[0]]}, InvalidInput),
        ({"dues": [Due(number=1, due_date=date(2024, 1, 1), interest=D("-1.00"))]}, InvalidAmount),
        ({"dues": [AllocatedPart(number=1, component=PENALTY, amount=D("1.00"))]}, InvalidInput),
    ],
)
def test_allocation_refuses_bad_input(arguments, error):
    values = {"amount": D("100.00"), "dues": TWO_OVERDUE, "strategy": OLDEST_FIRST}
    values.update(arguments)

    with pytest.raises(error):
        allocate(**values)


money = st.integers(min_value=0, max_value=10_000_000).map(lambda cents: Decimal(cents).scaleb(-2))
dues_lists = st.lists(
    st.builds(
        lambda number, offset, principal, interest, fee, penalty: Due(
            number=number,
            due_date=date.fromordinal(date(2024, 1, 1).toordinal() + offset),
            principal=principal,
            interest=interest,
            fee=fee,
            penalty=penalty,
        ),
        number=st.integers(min_value=1, max_value=360),
        offset=st.integers(min_value=0, max_value=3000),
        principal=money,
        interest=money,
        fee=money,
        penalty=money,
    ),
    max_size=12,
    unique_by=lambda due: due.number,
)


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(min_value=1, max_value=100_000_000).map(lambda cents: Decimal(cents).scaleb(-2)),
    dues=dues_lists,
    strategy=st.sampled_from(ALLOCATION_STRATEGIES),
)
def test_allocation_conserves_every_fen_and_never_overpays_a_component(amount, dues, strategy):
    allocation = allocate(amount=amount, dues=dues, strategy=strategy)

    assert allocation.allocated + allocation.overpayment == amount
    assert allocation.overpayment >= 0
    owed = {(due.number, component): due.owed(component) for due in dues for component in COMPONENTS}
    paid = {}
    for part in allocation.parts:
        assert part.amount > 0
        paid[(part.number, part.component)] = paid.get((part.number, part.component), D("0")) + part.amount
    assert all(paid[key] <= owed[key] for key in paid)
    total_owed = sum(owed.values(), D("0"))
    assert allocation.overpayment == max(amount - total_owed, D("0"))
