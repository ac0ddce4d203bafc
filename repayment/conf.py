"""Servicing's tunables: a Django setting when the project defines one, else the environment, else a default."""

import os
from decimal import Decimal

from django.conf import settings

from .servicing_math import PROVISION_RATES


def _value(name: str, default: str) -> str:
    configured = getattr(settings, name, None)
    return str(configured) if configured is not None else os.environ.get(name, default)


def cob_partition_size() -> int:
    """Loan ids per close-of-business partition (and lock bucket). Change it only between runs."""
    return int(_value("COB_PARTITION_SIZE", "20000"))


def cob_lock_timeout() -> float:
    """Seconds a partition step waits for the payments in flight on its bucket before it is retried."""
    return float(_value("COB_LOCK_TIMEOUT", "10"))


def cob_crash_point() -> str:
    """ "STEP:PARTITION" at which close-of-business kills its own process mid-step (the crash-recovery test)."""
    return _value("COB_CRASH_POINT", "")


def provision_rates() -> dict[str, Decimal]:
    """Loss allowance per bucket: REPAYMENT_PROVISION_RATES ("C=0.01,M1=0.02,…") over the defaults."""
    rates = dict(PROVISION_RATES)
    for item in _value("REPAYMENT_PROVISION_RATES", "").split(","):
        if "=" in item:
            bucket, rate = item.split("=", 1)
            rates[bucket.strip()] = Decimal(rate.strip())
    return rates


# Days past due on which a failed auto-debit is tried again. Daily debits of an empty account for months cost
# the bank's per-attempt fee and the borrower's goodwill; lenders retry often in the first days, then weekly,
# and hand loans past M3 to collections (the borrower can still repay at any time).
AUTO_DEBIT_RETRY_DPD = "1,2,3,5,7,10,14,21,30,45,60,75,90"


def auto_debit_retry_dpds() -> list[int]:
    """AUTO_DEBIT_RETRY_DPD ("1,2,3,…"): the days past due on which an overdue loan is debited again."""
    return sorted({int(day) for day in _value("AUTO_DEBIT_RETRY_DPD", AUTO_DEBIT_RETRY_DPD).split(",") if day.strip()})
