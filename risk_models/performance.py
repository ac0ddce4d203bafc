"""The daily loan-performance fact table (DOMAIN.md §9) and its set-based writers.

One row per active loan per day, pushed by servicing's close-of-business. The table is partitioned by
month (PostgreSQL declarative partitioning, created on first write of a month): the dashboards read month
ends for vintage, roll rates and FPD, and the last 90 days for daily views. `snapshots_prune` keeps only
the month-end rows of every month that ended more than 90 days ago, by swapping that month's partition
for a copy of its month-end rows — no million-row DELETE, no bloat.

risk_models imports nothing of ours: servicing hands `snapshots_write` a SELECT producing the columns of
`SNAPSHOT_COLUMNS` in order, and the rows go straight from its tables into this one in one statement.
"""

from datetime import date, timedelta

from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 2}
TABLE = "risk_models_loanperformancesnapshot"
DAILY_ROWS_KEPT_DAYS = 90
MONTH_END_ONLY = "month-end rows only"
# A namespace for the advisory lock that serialises partition creation between close-of-business workers.
PARTITION_LOCK = 0x5E4F


class LoanPerformanceSnapshot(models.Model):
    """A loan as it stood at the close of a business date."""

    class FirstInstallment(models.TextChoices):
        NOT_DUE = "NOT_DUE", _("Not yet due")
        DUE = "DUE", _("Due today")
        PAID_ON_TIME = "PAID_ON_TIME", _("Paid on time")
        PAID_LATE = "PAID_LATE", _("Paid late")
        OVERDUE = "OVERDUE", _("Overdue")

    pk = models.CompositePrimaryKey("snapshot_date", "loan_id")
    snapshot_date = models.DateField(_("date"))
    loan_id = models.BigIntegerField(_("loan"))
    borrower_id = models.BigIntegerField(_("borrower"))
    product_code = models.CharField(_("product"), max_length=32)
    partner_code = models.CharField(_("lead partner"), max_length=16, blank=True)
    own_share = models.DecimalField(_("our share"), max_digits=7, decimal_places=6)
    partner_share = models.DecimalField(_("partners' share"), max_digits=7, decimal_places=6)
    grade = models.CharField(_("grade"), max_length=8, blank=True)
    scorecard_version = models.CharField(_("scorecard version"), max_length=64, blank=True)
    disbursed_on = models.DateField(_("disbursed on"))
    disbursed_month = models.DateField(_("disbursement month"))
    months_on_book = models.PositiveSmallIntegerField(_("months on book"))
    principal = models.DecimalField(_("principal"), **MONEY)
    outstanding_principal = models.DecimalField(_("outstanding principal"), **MONEY)
    own_outstanding_principal = models.DecimalField(_("our outstanding principal"), **MONEY)
    overdue_principal = models.DecimalField(_("overdue principal"), **MONEY)
    overdue_amount = models.DecimalField(_("overdue amount"), **MONEY)
    dpd = models.PositiveIntegerField(_("DPD"))
    bucket = models.CharField(_("bucket"), max_length=3)
    max_dpd = models.PositiveIntegerField(_("highest DPD ever"))
    first_installment_status = models.CharField(_("first installment"), max_length=12, choices=FirstInstallment.choices)
    first_installment_max_dpd = models.PositiveIntegerField(_("first installment's highest DPD"))
    status = models.CharField(_("status"), max_length=12)
    is_month_end = models.BooleanField(_("month end"))

    class Meta:
        db_table = TABLE
        verbose_name = _("loan performance snapshot")
        verbose_name_plural = _("loan performance snapshots")
        # No index beyond the primary key (snapshot_date, loan_id): month-end rows are read by date, and every
        # extra index is paid for on a million inserts a night.

    def __str__(self) -> str:
        return f"{self.snapshot_date} L{self.loan_id} DPD {self.dpd}"


SNAPSHOT_COLUMNS = (
    "snapshot_date",
    "loan_id",
    "borrower_id",
    "product_code",
    "partner_code",
    "own_share",
    "partner_share",
    "grade",
    "scorecard_version",
    "disbursed_on",
    "disbursed_month",
    "months_on_book",
    "principal",
    "outstanding_principal",
    "own_outstanding_principal",
    "overdue_principal",
    "overdue_amount",
    "dpd",
    "bucket",
    "max_dpd",
    "first_installment_status",
    "first_installment_max_dpd",
    "status",
    "is_month_end",
)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _partition_name(month: date) -> str:
    return f"{TABLE}_{month:%Y%m}"


def snapshot_partition_ensure(*, month: date) -> str:
    """Create the partition of ``month`` if it is missing (idempotent, safe between concurrent workers)."""
    month = _month_start(month)
    name = _partition_name(month)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if cursor.fetchone()[0]:
            return name
        with transaction.atomic():
            cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [PARTITION_LOCK])
            cursor.execute(
                f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{TABLE}" FOR VALUES FROM (%s) TO (%s)',
                [month, _next_month(month)],
            )
    return name


def snapshots_write(*, snapshot_date: date, source_sql: str, params: dict) -> int:
    """Insert (or refresh) the snapshot rows a SELECT produces — ``SNAPSHOT_COLUMNS`` in order — in one statement.

    Re-running a date replaces that date's rows of the same loans, so a repeated close writes the same table.
    """
    snapshot_partition_ensure(month=snapshot_date)
    columns = ", ".join(SNAPSHOT_COLUMNS)
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in SNAPSHOT_COLUMNS[2:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} ({columns}) {source_sql} "
            f"ON CONFLICT (snapshot_date, loan_id) DO UPDATE SET {updates}",
            params,
        )
        return cursor.rowcount


def snapshots_prune(*, as_of: date) -> list[str]:
    """Keep only month-end rows of every month that ended more than 90 days before ``as_of``.

    The month's partition is swapped for a copy of its month-end rows in one transaction; a partition so
    reduced is marked (table comment) and never touched again. Returns the partitions reduced.
    """
    cutoff = as_of - timedelta(days=DAILY_ROWS_KEPT_DAYS)
    reduced = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), obj_description(c.oid, 'pg_class')
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = %s::regclass ORDER BY c.relname
            """,
            [TABLE],
        )
        partitions = cursor.fetchall()
    for name, _bound, comment in partitions:
        month = date(int(name[-6:-2]), int(name[-2:]), 1)
        if comment == MONTH_END_ONLY or _next_month(month) > cutoff:
            continue
        _partition_keep_month_ends(name=name, month=month)
        reduced.append(name)
    return reduced


def _partition_keep_month_ends(*, name: str, month: date) -> None:
    reduced = f"{name}_me"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE "{reduced}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)')
        cursor.execute(f'INSERT INTO "{reduced}" SELECT * FROM "{name}" WHERE is_month_end')  # noqa: S608 — composed of constants; values are bound parameters
        cursor.execute(f'ALTER TABLE "{reduced}" ADD PRIMARY KEY (snapshot_date, loan_id)')
        cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{name}"')
        cursor.execute(f'DROP TABLE "{name}"')
        cursor.execute(f'ALTER TABLE "{reduced}" RENAME TO "{name}"')
        cursor.execute(
            f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
            [month, _next_month(month)],
        )
        cursor.execute(f"COMMENT ON TABLE \"{name}\" IS '{MONTH_END_ONLY}'")
