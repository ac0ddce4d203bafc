"""The close-of-business steps: each one set-based SQL over a range of loan ids, for one business date.

A step runs for a partition (ids ``lo…hi``) or for one loan (``lo = hi``, the inline catch-up) and is
idempotent by construction, so a re-run, a resumed run, or a partition meeting a loan that a borrower's
payment already caught up inline books nothing twice:

- ACCRUE inserts one accrual row per loan and date (primary key (date, loan): a repeat inserts nothing) and
  journals only what it inserted — our share, one journal per partition (Dr 1132 / Cr 6011);
- MARK_DUE, PENALTY, AGE and PROVISION set values that are functions of the date and the loan's state
  (cumulative penalty to date, DPD from the oldest unpaid due date, allowance = rate × principal), and
  update only the rows whose value changes — the journals book the differences;
- AUTO_DEBIT inserts at most one auto-debit per loan and date (a unique index), for loans with a signed
  debit agreement and nothing already being collected; its collection order is created after the close;
- SNAPSHOT upserts the loan's performance row of the date in risk_models.

Every query reads the partition's loans through ``LOANS``: active, and not already closed for this date
(a loan caught up inline has ``cob_date`` ≥ the date, and was written by the inline run).
"""

import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection

from risk_models import performance

from .. import conf
from ..models import Loan
from ..servicing_math import BUCKET_BOUNDS
from . import posting

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")

LOANS = "l.id BETWEEN %(lo)s AND %(hi)s AND l.status = 'ACTIVE' AND l.cob_date < %(d)s"


@dataclass(frozen=True)
class Scope:
    """What one step run covers: a business date and a loan-id range, and the key its journals carry."""

    business_date: date
    lo: int
    hi: int
    key: str  # "p<partition>" or "loan:<id>": part of every journal's idempotency key

    @property
    def params(self) -> dict:
        return {"d": self.business_date, "lo": self.lo, "hi": self.hi}


def _crash_point(step: str, scope: Scope) -> None:
    """Die with the step's SQL done and not committed when COB_CRASH_POINT names it (crash-recovery test)."""
    if conf.cob_crash_point() == f"{step}:{scope.key}":
        logger.warning("COB_CRASH_POINT=%s:%s: killing process %s", step, scope.key, os.getpid())
        os.kill(os.getpid(), signal.SIGKILL)


def _one(sql: str, params: dict) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _journal(scope: Scope, step: str, legs: posting.Legs, *, kind: str) -> None:
    """The step's one journal for the partition (our share of everything it booked), through the batch poster."""
    posting.post_batch(
        [
            (
                legs,
                {
                    "kind": kind,
                    "reference": f"cob:{scope.business_date.isoformat()}",
                    "posted_on": scope.business_date,
                    "idempotency_key": f"cob:{scope.business_date.isoformat()}:{step}:{scope.key}",
                },
            )
        ]
    )


# Interest accrued pro rata after ``e`` of the period's ``n`` days (DOMAIN.md §2, repayment.interest):
# round_half_up(interest × e / n), the whole interest on the last day. PostgreSQL's round() on numeric
# rounds half away from zero, which is half-up for these non-negative amounts.
def _accrued(interest: str, elapsed: str) -> str:
    return (
        f"CASE WHEN {elapsed} >= (i.due_date - i.period_start) THEN {interest} "
        f"ELSE round({interest} * {elapsed} / (i.due_date - i.period_start), 2) END"
    )


ACCRUE_SQL = f"""
WITH accruing AS (
    SELECT l.id AS loan_id, i.id AS installment_id,
           {_accrued("i.interest", "(%(d)s::date - i.period_start)")}
             - {_accrued("i.interest", "(%(d)s::date - i.period_start - 1)")} AS amount,
           {_accrued("i.own_interest", "(%(d)s::date - i.period_start)")}
             - {_accrued("i.own_interest", "(%(d)s::date - i.period_start - 1)")} AS own_amount
    FROM repayment_installment i
    JOIN repayment_loan l ON l.id = i.loan_id
    WHERE i.status = 'PENDING' AND i.loan_id BETWEEN %(lo)s AND %(hi)s AND i.period_start < %(d)s
      AND i.due_date >= %(d)s AND NOT i.accrual_closed AND {LOANS}
), inserted AS (
    INSERT INTO repayment_interestaccrual (accrued_on, loan_id, installment_id, amount, own_amount)
    SELECT %(d)s, loan_id, installment_id, amount, own_amount FROM accruing WHERE amount > 0 OR own_amount > 0
    ON CONFLICT DO NOTHING
    RETURNING own_amount
)
SELECT count(*), coalesce(sum(own_amount), 0) FROM inserted
"""  # noqa: S608 — composed of constants; values are bound parameters


def accrue(scope: Scope) -> int:
    """Accrue the day's interest of each loan's running period; journal our share (Dr 1132 / Cr 6011)."""
    rows, own_total = _one(ACCRUE_SQL, scope.params)
    _crash_point("ACCRUE", scope)
    _journal(
        scope, "ACCRUE", posting.Legs().move(debit="1132", credit="6011", amount=own_total), kind="INTEREST_ACCRUAL"
    )
    return rows


MARK_DUE_SQL = f"""
WITH falling_due AS (
    UPDATE repayment_installment i SET status = 'DUE'
    WHERE i.status = 'PENDING' AND i.due_date <= %(d)s AND i.loan_id BETWEEN %(lo)s AND %(hi)s
      AND EXISTS (SELECT 1 FROM repayment_loan l WHERE l.id = i.loan_id AND {LOANS})
    RETURNING i.loan_id
)
SELECT count(*) FROM falling_due
"""  # noqa: S608 — composed of constants; values are bound parameters


def mark_due(scope: Scope) -> int:
    """Installments whose due date has come are due; a loan holding an overpayment applies it to them."""
    (rows,) = _one(MARK_DUE_SQL, scope.params)
    _crash_point("MARK_DUE", scope)
    if rows:
        from .repayments import overpayment_apply

        holders = Loan.objects.filter(
            pk__gte=scope.lo,
            pk__lte=scope.hi,
            status=Loan.Status.ACTIVE,
            cob_date__lt=scope.business_date,
            overpayment_balance__gt=0,
            installments__status="DUE",
        ).distinct()
        # Only the few loans holding an overpayment: each is a small allocation of its own.
        for loan_id in holders.values_list("pk", flat=True):
            overpayment_apply(loan_id=loan_id, business_date=scope.business_date)
    return rows


PENALTY_SQL = f"""
WITH accruing AS (
    SELECT i.id, i.penalty_accrued AS before, i.own_penalty_accrued AS own_before, l.shares,
           i.penalty_base + round(
               (i.principal - i.principal_paid) * l.penalty_rate * GREATEST(%(d)s::date - i.penalty_base_on, 0)
               / CASE WHEN l.day_count = 'ACT/365' THEN 365 ELSE 360 END, 2) AS after
    FROM repayment_loan l
    JOIN repayment_installment i ON i.loan_id = l.id AND i.status = 'DUE'
    WHERE {LOANS} AND i.loan_id BETWEEN %(lo)s AND %(hi)s AND %(d)s::date - i.due_date > l.grace_days
), changed AS (
    UPDATE repayment_installment i
       SET penalty_accrued = a.after, own_penalty_accrued = repayment_split_first(a.after, a.shares)
      FROM accruing a
     WHERE i.id = a.id AND a.after > a.before
    RETURNING i.own_penalty_accrued - a.own_before AS own_delta
)
SELECT count(*), coalesce(sum(own_delta), 0) FROM changed
"""  # noqa: S608 — composed of constants; values are bound parameters


def penalty(scope: Scope) -> int:
    """Penalty to date on each overdue installment past its grace days (DOMAIN.md §4); journal our share of the
    day's increase (Dr 1134 / Cr 6051)."""
    rows, own_total = _one(PENALTY_SQL, scope.params)
    _crash_point("PENALTY", scope)
    _journal(
        scope, "PENALTY", posting.Legs().move(debit="1134", credit="6051", amount=own_total), kind="PENALTY_ACCRUAL"
    )
    return rows


_BUCKET_CASE = (
    "CASE "
    + " ".join(f"WHEN {{dpd}} <= {bound} THEN '{bucket}'" for bound, bucket in BUCKET_BOUNDS)
    + " ELSE 'M6+' END"
)

AGE_SQL = f"""
WITH dues AS (
    SELECT i.loan_id,
           min(i.due_date) FILTER (WHERE i.due_date < %(d)s) AS oldest,
           coalesce(sum(i.principal - i.principal_paid) FILTER (WHERE i.due_date < %(d)s), 0) AS overdue_principal,
           coalesce(sum(i.principal - i.principal_paid + i.interest - i.interest_paid + i.penalty_accrued
                        - i.penalty_paid) FILTER (WHERE i.due_date < %(d)s), 0) AS overdue_amount,
           sum(i.penalty_accrued - i.penalty_paid) AS penalty_outstanding
    FROM repayment_installment i
    WHERE i.status = 'DUE' AND i.loan_id BETWEEN %(lo)s AND %(hi)s
    GROUP BY i.loan_id
), aged AS (
    SELECT l.id, coalesce(%(d)s::date - dues.oldest, 0) AS dpd, dues.*, l.first_due_on
    FROM repayment_loan l JOIN dues ON dues.loan_id = l.id
    WHERE {LOANS}
), changed AS (
    UPDATE repayment_loan l
       SET dpd = a.dpd,
           max_dpd = GREATEST(l.max_dpd, a.dpd),
           bucket = {_BUCKET_CASE.format(dpd="a.dpd")},
           overdue_principal = a.overdue_principal,
           overdue_amount = a.overdue_amount,
           penalty_outstanding = a.penalty_outstanding,
           first_installment_max_dpd = CASE WHEN a.oldest = l.first_due_on
                                            THEN GREATEST(l.first_installment_max_dpd, a.dpd)
                                            ELSE l.first_installment_max_dpd END
      FROM aged a
     WHERE l.id = a.id
       AND (l.dpd, l.overdue_principal, l.overdue_amount, l.penalty_outstanding)
           IS DISTINCT FROM (a.dpd, a.overdue_principal, a.overdue_amount, a.penalty_outstanding)
    RETURNING l.id
)
SELECT count(*) FROM changed
"""  # noqa: S608 — composed of constants; values are bound parameters


def age(scope: Scope) -> int:
    """DPD from the oldest unpaid installment past its due date, bucket, highest DPD, overdue amounts — only
    loans with something due are read, only loans whose figures change are written."""
    (rows,) = _one(AGE_SQL, scope.params)
    _crash_point("AGE", scope)
    return rows


AUTO_DEBIT_SQL = f"""
WITH dues AS (
    SELECT i.loan_id,
           sum(i.principal - i.principal_paid + i.interest - i.interest_paid + i.penalty_accrued - i.penalty_paid)
             AS amount
    FROM repayment_installment i
    WHERE i.status = 'DUE' AND i.loan_id BETWEEN %(lo)s AND %(hi)s
    GROUP BY i.loan_id
)
INSERT INTO repayment_repayment (loan_id, kind, source, amount, status, idempotency_key, requested_on, debit_on,
                                 overpayment, channel, created_at)
SELECT l.id, 'REGULAR', 'AUTO_DEBIT', dues.amount, 'PENDING',
       'auto-debit:' || l.id || ':' || %(d)s::date, %(d)s, %(d)s, 0, '', now()
FROM repayment_loan l
JOIN dues ON dues.loan_id = l.id
JOIN repayment_debitagreement a ON a.loan_id = l.id AND a.revoked_on IS NULL
WHERE {LOANS} AND dues.amount > 0
  AND NOT EXISTS (SELECT 1 FROM repayment_repayment r WHERE r.loan_id = l.id AND r.status = 'PENDING')
  AND (l.dpd = ANY(%(retry_dpds)s)
       OR EXISTS (SELECT 1 FROM repayment_installment f
                  WHERE f.loan_id = l.id AND f.status = 'DUE' AND f.due_date = %(d)s))
ON CONFLICT DO NOTHING
"""  # noqa: S608 — composed of constants; values are bound parameters


def auto_debit(scope: Scope) -> int:
    """Ask to collect what is due from each loan with a signed debit agreement (代扣): one PENDING auto-debit
    repayment per loan and date, on the day an installment falls due and on the retry days past due
    (`conf.auto_debit_retry_dpds`). Its collection order goes to the payment core once the date is closed
    (`cob.auto_debits_dispatch`), off the close's critical path: the payment core creates orders one at a time."""
    with connection.cursor() as cursor:
        cursor.execute(AUTO_DEBIT_SQL, {**scope.params, "retry_dpds": conf.auto_debit_retry_dpds()})
        requested = cursor.rowcount
    _crash_point("AUTO_DEBIT", scope)
    return requested


def _rate_case(rates: dict[str, Decimal]) -> str:
    return "CASE l.bucket " + " ".join(f"WHEN '{b}' THEN {Decimal(r)}" for b, r in rates.items()) + " END"


# Only loans with something due can change bucket overnight; a payment refreshes its own loan's allowance
# (`repayments.loan_figures_refresh`) and opening sets the first one — so the step reads the few due loans.
DUE_LOANS = """
    SELECT DISTINCT i.loan_id FROM repayment_installment i
    WHERE i.status = 'DUE' AND i.loan_id BETWEEN %(lo)s AND %(hi)s
"""


def _provision_sql(rates: dict[str, Decimal]) -> str:
    return f"""
WITH target AS (
    SELECT l.id, l.provision_amount AS before,
           round(l.own_outstanding_principal * {_rate_case(rates)}, 2) AS after
    FROM ({DUE_LOANS}) due JOIN repayment_loan l ON l.id = due.loan_id
    WHERE {LOANS}
), changed AS (
    UPDATE repayment_loan l SET provision_amount = t.after
    FROM target t WHERE l.id = t.id AND t.after <> t.before
    RETURNING t.after - t.before AS delta
)
SELECT count(*), coalesce(sum(delta), 0) FROM changed
"""  # noqa: S608 — composed of constants; values are bound parameters


WRITE_OFF_SQL = f"""
SELECT l.id FROM ({DUE_LOANS}) due JOIN repayment_loan l ON l.id = due.loan_id
WHERE {LOANS} AND l.dpd >= l.write_off_dpd ORDER BY l.id
"""  # noqa: S608 — composed of constants; values are bound parameters


def provision(scope: Scope) -> int:
    """Loss allowance = bucket rate × our outstanding principal (Dr 6701 / Cr 1304 on the change), then write
    off the loans past the product's DPD threshold."""
    rows, delta = _one(_provision_sql(conf.provision_rates()), scope.params)
    _crash_point("PROVISION", scope)
    _journal(scope, "PROVISION", posting.Legs().move(debit="6701", credit="1304", amount=delta), kind="LOSS_PROVISION")
    from .writeoff import loan_write_off

    with connection.cursor() as cursor:
        cursor.execute(WRITE_OFF_SQL, scope.params)
        past_threshold = [loan_id for (loan_id,) in cursor.fetchall()]
    for loan_id in past_threshold:
        loan_write_off(loan_id=loan_id, business_date=scope.business_date)
    return rows


def snapshot(scope: Scope) -> int:
    """The day's performance row per loan, in risk_models' fact table (DOMAIN.md §9)."""
    rows = performance.snapshots_write(
        snapshot_date=scope.business_date,
        source_sql=SNAPSHOT_SOURCE_SQL,
        params=scope.params,
    )
    _crash_point("SNAPSHOT", scope)
    return rows


# The columns of risk_models.performance.SNAPSHOT_COLUMNS, in that order. A loan settled or written off on
# the date is included once more, so that the dashboards see how it ended.
SNAPSHOT_SOURCE_SQL = """
SELECT %(d)s::date, l.id, l.borrower_id, l.product_code, l.lead_partner,
       (l.shares->>0)::numeric, 1 - (l.shares->>0)::numeric,
       l.grade, l.scorecard_version, l.disbursed_on, date_trunc('month', l.disbursed_on)::date,
       (extract(year FROM age(date_trunc('month', %(d)s::date), date_trunc('month', l.disbursed_on))) * 12
        + extract(month FROM age(date_trunc('month', %(d)s::date), date_trunc('month', l.disbursed_on))))::int,
       l.principal, l.outstanding_principal, l.own_outstanding_principal, l.overdue_principal, l.overdue_amount,
       l.dpd, l.bucket, l.max_dpd,
       CASE WHEN %(d)s::date < l.first_due_on THEN 'NOT_DUE'
            WHEN l.first_installment_paid_on IS NOT NULL AND l.first_installment_paid_on <= l.first_due_on
                 THEN 'PAID_ON_TIME'
            WHEN l.first_installment_paid_on IS NOT NULL THEN 'PAID_LATE'
            WHEN %(d)s::date = l.first_due_on THEN 'DUE'
            ELSE 'OVERDUE' END,
       l.first_installment_max_dpd, l.status,
       %(d)s::date = (date_trunc('month', %(d)s::date) + interval '1 month - 1 day')::date
FROM repayment_loan l
WHERE l.id BETWEEN %(lo)s AND %(hi)s
  AND ((l.status = 'ACTIVE' AND l.cob_date < %(d)s) OR (l.status <> 'ACTIVE' AND l.closed_on = %(d)s))
  AND l.disbursed_on <= %(d)s
"""


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[Scope], int]


# The order matters: what falls due today is due before penalty and ageing read it; penalty before ageing so
# that the overdue amount includes it; collections after both, for what is owed tonight; the allowance
# follows the new bucket; the snapshot reads everything.
STEPS: tuple[Step, ...] = (
    Step("ACCRUE", accrue),
    Step("MARK_DUE", mark_due),
    Step("PENALTY", penalty),
    Step("AGE", age),
    Step("AUTO_DEBIT", auto_debit),
    Step("PROVISION", provision),
    Step("SNAPSHOT", snapshot),
)
STEP_NAMES = tuple(step.name for step in STEPS)
STEPS_BY_NAME = {step.name: step for step in STEPS}
