"""Payoff quotes, full and partial prepayment, overpayment held and used, rollover limit (DOMAIN.md §2, §4)."""

from datetime import date
from decimal import Decimal

import pytest

from ledger.selectors import account_balance, trial_balance
from repayment.exceptions import PayoffAmountTooLow, RolloverLimitReached, RolloverNotAllowed
from repayment.models import Installment, Loan, OverpaymentRefund
from repayment.selectors import loan_payoff_quote
from repayment.services import loan_rollover, repayment_request
from tests.repayment.support import business_date_set, close_through, open_loan, pay

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def loan():
    business_date_set(date(2024, 1, 1))
    return open_loan()


def test_payoff_quote_mid_period_is_principal_plus_interest_accrued_to_the_day(loan):
    close_through(date(2024, 1, 20))

    quote = loan_payoff_quote(loan=loan, on=date(2024, 1, 21))

    # 180.00 × 20 / 31 = 116.129… → 116.13; no interest after the payoff date.
    assert (quote.principal, quote.interest, quote.penalty, quote.total) == (
        D("12000.00"),
        D("116.13"),
        D("0.00"),
        D("12116.13"),
    )


def test_payoff_quote_on_a_due_date_bills_the_whole_period(loan):
    quote = loan_payoff_quote(loan=loan, on=date(2024, 2, 1))

    assert quote.total == D("12180.00")


def test_full_prepayment_below_the_quote_is_refused(loan):
    close_through(date(2024, 1, 20))

    with pytest.raises(PayoffAmountTooLow):
        repayment_request(loan_id=loan.pk, amount=D("12000.00"), kind="PREPAYMENT_FULL", idempotency_key="low")


def test_full_prepayment_closes_the_loan_and_clears_our_receivables(loan):
    close_through(date(2024, 1, 20))

    pay(loan, "12116.13", kind="PREPAYMENT_FULL")

    loan.refresh_from_db()
    assert loan.status == Loan.Status.SETTLED
    assert loan.closed_on == date(2024, 1, 21)
    assert not loan.installments.filter(status__in=["PENDING", "DUE"]).exists()
    assert (account_balance(account="1303"), account_balance(account="1132")) == (D("0.00"), D("0.00"))
    assert account_balance(account="6011") == D("34.84")  # our 30% of 116.13: 34.839 → 34.84
    assert account_balance(account="2241.ICBC") == D("0.00") + D("8400.00") + D("81.29") - D("8400.00")


def test_partial_prepayment_that_shortens_the_term_keeps_the_payment(loan):
    close_through(date(2024, 1, 31))
    pay(loan, "1100.16")  # installment 1 on its due date, 02-01
    close_through(date(2024, 2, 1))

    pay(loan, "3000.00", kind="PREPAYMENT_PARTIAL")  # on 02-02: 1 day of interest, the rest principal

    loan.refresh_from_db()
    live = loan.installments.filter(status="PENDING").order_by("due_date")
    stub = loan.installments.get(due_date=date(2024, 2, 2))
    assert stub.interest == D("5.73")  # 166.20 × 1 / 29 = 5.731 → 5.73
    assert stub.principal == D("2994.27")
    assert loan.outstanding_principal == D("12000.00") - D("920.16") - D("2994.27")
    assert live.first().principal + live.first().interest <= D("1100.16")
    assert live.count() < 11
    balance = trial_balance()
    assert balance.debits == balance.credits


def test_partial_prepayment_that_lowers_the_payment_keeps_the_maturity():
    business_date_set(date(2024, 1, 1))
    loan = open_loan(prepayment_mode="LOWER_PAYMENT")
    close_through(date(2024, 1, 31))
    pay(loan, "1100.16")

    pay(loan, "3000.00", kind="PREPAYMENT_PARTIAL")

    live = list(loan.installments.filter(status="PENDING").order_by("due_date"))
    assert len(live) == 11
    assert live[-1].due_date == date(2025, 1, 1)
    assert live[1].principal + live[1].interest < D("1100.16")


def test_overpayment_is_held_then_used_when_the_next_installment_falls_due(loan):
    close_through(date(2024, 1, 31))

    pay(loan, "1200.16")  # 100.00 more than installment 1
    loan.refresh_from_db()
    held = (loan.overpayment_balance, account_balance(account="2202"))
    close_through(date(2024, 3, 1))  # installment 2 falls due: the 100.00 goes to it

    loan.refresh_from_db()
    second = loan.installments.get(number=2)
    assert held == (D("100.00"), D("100.00"))
    assert loan.overpayment_balance == D("0.00")
    assert account_balance(account="2202") == D("0.00")
    assert second.interest_paid + second.principal_paid == D("100.00")


def test_overpayment_left_when_the_loan_settles_is_refunded_through_a_payout(loan):
    close_through(date(2024, 1, 20))

    pay(loan, "12200.00", kind="PREPAYMENT_FULL")

    loan.refresh_from_db()
    refund = OverpaymentRefund.objects.get(loan=loan)
    assert loan.status == Loan.Status.SETTLED
    assert (refund.amount, refund.status) == (D("83.87"), OverpaymentRefund.Status.PENDING)
    assert loan.overpayment_balance == D("83.87")  # released only when the refund payout succeeds


def test_rollover_reschedules_the_principal_and_is_refused_the_third_time(loan):
    close_through(date(2024, 1, 31))
    pay(loan, "1100.16")
    close_through(date(2024, 2, 1))

    loan_rollover(loan_id=loan.pk, term=6)
    loan.refresh_from_db()
    first_maturity = loan.maturity_on
    pay(loan, str(loan.installments.get(due_date=date(2024, 2, 2)).owed))
    loan_rollover(loan_id=loan.pk, term=6)
    with pytest.raises(RolloverLimitReached) as refused:
        loan_rollover(loan_id=loan.pk, term=6)

    loan.refresh_from_db()
    live = loan.installments.filter(status__in=["PENDING", "DUE"])
    assert first_maturity == date(2024, 8, 2)
    assert loan.rollover_count == 2
    assert refused.value.code == "REG_ROLLOVER_LIMIT"
    assert sum(row.principal_unpaid for row in live) == loan.outstanding_principal == D("12000.00") - D("920.16")


def test_rollover_with_interest_overdue_is_refused(loan):
    close_through(date(2024, 2, 5))

    with pytest.raises(RolloverNotAllowed):
        loan_rollover(loan_id=loan.pk, term=6)

    assert Installment.objects.filter(loan=loan, status="CANCELLED").count() == 0
