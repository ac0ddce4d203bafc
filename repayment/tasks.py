"""Close-of-business on Celery: each task loads ids, calls one service, and retries on transient errors.

A date's close is a chain of chords: ``cob_date_start`` (begin: business date, partitions) → for each step a
chord of ``cob_step`` tasks, one per partition (queue ``cob``), whose callback ``cob_step_fan_out`` starts the
next step's chord → ``cob_date_end`` (finish; then the next missed date, if any). A step task whose partition a
borrower's payment holds is retried with back-off, never skipped; a redelivered task finds its
(date, step, partition) done and does nothing.
"""

import logging
from datetime import date, timedelta

from celery import chord, group, shared_task
from django.db.utils import OperationalError
from django.utils import timezone

from .exceptions import PartitionBusy
from .models import CobRun
from .selectors import business_date_current
from .services import auto_debits_dispatch, cob_date_begin, cob_date_finish, cob_dates_pending, cob_step_run
from .services.cob_steps import STEP_NAMES

logger = logging.getLogger(__name__)
QUEUE = "cob"


@shared_task(name="repayment.tasks.cob_nightly", ignore_result=True)
def cob_nightly() -> None:
    """Beat's nightly trigger: close every date up to the day that just ended (the one place the clock is read)."""
    target = timezone.localdate() - timedelta(days=1)
    current = business_date_current()
    if current is not None and current >= target:
        # Nothing new to close; an interrupted close of the business date itself is resumed.
        last = CobRun.objects.filter(business_date=current).first()
        if last is not None and last.status == CobRun.Status.RUNNING:
            cob_run_async(target=current)
        return
    cob_run_async(target=target)


def cob_run_async(*, target: date) -> list[date]:
    """Start the close of every pending date up to ``target`` on the workers; returns the dates it will close."""
    dates = cob_dates_pending(target=target)
    if dates:
        cob_date_start.apply_async(kwargs={"day": dates[0].isoformat(), "target": target.isoformat()}, queue=QUEUE)
    return dates


@shared_task(name="repayment.tasks.cob_date_start", ignore_result=True)
def cob_date_start(*, day: str, target: str) -> None:
    cob_date_begin(business_date=date.fromisoformat(day))
    cob_step_fan_out.apply_async(kwargs={"day": day, "step_index": 0, "target": target}, queue=QUEUE)


@shared_task(name="repayment.tasks.cob_step_fan_out", ignore_result=True)
def cob_step_fan_out(*, day: str, step_index: int, target: str) -> None:
    """Fan one step out over the date's partitions as a chord whose callback fans out the next step."""
    if step_index >= len(STEP_NAMES):
        cob_date_end.apply_async(kwargs={"day": day, "target": target}, queue=QUEUE)
        return
    run = CobRun.objects.get(business_date=date.fromisoformat(day))
    following = cob_step_fan_out.si(day=day, step_index=step_index + 1, target=target).set(queue=QUEUE)
    if not run.partitions:
        following.apply_async()
        return
    header = group(
        cob_step.si(day=day, step=STEP_NAMES[step_index], partition=index).set(queue=QUEUE)
        for index in range(len(run.partitions))
    )
    chord(header, following).apply_async()


@shared_task(
    name="repayment.tasks.cob_step",
    autoretry_for=(PartitionBusy, OperationalError),
    retry_backoff=1,
    retry_backoff_max=30,
    max_retries=None,
    acks_late=True,
)
def cob_step(*, day: str, step: str, partition: int) -> int:
    return cob_step_run(business_date=date.fromisoformat(day), step=step, partition=partition)


@shared_task(name="repayment.tasks.cob_date_end", ignore_result=True)
def cob_date_end(*, day: str, target: str) -> None:
    cob_date_finish(business_date=date.fromisoformat(day))
    auto_debits_dispatch_task.delay()
    following = date.fromisoformat(day) + timedelta(days=1)
    if following <= date.fromisoformat(target):
        cob_date_start.apply_async(kwargs={"day": following.isoformat(), "target": target}, queue=QUEUE)


@shared_task(name="repayment.tasks.auto_debits_dispatch", ignore_result=True, autoretry_for=(OperationalError,))
def auto_debits_dispatch_task() -> int:
    """The collection orders of the auto-debits a close asked for (default queue, off the close's path)."""
    return auto_debits_dispatch()
