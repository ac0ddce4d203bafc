"""A borrower's payment and close-of-business on the same loan's partition: both land, nothing counted twice.

Real threads on PostgreSQL. One side is held mid-transaction (an Event) while the other starts, so the
overlap is certain, not a matter of timing.
"""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from ledger.selectors import account_balance, trial_balance
from repayment.exceptions import PartitionBusy
from repayment.models import CobStepPartition, InterestAccrual, Loan, Repayment
from repayment.services import cob, cob_date_begin, cob_date_finish, cob_step_run, repayment_request
from repayment.services import cob_steps as steps_module
from repayment.services import repayments as repayments_module
from repayment.services.cob_steps import STEP_NAMES
from tests.repayment.support import business_date_set, close_through, collection_settle, open_loan

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


def _in_thread(target):
    errors = []

    def run():
        try:
            target()
        except Exception as exc:  # surfaced to the test below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _loan_due_on_feb_first():
    business_date_set(date(2024, 1, 1))
    loan = open_loan()
    close_through(date(2024, 1, 31))
    repayment = repayment_request(
        loan_id=loan.pk, amount=D("1100.16"), kind="REGULAR", idempotency_key="concurrent-pay"
    )
    return loan, repayment


def _finish_date(day: date) -> None:
    run = cob_date_begin(business_date=day)
    for step in STEP_NAMES:
        for partition in range(len(run.partitions)):
            cob.cob_step_run_retrying(business_date=day, step=step, partition=partition)
    cob_date_finish(business_date=day)


def test_payment_arriving_while_a_step_holds_the_partition_waits_and_then_lands(monkeypatch):
    loan, repayment = _loan_due_on_feb_first()
    cob_date_begin(business_date=date(2024, 2, 1))
    inside_step, release_step = threading.Event(), threading.Event()
    real_accrue = steps_module.STEPS_BY_NAME["ACCRUE"].run

    def slow_accrue(scope):
        rows = real_accrue(scope)
        inside_step.set()
        release_step.wait(timeout=30)
        return rows

    monkeypatch.setitem(steps_module.STEPS_BY_NAME, "ACCRUE", steps_module.Step("ACCRUE", slow_accrue))
    step_thread, step_errors = _in_thread(
        lambda: cob_step_run(business_date=date(2024, 2, 1), step="ACCRUE", partition=0)
    )
    assert inside_step.wait(timeout=30)
    pay_thread, pay_errors = _in_thread(lambda: collection_settle(repayment))
    pay_thread.join(timeout=1.0)
    waiting = pay_thread.is_alive()  # blocked on the partition's lock, not applied against a half-done close
    release_step.set()
    step_thread.join(timeout=30)
    pay_thread.join(timeout=30)
    monkeypatch.undo()
    _finish_date(date(2024, 2, 1))

    repayment.refresh_from_db()
    loan.refresh_from_db()
    assert waiting
    assert (step_errors, pay_errors) == ([], [])
    assert repayment.status == Repayment.Status.SUCCEEDED
    assert repayment.value_date == date(2024, 2, 2)  # the close of 02-01 had begun: the payment is the next day's
    assert InterestAccrual.objects.filter(loan_id=loan.pk, accrued_on=date(2024, 2, 1)).count() == 1
    assert loan.installments.get(number=1).status == "PAID"
    assert account_balance(account="1132") == D("0.00") + _accrued_own_of_installment_two(loan)
    assert account_balance(account="6011") == D("54.00") + _accrued_own_of_installment_two(loan)
    balance = trial_balance()
    assert balance.debits == balance.credits


def _accrued_own_of_installment_two(loan: Loan) -> Decimal:
    second = loan.installments.get(number=2)
    rows = InterestAccrual.objects.filter(loan_id=loan.pk, installment_id=second.pk)
    return sum(rows.values_list("own_amount", flat=True), D("0.00"))


def test_step_meeting_a_payment_in_flight_is_retried_not_skipped(monkeypatch):
    loan, repayment = _loan_due_on_feb_first()
    monkeypatch.setenv("COB_LOCK_TIMEOUT", "0.2")
    inside_payment, release_payment = threading.Event(), threading.Event()
    real_allocate = repayments_module.allocate

    def slow_allocate(**kwargs):
        inside_payment.set()
        release_payment.wait(timeout=30)
        return real_allocate(**kwargs)

    monkeypatch.setattr(repayments_module, "allocate", slow_allocate)
    pay_thread, pay_errors = _in_thread(lambda: collection_settle(repayment))
    assert inside_payment.wait(timeout=30)
    cob_date_begin(business_date=date(2024, 2, 1))

    with pytest.raises(PartitionBusy):
        cob_step_run(business_date=date(2024, 2, 1), step="ACCRUE", partition=0)
    release_payment.set()
    pay_thread.join(timeout=30)
    _finish_date(date(2024, 2, 1))

    loan.refresh_from_db()
    assert pay_errors == []
    assert CobStepPartition.objects.filter(business_date=date(2024, 2, 1)).count() == len(STEP_NAMES)
    # Paid with value date 02-01 before the close of 02-01 accrued: the payment recognised the rest of the
    # period's interest itself; the retried step found the installment paid and accrued nothing more for it.
    assert InterestAccrual.objects.filter(loan_id=loan.pk, accrued_on=date(2024, 2, 1)).count() == 0
    assert account_balance(account="1132") == D("0.00")
    assert account_balance(account="6011") == D("54.00")
    assert loan.outstanding_principal == D("12000.00") - D("920.16")
