"""A Celery worker's process is killed (SIGKILL) while it runs a close-of-business step: the task was acknowledged
late, so the broker hands it out again, and the step — idempotent per (date, step, partition) — books once."""

import os
import signal
from contextlib import contextmanager

import pytest

from config.celery import app
from tests.faults.support import (
    CLOSE_OF_DUE_DATE,
    DUE_DATE,
    TableHold,
    broker_purge,
    database_clone,
    due_date_closed,
    play,
    portfolio,
    steps_done,
    trial_balance_difference,
)
from tests.support.processes import wait_until, worker_database_url

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _pids_running(task_name: str) -> list[int]:
    active = app.control.inspect(timeout=1).active() or {}
    return [
        request["worker_pid"] for requests in active.values() for request in requests if request["name"] == task_name
    ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_worker_process_killed_mid_step_books_as_the_fault_free_run(tmp_path):
    portfolio()
    broker_purge()
    url = worker_database_url()
    caught: dict = {}

    @contextmanager
    def kill_the_process_mid_step(worker):
        with TableHold(url, "repayment_installment") as hold:  # MARK_DUE waits here, its transaction open
            yield
            hold.wait_for_writers()
            caught["steps_done"] = steps_done(url, DUE_DATE)
            wait_until(lambda: _pids_running("repayment.tasks.cob_step"), timeout=10, message="the step's process")
            caught["killed"] = _pids_running("repayment.tasks.cob_step")
            for pid in caught["killed"]:
                os.kill(pid, signal.SIGKILL)
            wait_until(lambda: not any(map(_alive, caught["killed"])), timeout=10, message="the processes to die")
            caught["worker_alive"] = worker.poll() is None

    with database_clone() as fault_free_url:
        expected = play(
            fault_free_url,
            tmp_path / "fault-free",
            name="fault-free",
            tasks=CLOSE_OF_DUE_DATE,
            until=due_date_closed,
            prefork=True,
        )
    recovered = play(
        url,
        tmp_path / "faulty",
        name="faulty",
        tasks=CLOSE_OF_DUE_DATE,
        until=due_date_closed,
        fault=kill_the_process_mid_step,
        prefork=True,
    )

    assert caught["steps_done"] == {"ACCRUE"}
    assert caught["killed"]
    assert caught["worker_alive"]  # the pool replaced its child; the task went back to the queue
    assert recovered.books == expected.books
    assert recovered.paid == expected.paid
    assert set(recovered.moves_per_serial.values()) == {1}
    assert trial_balance_difference(recovered.books) == 0
    assert len(expected.books["orders"]) == 3
