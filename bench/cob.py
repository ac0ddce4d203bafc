"""Close-of-business on a large book, partitioned over Celery workers, against a naive per-loan ORM loop.

    .venv/bin/python bench/cob.py --loans 100000            # the default size, a few minutes
    .venv/bin/python bench/cob.py --loans 1000000 --workers 2
    .venv/bin/python bench/cob.py --loans 1000000 --scale 1,2,4 --skip-debit-orders --sample 0   # scale-out

In a database of its own (`lending_bench_servicing`, dropped at the end unless --keep):

1. bulk-loads N active loans × 12 equal-installment installments with INSERT … SELECT generate_series (not
   through loan_open one by one): disbursed over the last 11 months on days 1–28, installments already due
   paid, except 4% of the loans whose oldest due installment is unpaid (DPD, penalty, buckets); every loan has
   a signed debit agreement and yesterday's loss allowance (1% in bucket C), as a book closed daily would;
2. closes the next business date with `repayment.tasks.cob_run_async` on W real Celery worker processes
   (queue `cob`, Redis), timing the whole close and each step, and sampling the workers' resident memory;
3. creates the collection orders of the auto-debits the close asked for (`auto_debits_dispatch`, one order at
   a time through the payment core) and times it separately — it runs after the close, off its path;
4. runs the same steps for the following date with a naive per-loan ORM loop (lock the loan, read its
   installments, insert its accrual, mark due, age, penalty, snapshot, one journal and one commit per loan)
   on a sample of --sample loans, and reports the per-loan speed ratio measured in this same run.

With --scale W1,W2,…, step 2 is repeated on the same book for each worker count: the loaded database is kept
as a template and each run starts from a fresh copy of it (`CREATE DATABASE … TEMPLATE`), so every count
closes the same date over the same rows; the figures come back under "scale".

Prints one JSON line.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE = "lending_bench_servicing"
COB_DATE = date(2024, 12, 1)
LATE_EVERY = 25  # one loan in 25 (4%) has its oldest due installment unpaid
TEMPLATES = (Decimal("3000.00"), Decimal("6000.00"), Decimal("12000.00"), Decimal("20000.00"))


def _configure(database_url: str, redis_url: str, partition_size: int) -> None:
    # The deployable settings (persistent connections, as the workers run in production), pointed at the
    # bench's own database and Redis.
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ["CELERY_BROKER_URL"] = redis_url
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["COB_PARTITION_SIZE"] = str(partition_size)
    import django

    django.setup()


def _recreate_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')


BOOK_TEMPLATE = f"{BENCH_DATABASE}_book"


def _book_keep(admin_url: str) -> None:
    """Keep the loaded book as a template database (the bench database must have no connections)."""
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BOOK_TEMPLATE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BOOK_TEMPLATE}" TEMPLATE "{BENCH_DATABASE}"')


def _book_restore(admin_url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}" TEMPLATE "{BOOK_TEMPLATE}"')


def _scale_out(admin_url: str, counts: list[int]) -> list[dict]:
    """The same close on the same book with each worker count in turn."""
    import psycopg

    _book_keep(admin_url)
    runs = []
    try:
        for count in counts:
            _book_restore(admin_url)
            with psycopg.connect(admin_url.rsplit("/", 1)[0] + f"/{BENCH_DATABASE}", autocommit=True) as conn:
                conn.execute("ANALYZE")  # a copied database starts without planner statistics
            figures = _close_on_workers(count)
            figures["workers"] = count
            figures["loans_per_second"] = round(figures["active_loans"] / figures["cob_seconds"])
            runs.append(figures)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BOOK_TEMPLATE}" WITH (FORCE)')
    return runs


def _drop_database(admin_url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')


def _templates() -> list[tuple[int, list[tuple[Decimal, Decimal, Decimal]]]]:
    """(template id, [(principal, interest, our interest) per installment]) from the real schedule code."""
    from repayment.colending import split_amount
    from repayment.schedules import build_schedule

    rows = []
    for template, principal in enumerate(TEMPLATES):
        schedule = build_schedule(
            principal=principal, annual_rate=Decimal("0.18"), term=12, method="EQUAL_INSTALLMENT",
            disbursed_on=date(2024, 1, 1),
        )  # fmt: skip
        parts = [
            (row.principal, row.interest, split_amount(amount=row.interest, shares=[Decimal("0.3"), Decimal("0.7")])[0])
            for row in schedule.installments
        ]
        rows.append((template, parts))
    return rows


def _load(loans: int) -> dict:
    """Bulk-load the book set-based; returns counts and seconds."""
    from django.db import connection

    from repayment.models import BusinessDate

    started = time.monotonic()
    template_rows = [
        (template, number, principal, interest, own)
        for template, parts in _templates()
        for number, (principal, interest, own) in enumerate(parts, start=1)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_template"
            " (template int, number int, principal numeric, interest numeric, own numeric)"
        )
        cursor.executemany("INSERT INTO bench_template VALUES (%s, %s, %s, %s, %s)", template_rows)
        cursor.execute(
            """
            CREATE TEMP TABLE bench_loan AS
            SELECT g AS id, g %% 4 AS template,
                   (date_trunc('month', %(d)s::date) - ((g %% 11) + 1) * interval '1 month'
                    + ((g %% 28)) * interval '1 day')::date AS disbursed_on,
                   g %% %(late)s = 0 AS late
            FROM generate_series(1, %(n)s) g
            """,
            {"d": COB_DATE, "n": loans, "late": LATE_EVERY},
        )
        cursor.execute(
            """
            INSERT INTO repayment_loan (
                id, payout_order_id, borrower_id, application_reference, product_code, grade, scorecard_version,
                principal, annual_rate, term, method, day_count, disbursed_on, first_due_on, maturity_on,
                level_payment, penalty_multiplier, penalty_rate, apr_ceiling, rule_set, grace_days,
                allocation_strategy, prepayment_mode, rollover_limit, write_off_dpd, debit_account, shares,
                lead_partner, status, outstanding_principal, own_outstanding_principal, overdue_principal,
                overdue_amount, penalty_outstanding, overpayment_balance, provision_amount, dpd, max_dpd, bucket,
                first_installment_max_dpd, rollover_count, cob_date, opened_at)
            SELECT b.id, b.id, b.id, 'BENCH-' || b.id, 'CASH12', 'B', 'BENCH_V1',
                   (ARRAY[3000.00, 6000.00, 12000.00, 20000.00])[b.template + 1], 0.18, 12, 'EQUAL_INSTALLMENT',
                   'ACT/360', b.disbursed_on, (b.disbursed_on + interval '1 month')::date,
                   (b.disbursed_on + interval '12 month')::date, NULL, 1.50, 0.24, 0.24, 'CN_MICROLOAN_2020', 3,
                   'PENALTY_INTEREST_PRINCIPAL', 'SHORTEN_TERM', 2, 181, '6222' || lpad(b.id::text, 15, '0'),
                   '["0.300000", "0.700000"]'::jsonb, 'ICBC', 'ACTIVE', 0, 0, 0, 0, 0, 0, 0, 0, 0, 'C', 0, 0,
                   %(prev)s, now()
            FROM bench_loan b
            """,
            {"prev": COB_DATE - timedelta(days=1)},
        )
        cursor.execute("SELECT setval(pg_get_serial_sequence('repayment_loan', 'id'), %s)", [loans])
        # Installments due before the business date are paid, except the late loans' oldest one.
        cursor.execute(
            """
            INSERT INTO repayment_installment (
                loan_id, number, period_start, due_date, principal, interest, own_interest, principal_paid,
                interest_paid, penalty_accrued, own_penalty_accrued, penalty_paid, penalty_base_on, penalty_base,
                accrual_closed, status, paid_on)
            SELECT b.id, k, (b.disbursed_on + (k - 1) * interval '1 month')::date,
                   (b.disbursed_on + k * interval '1 month')::date, t.principal, t.interest, t.own,
                   CASE WHEN paid THEN t.principal ELSE 0 END, CASE WHEN paid THEN t.interest ELSE 0 END,
                   0, 0, 0, (b.disbursed_on + k * interval '1 month')::date, 0, false,
                   CASE WHEN paid THEN 'PAID' WHEN due < %(d)s THEN 'DUE' ELSE 'PENDING' END,
                   CASE WHEN paid THEN due END
            FROM bench_loan b
            CROSS JOIN generate_series(1, 12) k
            JOIN bench_template t ON t.template = b.template AND t.number = k
            CROSS JOIN LATERAL (SELECT (b.disbursed_on + k * interval '1 month')::date AS due) d
            CROSS JOIN LATERAL (
                SELECT due < %(d)s AND NOT (b.late AND due >= %(d)s - interval '1 month') AS paid
            ) p
            """,
            {"d": COB_DATE},
        )
        cursor.execute(
            """
            UPDATE repayment_loan l
               SET outstanding_principal = u.unpaid, own_outstanding_principal = round(u.unpaid * 0.3, 2),
                   provision_amount = round(round(u.unpaid * 0.3, 2) * 0.01, 2)
            FROM (SELECT loan_id, sum(principal - principal_paid) AS unpaid FROM repayment_installment
                  GROUP BY loan_id) u
            WHERE l.id = u.loan_id
            """
        )
        cursor.execute(
            """
            INSERT INTO repayment_debitagreement (loan_id, account, signed_on)
            SELECT id, debit_account, disbursed_on FROM repayment_loan
            """
        )
        cursor.execute("SELECT count(*) FROM repayment_installment")
        (installments,) = cursor.fetchone()
    BusinessDate.objects.update_or_create(pk=1, defaults={"business_date": COB_DATE - timedelta(days=1)})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # statistics current, as autovacuum keeps them on a live book
    return {"installments": installments, "load_seconds": round(time.monotonic() - started, 1)}


class MemorySampler(threading.Thread):
    """The largest resident set of any worker process (pool children included), sampled every 0.2 s."""

    def __init__(self, root_pid: int):
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.peak_kib = 0
        self.stop = threading.Event()

    def _pids(self) -> list[int]:
        pids = [self.root_pid]
        try:
            children = Path(f"/proc/{self.root_pid}/task/{self.root_pid}/children").read_text().split()
        except OSError:
            children = []
        return pids + [int(pid) for pid in children]

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in self._pids():
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                except OSError:
                    continue
            self.stop.wait(0.2)


def _workers(count: int) -> subprocess.Popen:
    env = dict(os.environ)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "cob", f"--concurrency={count}",
         "-n", f"bench-cob-{os.getpid()}@localhost", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _close_on_workers(workers: int) -> dict:
    from config.celery import app
    from repayment.models import CobRun
    from repayment.tasks import cob_run_async

    process = _workers(workers)
    sampler = MemorySampler(process.pid)
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the Celery workers did not start")
        sampler.start()
        started = time.monotonic()
        cob_run_async(target=COB_DATE)
        while not CobRun.objects.filter(business_date=COB_DATE, status=CobRun.Status.COMPLETED).exists():
            time.sleep(0.1)
        seconds = time.monotonic() - started
    finally:
        sampler.stop.set()
        process.terminate()
        process.wait(timeout=60)
    run = CobRun.objects.get(business_date=COB_DATE)
    return {
        "cob_seconds": round(seconds, 2),
        "partitions": len(run.partitions),
        "active_loans": run.loans,
        "steps": run.steps,
        "worker_max_rss_mib": round(sampler.peak_kib / 1024, 1),
    }


def _naive_close(sample: int, day: date) -> dict:
    """The same steps, the way a per-loan ORM loop does them: one loan at a time, a journal and a commit each."""
    from django.db import transaction

    from ledger.journals import JournalLine
    from ledger.services import journal_post
    from repayment.models import Installment, InterestAccrual, Loan
    from repayment.servicing_math import bucket_for, penalty_to_date
    from risk_models.performance import LoanPerformanceSnapshot, snapshot_partition_ensure

    cent = Decimal("0.01")
    snapshot_partition_ensure(month=day)
    ids = list(Loan.objects.filter(status="ACTIVE").order_by("?").values_list("pk", flat=True)[:sample])
    started = time.monotonic()
    for loan_id in ids:
        with transaction.atomic():
            loan = Loan.objects.select_for_update().get(pk=loan_id)
            unpaid = list(loan.installments.filter(status__in=["PENDING", "DUE"]).order_by("due_date"))
            own_accrued = Decimal("0.00")
            for row in unpaid:
                if row.period_start < day <= row.due_date:
                    days = (row.due_date - row.period_start).days
                    elapsed = (day - row.period_start).days

                    def accrued(interest, elapsed, days=days):
                        if elapsed >= days:
                            return interest
                        return (interest * elapsed / days).quantize(cent, rounding=ROUND_HALF_UP)

                    amount = accrued(row.interest, elapsed) - accrued(row.interest, elapsed - 1)
                    own_accrued = accrued(row.own_interest, elapsed) - accrued(row.own_interest, elapsed - 1)
                    InterestAccrual.objects.create(
                        accrued_on=day, loan_id=loan.pk, installment_id=row.pk, amount=amount, own_amount=own_accrued
                    )
                if row.status == Installment.Status.PENDING and row.due_date <= day:
                    row.status = Installment.Status.DUE
                    row.save(update_fields=["status"])
                if row.status == Installment.Status.DUE:
                    penalty = penalty_to_date(
                        due_date=row.due_date, on=day, unpaid_principal=row.principal_unpaid,
                        penalty_rate=loan.penalty_rate, grace_days=loan.grace_days, base_on=row.penalty_base_on,
                        base=row.penalty_base,
                    )  # fmt: skip
                    if penalty != row.penalty_accrued:
                        row.penalty_accrued = penalty
                        row.save(update_fields=["penalty_accrued"])
            overdue = [row for row in unpaid if row.status == Installment.Status.DUE and row.due_date < day]
            loan.dpd = (day - overdue[0].due_date).days if overdue else 0
            loan.bucket = bucket_for(loan.dpd)
            loan.max_dpd = max(loan.max_dpd, loan.dpd)
            loan.cob_date = day
            loan.save(update_fields=["dpd", "bucket", "max_dpd", "cob_date"])
            LoanPerformanceSnapshot.objects.create(
                snapshot_date=day, loan_id=loan.pk, borrower_id=loan.borrower_id, product_code=loan.product_code,
                partner_code=loan.lead_partner, own_share=Decimal("0.3"), partner_share=Decimal("0.7"),
                grade=loan.grade, scorecard_version=loan.scorecard_version, disbursed_on=loan.disbursed_on,
                disbursed_month=loan.disbursed_on.replace(day=1), months_on_book=0, principal=loan.principal,
                outstanding_principal=loan.outstanding_principal,
                own_outstanding_principal=loan.own_outstanding_principal, overdue_principal=loan.overdue_principal,
                overdue_amount=loan.overdue_amount, dpd=loan.dpd, bucket=loan.bucket, max_dpd=loan.max_dpd,
                first_installment_status="PAID_ON_TIME", first_installment_max_dpd=0, status=loan.status,
                is_month_end=False,
            )  # fmt: skip
            if own_accrued > 0:
                journal_post(
                    lines=[JournalLine("1132", debit=own_accrued), JournalLine("6011", credit=own_accrued)],
                    kind="INTEREST_ACCRUAL", reference=f"loan:{loan.pk}", posted_on=day,
                    idempotency_key=f"naive:{day}:{loan.pk}",
                )  # fmt: skip
    seconds = time.monotonic() - started
    return {"naive_sample": len(ids), "naive_seconds": round(seconds, 2), "naive_loans_per_second": len(ids) / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=2_000, help="loans the naive loop closes")
    parser.add_argument("--partition-size", type=int, default=0, help="default: loans / 48, at least 5,000")
    parser.add_argument("--skip-debit-orders", action="store_true", help="do not time the auto-debit orders")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--scale", default="", help="worker counts to close the same book with, e.g. 1,2,4")
    args = parser.parse_args()
    host = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    admin_url = host.replace("postgres://", "postgresql://", 1) + "/postgres"
    partition_size = args.partition_size or max(5_000, args.loans // 48)
    _recreate_database(admin_url)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
    _configure(f"{host}/{BENCH_DATABASE}", redis_url, partition_size)
    from django.core.management import call_command

    try:
        call_command("migrate", verbosity=0, skip_checks=True)
        figures: dict = {"loans": args.loans, "workers": args.workers, "partition_size": partition_size}
        figures |= _load(args.loans)
        if args.scale:
            del figures["workers"]
            figures["scale"] = _scale_out(admin_url, [int(count) for count in args.scale.split(",")])
            print(json.dumps(figures))
            return
        figures |= _close_on_workers(args.workers)
        figures["loans_per_second"] = round(figures["active_loans"] / figures["cob_seconds"])
        if not args.skip_debit_orders:
            from repayment.services import auto_debits_dispatch

            started = time.monotonic()
            figures["auto_debit_orders"] = auto_debits_dispatch()
            figures["auto_debit_seconds"] = round(time.monotonic() - started, 2)
        naive = _naive_close(args.sample, COB_DATE + timedelta(days=1))
        figures |= naive
        figures["naive_loans_per_second"] = round(naive["naive_loans_per_second"])
        # Per loan and per process: the close used W worker processes, the loop one.
        figures["speedup_per_loan"] = round(figures["loans_per_second"] / naive["naive_loans_per_second"], 1)
        figures["speedup_per_loan_per_process"] = round(figures["speedup_per_loan"] / args.workers, 1)
    finally:
        if not args.keep:
            _drop_database(admin_url)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
