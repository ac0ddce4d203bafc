"""The bank channel goes down while orders are in flight and comes back a while later: what it had received it
paid once, what it never received is sent again under the same serial, and every order ends as it would have."""

from decimal import Decimal

import pytest

from payments.models import PaymentOrder
from repayment.services import repayment_request
from tests.faults.support import (
    BeatSweeps,
    books,
    broker_purge,
    database_clone,
    fetch,
    free_port,
    movements_by_serial,
    paid_out,
    play,
    portfolio,
    run_until_settled,
    send,
    simulator_at,
    trial_balance_difference,
    worker_on,
)
from tests.payments.factories import new_payout
from tests.support.processes import wait_until, worker_database_url

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _orders_final(url: str) -> bool:
    (open_orders,) = fetch(url, "SELECT count(*) FROM payments_paymentorder WHERE state NOT IN ('SUCCEEDED', 'FAILED')")
    return open_orders == (0,)


def _orders_in_flight_and_asked(url: str) -> bool:
    """Every order was tried while the bank was down: none still CREATED, each unfinished one queried at least once."""
    ((created, unasked),) = fetch(
        url,
        """SELECT count(*) FILTER (WHERE state = 'CREATED'),
                  count(*) FILTER (WHERE state IN ('SUBMITTED', 'PROCESSING') AND query_attempts = 0)
           FROM payments_paymentorder""",
    )
    return created == 0 and unasked == 0


def test_bank_down_for_a_while_then_back_pays_each_order_once_and_books_as_the_fault_free_run(tmp_path):
    loans = portfolio()
    payouts = [new_payout(f"faults-payout-{n}", amount) for n, amount in enumerate(("1000.00", "2500.50", "88.88"))]
    repayments = [
        repayment_request(loan_id=loan.pk, amount=Decimal("300.00"), kind="REGULAR", idempotency_key=f"faults-{n}")
        for n, loan in enumerate(loans[:2])
    ]
    broker_purge()
    order_ids = [order.pk for order in payouts] + [repayment.payment_order_id for repayment in repayments]
    first, then = order_ids[:3], order_ids[3:]
    submit = [("payments.order_submit", {"order_id": order_id}, "payments") for order_id in order_ids]

    with database_clone() as fault_free_url:
        expected = play(fault_free_url, tmp_path / "fault-free", name="fault-free", tasks=submit, until=_orders_final)

    url = worker_database_url()
    port, bank_dir = free_port(), tmp_path / "bank"
    with simulator_at(bank_dir, port) as bank, worker_on(url, bank, name="faulty") as worker:
        send([("payments.order_submit", {"order_id": order_id}, "payments") for order_id in first])
        wait_until(lambda: bank.movements(), timeout=30, message="the bank to move the first money")
        bank.process.kill()  # the bank goes down with orders in flight
        bank.process.wait()
        send([("payments.order_submit", {"order_id": order_id}, "payments") for order_id in then])
        wait_until(lambda: _orders_in_flight_and_asked(url), timeout=30, message="every order tried while down")
        while_down = dict(PaymentOrder.objects.filter(pk__in=order_ids).values_list("pk", "state"))
        with simulator_at(bank_dir, port) as bank_again:  # the same bank, back on the same address
            run_until_settled(url, until=_orders_final, kick=BeatSweeps())
            recovered_books, recovered_paid = books(url), paid_out(bank_again)
            moves = movements_by_serial(bank_again)
        assert worker.poll() is None

    # Sent to a dead address: the outcome is unknown (in flight, to be asked), never a failure.
    assert {while_down[pk] for pk in then} <= {"SUBMITTED", "PROCESSING"}
    assert recovered_books == expected.books
    assert recovered_paid == expected.paid
    assert len(recovered_paid) == len(order_ids)
    assert set(moves.values()) == {1}  # no serial moved twice: no double payout
    assert set(PaymentOrder.objects.values_list("state", flat=True)) == {"SUCCEEDED"}
    assert trial_balance_difference(recovered_books) == 0
