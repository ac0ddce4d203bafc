"""PostgreSQL drops the worker's connection in the middle of a close-of-business step and in the middle of
allocating a repayment: after the retry the books and the orders are those of a run without the fault."""

from contextlib import contextmanager
from decimal import Decimal

import pytest

from repayment.services import repayment_request
from tests.faults.support import (
    CLOSE_OF_DUE_DATE,
    DUE_DATE,
    TableHold,
    broker_purge,
    database_clone,
    due_date_closed,
    fetch,
    play,
    portfolio,
    steps_done,
    trial_balance_difference,
)
from tests.support.processes import worker_database_url

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_connection_dropped_mid_close_of_business_books_as_the_fault_free_run(tmp_path):
    portfolio()
    broker_purge()
    url = worker_database_url()
    caught: dict = {}

    @contextmanager
    def drop_connection_mid_step(worker):
        # ACCRUE only inserts; MARK_DUE is the first step to update instalments: it waits here with its
        # transaction open, the accruals of the date already committed by the step before.
        with TableHold(url, "repayment_installment") as hold:
            yield
            caught["backends"] = hold.wait_for_writers()
            caught["steps_done"] = steps_done(url, DUE_DATE)
            hold.terminate(caught["backends"])

    with database_clone() as fault_free_url:
        expected = play(
            fault_free_url, tmp_path / "fault-free", name="fault-free", tasks=CLOSE_OF_DUE_DATE, until=due_date_closed
        )
    recovered = play(
        url,
        tmp_path / "faulty",
        name="faulty",
        tasks=CLOSE_OF_DUE_DATE,
        until=due_date_closed,
        fault=drop_connection_mid_step,
    )

    assert caught["steps_done"] == {"ACCRUE"}  # caught mid-close: one step done, the next one half-way
    assert recovered.books == expected.books
    assert recovered.paid == expected.paid
    assert set(recovered.moves_per_serial.values()) == {1}
    assert trial_balance_difference(recovered.books) == 0
    assert len(expected.books["orders"]) == 3  # the three auto-debits were collected: there was money to compare


def _repayment_settled(url: str) -> bool:
    return bool(fetch(url, "SELECT 1 FROM repayment_repayment WHERE source = 'BORROWER' AND status <> 'PENDING'"))


def test_connection_dropped_mid_repayment_allocation_books_as_the_fault_free_run(tmp_path):
    loans = portfolio()
    repayment = repayment_request(
        loan_id=loans[1].pk, amount=Decimal("900.00"), kind="REGULAR", idempotency_key="faults-borrower-pays"
    )
    broker_purge()
    url = worker_database_url()
    submit = [("payments.order_submit", {"order_id": repayment.payment_order_id}, "payments")]
    caught: dict = {}

    @contextmanager
    def drop_connection_mid_allocation(worker):
        # The settlement handler writes the loan's REPAID event last: it waits there with the allocation,
        # the instalments and the repayment journal done in its open transaction.
        with TableHold(url, "repayment_loanevent") as hold:
            yield
            caught["backends"] = hold.wait_for_writers()
            caught["posted_before_the_drop"] = fetch(
                url, "SELECT count(*) FROM ledger_journal WHERE kind = 'LOAN_REPAYMENT'"
            )
            hold.terminate(caught["backends"])

    with database_clone() as fault_free_url:
        expected = play(
            fault_free_url, tmp_path / "fault-free", name="fault-free", tasks=submit, until=_repayment_settled
        )
    recovered = play(
        url,
        tmp_path / "faulty",
        name="faulty",
        tasks=submit,
        until=_repayment_settled,
        fault=drop_connection_mid_allocation,
    )

    assert caught["posted_before_the_drop"] == [(0,)]  # nothing of the allocation was committed when the line dropped
    assert recovered.books == expected.books
    assert recovered.paid == expected.paid == [("COLLECTION", "900.00", loans[1].debit_account)]
    assert set(recovered.moves_per_serial.values()) == {1}
    assert trial_balance_difference(recovered.books) == 0
    assert [r[4] for r in recovered.books["repayments"]] == ["SUCCEEDED"]
