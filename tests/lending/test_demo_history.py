"""The demo history (lending/demo_history.py): a couple of months of loans through the real services, the
payment core, the bank-channel simulator and close-of-business — and the books balance at the end."""

import random
from collections import Counter
from datetime import date
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command

from ledger.selectors import trial_balance
from lending.demo_history import behaviour_draw, demo_history_build
from lending.models import Application, Contract
from payments.models import PaymentOrder
from repayment.models import BusinessDate, Loan
from risk_models.models import DecisionFact, IndicatorRun, LoanOrigination, LoanPerformanceSnapshot

from .scorecards import activate_demo_scorecard

END = date(2024, 3, 31)


@pytest.fixture
def demo_setup(transactional_db):
    """seed_demo's products, partners and staff, with the demo card trained once per test process."""
    with mock.patch("lending.management.commands.seed_demo.scorecard_demo_ensure", activate_demo_scorecard):
        call_command("seed_demo", "--loans", "0", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_two_months_of_history_run_through_the_services_and_the_books_balance(demo_setup):
    figures = demo_history_build(loans=12, seed=3, months=2, end=END)

    assert figures["built"] is True
    assert figures["loans"] == 12
    loans = Loan.objects.all()
    assert loans.count() == 12
    # every loan was paid out by the payment core through the bank simulator, and is linked to its decision
    payouts = PaymentOrder.objects.filter(kind="PAYOUT", purpose="LOAN_DISBURSEMENT", state="SUCCEEDED")
    assert set(payouts.values_list("pk", flat=True)) >= set(loans.values_list("payout_order_id", flat=True))
    assert LoanOrigination.objects.count() == 12
    assert DecisionFact.objects.count() == Application.objects.count() >= 12
    # each loan was disbursed on a business day of the history, and closed every night since
    assert all(date(2024, 2, 1) <= loan.disbursed_on <= END for loan in loans)
    assert BusinessDate.objects.get().business_date == END
    assert LoanPerformanceSnapshot.objects.filter(snapshot_date=END).exists()
    # borrowers paid: collections went through the payment core too
    assert PaymentOrder.objects.filter(kind="COLLECTION", state="SUCCEEDED").exists()
    assert IndicatorRun.objects.filter(as_of=END).exists()
    books = trial_balance()
    assert books.debits == books.credits


@pytest.mark.django_db(transaction=True)
def test_a_second_build_changes_nothing(demo_setup):
    demo_history_build(loans=3, seed=3, months=1, end=END)
    contracts = Contract.objects.count()

    again = demo_history_build(loans=3, seed=3, months=1, end=END)

    assert again == {"loans": 3, "built": False}
    assert Contract.objects.count() == contracts


def test_behaviour_worsens_as_pd_rises():
    rng = random.Random(11)

    def kinds(pd: str) -> Counter:
        return Counter(behaviour_draw(pd=Decimal(pd), term=6, rng=rng).kind for _ in range(4000))

    safe, risky = kinds("0.02"), kinds("0.30")

    assert risky["DEFAULT"] > 5 * safe["DEFAULT"]
    assert risky["LATE"] > 5 * safe["LATE"]
    assert safe["ON_TIME"] > risky["ON_TIME"]
    assert safe["PREPAY"] > 0
    assert risky["PREPAY"] > 0
