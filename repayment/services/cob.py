"""Close-of-business (COB) of business dates: begin, partition steps, finish; catch-up of missed dates and of
single loans behind the business date.

A date's close: `cob_date_begin` advances the business date to it (from then on payments are value-dated
the next day), and fixes its partitions (loan-id lock buckets holding active loans). Each step of
`cob_steps.STEPS` then runs per partition (`cob_step_run`, one transaction each: the bucket's lock, the
step's SQL, its journal and the (date, step, partition) record commit together or not at all), and
`cob_date_finish` records the step timings and prunes old snapshot rows. Celery fans the partitions of a
step out as a group, the steps follow each other as a chain of chords (`repayment.tasks`); `cob_run`
does the same inline (``run_cob --sync``).
"""

import logging
import time
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from risk_models import performance

from .. import locks
from ..conf import cob_lock_timeout, cob_partition_size
from ..exceptions import CobDateInvalid, PartitionBusy, _
from ..models import BusinessDate, CobRun, CobStepPartition, Loan, LoanEvent, Repayment
from ..selectors import business_date_current
from .cob_steps import STEP_NAMES, STEPS, STEPS_BY_NAME, Scope

logger = logging.getLogger(__name__)
ONE_DAY = timedelta(days=1)
LAST_STEP = STEP_NAMES[-1]


def cob_dates_pending(*, target: date) -> list[date]:
    """The dates to close, in order, to bring the books to ``target``: an unfinished run first, then every
    missed date after the business date (never skipping one)."""
    current = business_date_current()
    if current is None:
        return [target]
    last = CobRun.objects.filter(business_date=current).first()
    unfinished = [current] if last is not None and last.status == CobRun.Status.RUNNING else []
    if target < current:
        if CobRun.objects.filter(business_date=target, status=CobRun.Status.COMPLETED).exists():
            return []
        raise CobDateInvalid(
            _("%(date)s is before the business date %(current)s and was never closed.")
            % {"date": target.isoformat(), "current": current.isoformat()},
            date=target,
            business_date=current,
        )
    dates = list(unfinished)
    day = current + ONE_DAY
    while day <= target:
        dates.append(day)
        day += ONE_DAY
    return dates


@transaction.atomic(durable=True)
def cob_date_begin(*, business_date: date) -> CobRun:
    """Start (or resume) the close of ``business_date``: the business date moves to it, partitions are fixed."""
    BusinessDate.objects.select_for_update().filter(pk=1).first()
    run = CobRun.objects.filter(business_date=business_date).first()
    if run is not None:
        return run
    current = business_date_current()
    if current is not None and business_date != current + ONE_DAY:
        raise CobDateInvalid(
            _("The close of %(date)s must follow the business date %(current)s.")
            % {"date": business_date.isoformat(), "current": current.isoformat()},
            date=business_date,
            business_date=current,
        )
    size = cob_partition_size()
    buckets = _active_buckets(size)
    run = CobRun.objects.create(
        business_date=business_date,
        partition_size=size,
        partitions=[[bucket * size, (bucket + 1) * size - 1] for bucket, _count in buckets],
        loans=sum(count for _bucket, count in buckets),
    )
    BusinessDate.objects.update_or_create(pk=1, defaults={"business_date": business_date})
    return run


def _active_buckets(size: int) -> list[tuple[int, int]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id / %s AS bucket, count(*) FROM repayment_loan WHERE status = 'ACTIVE' GROUP BY 1 ORDER BY 1",
            [size],
        )
        return [(int(bucket), int(count)) for bucket, count in cursor.fetchall()]


@transaction.atomic(durable=True)
def cob_step_run(*, business_date: date, step: str, partition: int) -> int:
    """Run one step over one partition, once: a repeat (re-run, resumed run, redelivered task) does nothing.

    Raises `PartitionBusy` when a borrower's payment holds the partition past the lock timeout: the caller
    retries the step, it is never skipped.
    """
    run = CobRun.objects.get(business_date=business_date)
    lo, hi = run.partitions[partition]
    locks.cob_bucket_lock(bucket=lo // run.partition_size, timeout_seconds=cob_lock_timeout())
    if CobStepPartition.objects.filter(business_date=business_date, step=step, partition=partition).exists():
        return 0
    started_at = timezone.now()
    rows = STEPS_BY_NAME[step].run(Scope(business_date=business_date, lo=lo, hi=hi, key=f"p{partition}"))
    CobStepPartition.objects.create(
        business_date=business_date,
        step=step,
        partition=partition,
        lo=lo,
        hi=hi,
        rows=rows,
        started_at=started_at,
        completed_at=timezone.now(),
    )
    return rows


@transaction.atomic(durable=True)
def cob_date_finish(*, business_date: date) -> CobRun:
    """Close the date: every (step, partition) must be done; record step timings; prune old snapshot rows."""
    run = CobRun.objects.select_for_update().get(business_date=business_date)
    if run.status == CobRun.Status.COMPLETED:
        return run
    done = CobStepPartition.objects.filter(business_date=business_date).count()
    expected = len(run.partitions) * len(STEP_NAMES)
    if done != expected:
        raise CobDateInvalid(
            _("The close of %(date)s is not finished: %(done)s of %(expected)s steps done.")
            % {"date": business_date.isoformat(), "done": done, "expected": expected},
            date=business_date,
        )
    run.steps = cob_step_seconds(business_date=business_date)
    run.status = CobRun.Status.COMPLETED
    run.completed_at = timezone.now()
    run.save(update_fields=["steps", "status", "completed_at"])
    performance.snapshots_prune(as_of=business_date)
    return run


def cob_step_seconds(*, business_date: date) -> dict[str, float]:
    """Each step's wall time: from its first partition's start to its last partition's end."""
    spans = (
        CobStepPartition.objects.filter(business_date=business_date)
        .values("step")
        .annotate(first=Min("started_at"), last=Max("completed_at"))
    )
    by_step = {span["step"]: round((span["last"] - span["first"]).total_seconds(), 3) for span in spans}
    return {name: by_step.get(name, 0.0) for name in STEP_NAMES}


def cob_step_run_retrying(*, business_date: date, step: str, partition: int, attempts: int = 30) -> int:
    """Inline runs retry a busy partition (a borrower's payment held it) instead of skipping it."""
    for attempt in range(attempts):
        try:
            return cob_step_run(business_date=business_date, step=step, partition=partition)
        except PartitionBusy:
            logger.info("partition %s busy for %s %s (attempt %s); retrying", partition, business_date, step, attempt)
            time.sleep(min(0.1 * 2**attempt, 5.0))
    return cob_step_run(business_date=business_date, step=step, partition=partition)


def auto_debits_dispatch(*, batch: int = 100) -> int:
    """Create the collection orders of auto-debits the close asked for (repayments without an order yet).

    ``batch`` debits per transaction, their rows locked and re-checked (rows another dispatcher holds are
    skipped), so that a crash or a second dispatcher never creates two orders for one debit — the order's
    idempotency key is the repayment's id besides. The batch's orders are created together
    (`payments.services.collections_create`: a few statements, not a handful per debit). Returns the
    orders created.
    """
    from payments.services import CollectionRequest, collections_create

    from .repayments import PAYMENT_PURPOSE

    created = 0
    while True:
        with transaction.atomic(durable=True):
            claimed = list(
                Repayment.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("loan", "loan__debit_agreement")
                .filter(
                    source=Repayment.Source.AUTO_DEBIT,
                    status=Repayment.Status.PENDING,
                    payment_order_id__isnull=True,
                )
                .order_by("id")[:batch]
            )
            if claimed:
                orders = collections_create(
                    requests=[
                        CollectionRequest(
                            idempotency_key=f"repayment:{repayment.pk}",
                            amount=repayment.amount,
                            counterparty_account=repayment.loan.debit_agreement.account,
                            purpose=PAYMENT_PURPOSE,
                            reference=str(repayment.pk),
                        )
                        for repayment in claimed
                    ]
                )
                for repayment, order in zip(claimed, orders, strict=True):
                    repayment.payment_order_id = order.pk
                    repayment.channel = order.channel
                Repayment.objects.bulk_update(claimed, ["payment_order_id", "channel"])
        created += len(claimed)
        if len(claimed) < batch:
            return created


def cob_run(*, business_date: date) -> dict:
    """Close every date up to ``business_date`` inline (``run_cob --sync``); returns the figures of the last."""
    started = time.monotonic()
    dates = cob_dates_pending(target=business_date)
    for day in dates:
        run = cob_date_begin(business_date=day)
        for step in STEP_NAMES:
            for partition in range(len(run.partitions)):
                cob_step_run_retrying(business_date=day, step=step, partition=partition)
        cob_date_finish(business_date=day)
    auto_debits_dispatch()
    return cob_summary(business_date=business_date, seconds=time.monotonic() - started, dates=dates)


def cob_summary(*, business_date: date, seconds: float, dates: list[date] | None = None) -> dict:
    run = CobRun.objects.filter(business_date=business_date).first()
    return {
        "date": business_date.isoformat(),
        "loans": run.loans if run else 0,
        "partitions": len(run.partitions) if run else 0,
        "steps": run.steps if run else {},
        "seconds": round(seconds, 3),
        "dates_closed": [day.isoformat() for day in dates or []],
    }


def _partition_done(business_date: date, loan_id: int) -> bool:
    return CobStepPartition.objects.filter(
        business_date=business_date, step=LAST_STEP, lo__lte=loan_id, hi__gte=loan_id
    ).exists()


def loan_catch_up(*, loan: Loan) -> int:
    """Close, for this one loan, every date up to the business date that its partition has not closed yet.

    Called under the loan's lock (`locks.loan_for_update`) before any write to it, so that a borrower never
    pays against stale dues (a close interrupted half-way, a payout confirmed after the close of its date).
    Returns the dates caught up.
    """
    current = business_date_current()
    if current is None or loan.cob_date >= current or not loan.is_active:
        return 0
    completed = set(
        CobRun.objects.filter(
            business_date__gt=loan.cob_date, business_date__lte=current, status=CobRun.Status.COMPLETED
        ).values_list("business_date", flat=True)
    )
    caught_up = []
    day = loan.cob_date + ONE_DAY
    while day <= current:
        if day not in completed and not _partition_done(day, loan.pk):
            scope = Scope(business_date=day, lo=loan.pk, hi=loan.pk, key=f"loan:{loan.pk}")
            for step in STEPS:
                step.run(scope)
            caught_up.append(day.isoformat())
        day += ONE_DAY
    # One write at the end, not one per day: the steps select loans by `cob_date < date`, which the loan's old
    # cob_date satisfies for every day of the loop, and the whole catch-up is one transaction with the write.
    Loan.objects.filter(pk=loan.pk).update(cob_date=current)
    loan.refresh_from_db()
    if caught_up:
        LoanEvent.objects.create(
            loan=loan, kind=LoanEvent.Kind.CAUGHT_UP, business_date=current, details={"dates": caught_up}
        )
    return len(caught_up)
