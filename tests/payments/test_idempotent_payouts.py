"""One idempotency key, one effect: 50 concurrent requests, one order, one payout at the bank."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from payments.exceptions import IdempotencyConflict
from payments.models import PaymentOrder
from tests.payments.conftest import payments_worker
from tests.payments.factories import new_payout
from tests.support.processes import wait_until

REQUESTS = 50


def disburse(amount: str = "3000.00") -> PaymentOrder:
    return new_payout("contract-77-disbursement", amount, reference="contract-77")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_requests_with_one_key_make_one_order_and_one_payout(start_simulator, channel_settings):
    simulator = start_simulator()
    start = threading.Barrier(REQUESTS)

    def request(_):
        start.wait()
        try:
            return disburse().pk
        finally:
            connection.close()

    with payments_worker(channel_settings(simulator), concurrency=4):
        with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
            order_ids = set(pool.map(request, range(REQUESTS)))
        wait_until(lambda: PaymentOrder.objects.get().is_final, timeout=60, message="the payout to settle")

    order = PaymentOrder.objects.get()
    assert order_ids == {order.pk}
    assert order.state == "SUCCEEDED"
    assert [m["serial"] for m in simulator.movements()] == [order.channel_serial]
    assert [o["received_count"] for o in simulator.orders()] == [1]
    with pytest.raises(IdempotencyConflict):
        disburse(amount="3000.01")
