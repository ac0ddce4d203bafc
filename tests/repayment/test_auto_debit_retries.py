"""Auto-debit (代扣) on the due date, then again only on the retry days past due (repayment.conf), not daily."""

from datetime import date, timedelta

import pytest
from django.test import override_settings

from repayment.models import Repayment
from tests.repayment.support import business_date_set, close_through, collection_settle, open_loan

pytestmark = pytest.mark.django_db

FIRST_DUE = date(2024, 2, 1)


def debit_days_while_the_account_stays_empty(loan, through: date) -> list[int]:
    """Close day by day; every auto-debit fails at the bank. Returns the DPD of each day a debit was asked."""
    days = []
    day = FIRST_DUE - timedelta(days=1)
    close_through(day)
    while day < through:
        day += timedelta(days=1)
        close_through(day)
        for debit in Repayment.objects.filter(loan=loan, source=Repayment.Source.AUTO_DEBIT, status="PENDING"):
            days.append((debit.debit_on - FIRST_DUE).days)
            collection_settle(debit, state="FAILED")
    return days


def test_an_empty_account_is_debited_on_the_due_date_and_the_retry_days_only():
    business_date_set(date(2024, 1, 1))
    loan = open_loan()

    with override_settings(AUTO_DEBIT_RETRY_DPD="1,3,7"):
        days = debit_days_while_the_account_stays_empty(loan, FIRST_DUE + timedelta(days=12))

    assert days == [0, 1, 3, 7]


def test_the_default_retries_thin_out_after_the_first_days():
    business_date_set(date(2024, 1, 1))
    loan = open_loan()

    days = debit_days_while_the_account_stays_empty(loan, FIRST_DUE + timedelta(days=28))

    # the next installment falls due on 03-01 (DPD 29, outside this window)
    assert days == [0, 1, 2, 3, 5, 7, 10, 14, 21]
