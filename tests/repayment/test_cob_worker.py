"""A real Celery worker on Redis runs a partitioned close-of-business: the steps fan out per partition as chords."""

from datetime import date

import pytest

from repayment.models import BusinessDate, CobRun, CobStepPartition, InterestAccrual
from repayment.services.cob_steps import STEP_NAMES
from repayment.tasks import cob_run_async
from tests.repayment.support import business_date_set, open_loan
from tests.support.processes import celery_worker, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_closes_two_missed_dates_over_three_partitions(monkeypatch):
    monkeypatch.setenv("COB_PARTITION_SIZE", "2")
    business_date_set(date(2024, 1, 1))
    loans = [open_loan(borrower_id=n) for n in range(5)]  # ids span three buckets of two
    target = date(2024, 1, 3)

    with celery_worker(queues="cob,celery", concurrency=2, extra_env={"COB_PARTITION_SIZE": "2"}):
        dates = cob_run_async(target=target)
        wait_until(
            lambda: CobRun.objects.filter(business_date=target, status=CobRun.Status.COMPLETED).exists(),
            timeout=120,
            message="close-of-business of 2024-01-03 on the worker",
        )

    run = CobRun.objects.get(business_date=target)
    buckets = {loan.pk // 2 for loan in loans}
    assert dates == [date(2024, 1, 2), target]
    assert len(run.partitions) == len(buckets) >= 3
    assert CobStepPartition.objects.filter(business_date=target).count() == len(buckets) * len(STEP_NAMES)
    assert set(run.steps) == set(STEP_NAMES)
    assert InterestAccrual.objects.filter(accrued_on__in=dates).count() == 2 * len(loans)
    assert BusinessDate.objects.get().business_date == target
