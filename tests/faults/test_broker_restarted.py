"""The Redis broker is killed and started again while tasks wait in its queues with no worker running: the
append-only file brings them back, a worker then runs each of them once, and the books are a fault-free run's."""

import pytest

from tests.faults.support import (
    CLOSE_OF_DUE_DATE,
    RedisServer,
    broker_purge,
    celery_app_on,
    celery_connections_drop,
    database_clone,
    due_date_closed,
    fetch,
    play,
    portfolio,
    send,
    trial_balance_difference,
)
from tests.payments.factories import new_payout
from tests.support.processes import worker_database_url

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _closed_and_paid_out(url: str) -> bool:
    (in_flight,) = fetch(url, "SELECT count(*) FROM payments_paymentorder WHERE state NOT IN ('SUCCEEDED', 'FAILED')")
    return due_date_closed(url) and in_flight == (0,)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def test_broker_restarted_with_tasks_queued_runs_each_once_and_books_as_the_fault_free_run(tmp_path, redis_server):
    portfolio()
    payouts = [new_payout(f"faults-broker-{n}", amount) for n, amount in enumerate(("1200.00", "640.10"))]
    broker_purge()
    tasks = [*CLOSE_OF_DUE_DATE, *(("payments.order_submit", {"order_id": o.pk}, "payments") for o in payouts)]
    url = worker_database_url()

    with celery_app_on(redis_server.url):
        with database_clone() as fault_free_url:
            expected = play(
                fault_free_url,
                tmp_path / "fault-free",
                name="fault-free",
                tasks=tasks,
                until=_closed_and_paid_out,
                broker_url=redis_server.url,
            )
        send(tasks)  # no worker: they wait in the broker
        queued = (redis_server.queued("cob"), redis_server.queued("payments"))
        redis_server.kill()
        redis_server.start()
        celery_connections_drop()  # this test process's own pooled connections died with the server
        queued_after_restart = (redis_server.queued("cob"), redis_server.queued("payments"))
        recovered = play(
            url, tmp_path / "faulty", name="faulty", tasks=[], until=_closed_and_paid_out, broker_url=redis_server.url
        )

    assert queued == queued_after_restart == (1, 2)
    assert recovered.books == expected.books
    assert recovered.paid == expected.paid
    assert len(recovered.paid) == 5  # two payouts, three auto-debits
    assert set(recovered.moves_per_serial.values()) == {1}
    assert trial_balance_difference(recovered.books) == 0
