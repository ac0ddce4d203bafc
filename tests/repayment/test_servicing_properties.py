"""Hypothesis: random sequences of payments (on time, late, partial, over, prepayment) and close-of-business
days keep the servicing invariants (DOMAIN.md §10): outstanding principal = principal − Σ principal paid,
Σ allocations = Σ payments, funder splits sum exactly, our share on the books, ledger balanced."""

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.selectors import account_balance, trial_balance
from repayment.models import (
    Installment,
    InstallmentShare,
    Loan,
    LoanFunding,
    Repayment,
    RepaymentAllocation,
)
from repayment.selectors import business_date_current, loan_payoff_quote
from repayment.services.repayments import OPEN
from tests.repayment.support import business_date_set, close_through, open_loan, pay

D = Decimal
CENT = D("0.01")
_worlds = count()

actions = st.lists(
    st.one_of(
        st.tuples(st.just("cob"), st.integers(min_value=1, max_value=15)),
        st.tuples(st.just("pay_due"), st.just(0)),
        st.tuples(st.just("pay_part"), st.integers(min_value=1, max_value=99)),
        st.tuples(st.just("pay_over"), st.integers(min_value=1, max_value=50_000)),
        st.tuples(st.just("prepay_part"), st.integers(min_value=1, max_value=300_000)),
        st.tuples(st.just("prepay_full"), st.just(0)),
    ),
    min_size=3,
    max_size=9,
)


def _owed_now(loan: Loan) -> Decimal:
    on = business_date_current() + timedelta(days=1)
    rows = loan.installments.filter(status__in=OPEN, due_date__lte=on)
    return sum((row.owed for row in rows), D("0.00"))


def _act(loan: Loan, action: str, value: int) -> None:
    loan.refresh_from_db()
    if loan.status != Loan.Status.ACTIVE:
        return
    on = business_date_current() + timedelta(days=1)
    if action == "cob":
        close_through(business_date_current() + timedelta(days=value))
        return
    owed = _owed_now(loan)
    quote = loan_payoff_quote(loan=loan, on=on).total
    if action == "pay_due" and owed > 0:
        pay(loan, str(owed))
    elif action == "pay_part" and owed > CENT:
        pay(loan, str(max((owed * value / 100).quantize(CENT), CENT)))
    elif action == "pay_over":
        pay(loan, str(owed + D(value) / 100))
    elif action == "prepay_part":
        amount = owed + D(value) / 100
        if amount < quote:
            pay(loan, str(amount), kind="PREPAYMENT_PARTIAL")
    elif action == "prepay_full":
        pay(loan, str(quote), kind="PREPAYMENT_FULL")


def _check_invariants(loan: Loan, *, ledger_before: dict) -> None:
    loan.refresh_from_db()
    allocations = RepaymentAllocation.objects.filter(repayment__loan=loan)
    succeeded = Repayment.objects.filter(loan=loan, status=Repayment.Status.SUCCEEDED)
    paid_principal = allocations.filter(component="PRINCIPAL").aggregate(s=Sum("amount"))["s"] or D("0")
    # Outstanding principal is what was lent less what was repaid.
    assert loan.outstanding_principal == loan.principal - paid_principal
    # Every payment is allocated to the fen (overpayment rows included): no money created or lost.
    assert (allocations.aggregate(s=Sum("amount"))["s"] or D("0")) == (
        succeeded.aggregate(s=Sum("amount"))["s"] or D("0")
    )
    for repayment in succeeded:
        assert repayment.allocations.aggregate(s=Sum("amount"))["s"] == repayment.amount
    # Funder splits sum exactly to each installment's parts, and no funder is repaid more than it lent.
    by_installment = defaultdict(lambda: [D("0")] * 6)
    for share in InstallmentShare.objects.filter(installment__loan=loan):
        sums = by_installment[share.installment_id]
        for index, value in enumerate(
            (share.principal, share.interest, share.principal_paid, share.interest_paid, share.penalty_paid)
        ):
            sums[index] += value
    for installment in loan.installments.exclude(status=Installment.Status.CANCELLED):
        sums = by_installment[installment.pk]
        assert sums[:5] == [
            installment.principal,
            installment.interest,
            installment.principal_paid,
            installment.interest_paid,
            installment.penalty_paid,
        ]
    fundings = LoanFunding.objects.filter(loan=loan)
    assert sum(f.outstanding_principal for f in fundings) == loan.outstanding_principal
    assert all(0 <= f.outstanding_principal <= f.funded_principal for f in fundings)
    # Our share on the books: 1303 moves with our outstanding principal; 2202 holds the overpayment.
    own = fundings.get(is_own=True)
    assert account_balance(account="1303") - ledger_before["1303"] == own.outstanding_principal
    assert account_balance(account="2202") - ledger_before["2202"] == loan.overpayment_balance
    balance = trial_balance()
    assert balance.debits == balance.credits


@pytest.mark.django_db
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=actions,
    method=st.sampled_from(["EQUAL_INSTALLMENT", "EQUAL_PRINCIPAL", "INTEREST_ONLY"]),
    mode=st.sampled_from(["SHORTEN_TERM", "LOWER_PAYMENT"]),
    strategy=st.sampled_from(["PENALTY_INTEREST_PRINCIPAL", "OLDEST_FIRST", "INTEREST_PRINCIPAL_PENALTY"]),
)
def test_random_payments_and_closes_keep_the_servicing_invariants(steps, method, mode, strategy):
    # Each example lives in its own years, so the close-of-business records of earlier examples never apply.
    start = date(2030, 1, 1) + timedelta(days=400 * next(_worlds))
    # Examples share one database transaction: close the earlier examples' loans so that this example's
    # close-of-business sees only its own loan.
    Loan.objects.filter(status=Loan.Status.ACTIVE).update(status=Loan.Status.SETTLED)
    business_date_set(start)
    ledger_before = {"1303": account_balance(account="1303"), "2202": account_balance(account="2202")}
    loan = open_loan(
        principal="3000.00",
        term=6,
        method=method,
        disbursed_on=start,
        prepayment_mode=mode,
        allocation_strategy=strategy,
        partners=(("ICBC", "0.45"), ("CMB", "0.25")),
    )

    for action, value in [("cob", 20), *steps]:
        _act(loan, action, value)
        _check_invariants(loan, ledger_before=ledger_before)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cents=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=4).filter(lambda w: sum(w) > 0),
    own=st.integers(min_value=300, max_value=1000),
)
def test_sql_split_of_our_share_matches_colending_split_amount(cents, weights, own):
    """Close-of-business books our share of penalty with repayment_split_first in SQL; it must be the same
    largest-remainder rule as repayment.colending.split_amount, to the fen."""
    from django.db import connection

    from repayment.colending import split_amount

    total = sum(weights)
    partners = [D(own) * 0 + (D(1000 - own) * w / total / 1000).quantize(D("0.000001")) for w in weights]
    shares = [D(own) / 1000, *partners[:-1], D(1) - D(own) / 1000 - sum(partners[:-1])]
    if shares[-1] < 0:
        return
    amount = D(cents) / 100
    with connection.cursor() as cursor:
        cursor.execute("SELECT repayment_split_first(%s, %s::jsonb)", [amount, json.dumps([str(s) for s in shares])])
        (ours,) = cursor.fetchone()

    assert ours == split_amount(amount=amount, shares=shares)[0]
