"""Every lock servicing takes, in one place and one order: partition bucket (advisory), then the loan row.

Close-of-business works on loan-id partitions that are whole *lock buckets* (ids ``k·S … (k+1)·S − 1``,
``S = COB_PARTITION_SIZE``). A partition step takes its bucket's advisory lock exclusively; a
borrower's write takes it shared, then locks the loan row. So a step and a payment on a loan of its bucket
never interleave (the later one waits, and a step that cannot get its lock in time is retried, never
skipped), while payments on different loans never wait for each other. One advisory lock per partition
instead of a row lock per loan keeps close-of-business from writing a lock into a million rows a night.

Change COB_PARTITION_SIZE only between runs: both sides must agree on the buckets.
"""

from django.db import connection

from . import conf
from .exceptions import LoanNotFound, PartitionBusy
from .models import Loan

# The first key of the two-int advisory lock: a namespace so that no other app's advisory lock collides.
ADVISORY_NAMESPACE = 0x10A7  # "LOAN"


def partition_size() -> int:
    return conf.cob_partition_size()


def bucket_of(loan_id: int, size: int | None = None) -> int:
    return loan_id // (size or partition_size())


def cob_bucket_lock(*, bucket: int, timeout_seconds: float) -> None:
    """Take a partition's bucket exclusively for a close-of-business step (inside the step's transaction).

    Waits for the payments in flight on the bucket's loans; if they do not finish in time, raises
    `PartitionBusy` so that the caller retries the whole step later.
    """
    from django.db.utils import OperationalError

    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(timeout_seconds * 1000)}ms"])
        try:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_NAMESPACE, bucket])
        except OperationalError as exc:  # lock_not_available
            raise PartitionBusy(bucket=bucket) from exc
        cursor.execute("SELECT set_config('lock_timeout', '0', true)")


def loan_for_update(loan_id: int) -> Loan:
    """Lock a loan for a write: its bucket shared (so no close step runs on it meanwhile), then its row.

    Callers re-read and re-check everything they decide on after this returns.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [ADVISORY_NAMESPACE, bucket_of(loan_id)])
    loan = Loan.objects.select_for_update(of=("self",)).filter(pk=loan_id).first()
    if loan is None:
        raise LoanNotFound(loan_id=loan_id)
    return loan
