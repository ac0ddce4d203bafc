"""The settlement outbox: final state and outbox row commit together; handlers run outside, effectively once."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from payments import handlers, services
from payments.exceptions import DuplicateSettlementHandler
from payments.models import PaymentOrder, SettlementOutbox
from payments.services import orders as order_services
from tests.payments.factories import new_payout
from tests.payments.fakes import FAILURE, SUCCESS

FLAKY = {"failures_left": 0, "calls": []}


def flaky_handler(order):
    FLAKY["calls"].append((order.order_id, order.state))
    if FLAKY["failures_left"]:
        FLAKY["failures_left"] -= 1
        raise RuntimeError("the loan book is down")


@pytest.fixture
def flaky():
    handlers.register_settlement_handler("TEST_FLAKY", flaky_handler)
    FLAKY.update(failures_left=0, calls=[])
    return FLAKY


def settled_payout(*, key="outbox-1", purpose="TEST_PAYOUT", fail=False, channel=None) -> PaymentOrder:
    order = new_payout(key, "42.00", purpose=purpose, reference="contract-42")
    if fail:
        channel.submit_answers.append(FAILURE)
    services.order_submit(order_id=order.pk)
    order.refresh_from_db()
    return order


@pytest.mark.django_db
def test_the_handler_receives_the_settled_order(captured_tasks, channel, settled_here):
    order = settled_payout(fail=True, channel=channel)

    [settled] = settled_here

    assert settled == handlers.SettledOrder(
        order_id=order.pk,
        kind="PAYOUT",
        purpose="TEST_PAYOUT",
        reference="contract-42",
        amount=Decimal("42.00"),
        state="FAILED",
        channel="BANK_SIM",
        channel_serial=order.channel_serial,
        settled_at=order.finalized_at,
        idempotency_key="outbox-1",
    )


@pytest.mark.django_db
def test_a_delivered_row_is_not_delivered_again(captured_tasks, channel, settled_here):
    order = settled_payout()
    row = SettlementOutbox.objects.get(order=order)

    again = handlers.outbox_deliver(outbox_id=row.pk)

    assert again is False
    assert len(settled_here) == 1


@pytest.mark.django_db
def test_a_failing_handler_leaves_the_row_pending_until_a_later_attempt_succeeds(captured_tasks, channel, flaky):
    flaky["failures_left"] = 1
    order = settled_payout(purpose="TEST_FLAKY")
    row = SettlementOutbox.objects.get(order=order)
    assert (row.delivered_at, row.attempts) == (None, 1)
    assert "the loan book is down" in row.last_error
    assert row.next_attempt_at is not None

    delivered = handlers.outbox_deliver(outbox_id=row.pk)

    row.refresh_from_db()
    assert delivered is True
    assert row.delivered_at is not None
    assert row.last_error == ""
    assert flaky["calls"] == [(order.pk, "SUCCEEDED"), (order.pk, "SUCCEEDED")]


@pytest.mark.django_db
def test_a_purpose_without_a_handler_stays_pending_and_says_why(captured_tasks, channel):
    order = settled_payout(purpose="NOBODY_LISTENS")

    row = SettlementOutbox.objects.get(order=order)

    assert row.delivered_at is None
    assert "no settlement handler registered for NOBODY_LISTENS" in row.last_error


@pytest.mark.django_db
def test_a_reversal_waits_for_the_success_it_reverses(captured_tasks, channel, flaky):
    flaky["failures_left"] = 1
    order = settled_payout(purpose="TEST_FLAKY")  # the SUCCEEDED delivery failed once
    services.order_reverse(order_id=order.pk, reason="returned by the bank")
    reversal = SettlementOutbox.objects.get(order=order, state="REVERSED")

    first_try = handlers.outbox_deliver(outbox_id=reversal.pk)
    success = SettlementOutbox.objects.get(order=order, state="SUCCEEDED")
    handlers.outbox_deliver(outbox_id=success.pk)
    assert captured_tasks["deliver"][-1] == reversal.pk  # the success's delivery sends the reversal on
    second_try = handlers.outbox_deliver(outbox_id=reversal.pk)

    assert (first_try, second_try) == (False, True)
    assert flaky["calls"] == [(order.pk, "SUCCEEDED"), (order.pk, "SUCCEEDED"), (order.pk, "REVERSED")]


@pytest.mark.django_db
def test_the_sweep_enqueues_rows_that_are_due_again(captured_tasks, channel, flaky, settings):
    settings.PAYMENTS_OUTBOX_RETRY_AFTER = "0"
    flaky["failures_left"] = 1
    order = settled_payout(purpose="TEST_FLAKY")
    row = SettlementOutbox.objects.get(order=order)
    SettlementOutbox.objects.filter(pk=row.pk).update(created_at=row.created_at.replace(year=2020))

    services.outbox_redeliver()

    assert captured_tasks["deliver"] == [row.pk]


def test_a_purpose_has_one_handler():
    handlers.register_settlement_handler("TEST_ONE_HANDLER", flaky_handler)

    with pytest.raises(DuplicateSettlementHandler):
        handlers.register_settlement_handler("TEST_ONE_HANDLER", lambda order: None)


@pytest.mark.django_db(transaction=True)
def test_ten_workers_delivering_one_row_at_once_run_the_handler_once(captured_tasks, channel, settled_here):
    order = new_payout("outbox-race", "42.00")
    order_services._submission_record(order_id=order.pk)
    # recorded by one worker, which died before delivering: now several try at once
    order, row_id = order_services._answer_record(order_id=order.pk, answer=SUCCESS, source="SUBMIT", attempt=0)
    start = threading.Barrier(10)

    def deliver(_):
        start.wait()
        try:
            return handlers.outbox_deliver(outbox_id=row_id)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(deliver, range(10)))

    assert results.count(True) == 1
    assert [s.order_id for s in settled_here] == [order.pk]
