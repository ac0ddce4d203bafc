"""SIGKILL the worker between submit and record (PAYMENTS_CRASH_POINT), restart: exactly one payout."""

import pytest

from payments.models import PaymentOrder, PaymentOrderEvent
from payments.services._queue import QUEUE
from payments.tasks import recovery_sweep_task
from tests.payments.conftest import payments_worker
from tests.payments.factories import new_payout
from tests.support.processes import wait_until


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("crash_point", "recovered_by", "paid_before_restart"),
    [
        ("after_submit_before_record", "QUERY", 1),  # the bank paid; we never heard: ask, do not resend
        ("after_record_before_submit", "RECOVERY", 0),  # recorded, never sent: 404, then the same serial again
    ],
)
def test_a_worker_killed_mid_submission_pays_exactly_once_after_restart(
    crash_point, recovered_by, paid_before_restart, start_simulator, channel_settings
):
    simulator = start_simulator()
    channel_env = {**channel_settings(simulator), "PAYMENTS_CALLBACK_BASE_URL": "http://127.0.0.1:9"}  # no callbacks
    with payments_worker(channel_env, concurrency=2, crash_point=crash_point) as doomed:
        order = new_payout(f"crash-{crash_point}", "888.00")
        wait_until(lambda: doomed.poll() is not None, timeout=60, message="the worker to kill itself")
    order.refresh_from_db()
    assert doomed.returncode == -9
    assert order.state == "SUBMITTED"
    assert len(simulator.movements()) == paid_before_restart

    with payments_worker(channel_env, concurrency=2):
        recovery_sweep_task.apply_async(queue=QUEUE)
        wait_until(lambda: PaymentOrder.objects.get(pk=order.pk).state == "SUCCEEDED", timeout=60, message="recovery")

    assert [m["serial"] for m in simulator.movements()] == [order.channel_serial]
    assert [o["received_count"] for o in simulator.orders()] == [1]
    last = PaymentOrderEvent.objects.filter(order=order).last()
    assert (last.from_state, last.to_state, last.source) == ("SUBMITTED", "SUCCEEDED", recovered_by)
