"""Close-of-business run twice, or killed mid-step and run again, gives the same books (DOMAIN.md §10.8)."""

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal

import psycopg
import pytest
from django.db import connection

from repayment.models import CobRun, CobStepPartition, InterestAccrual
from repayment.services import cob_run
from repayment.services.cob_steps import STEPS, Scope
from tests.repayment.support import business_date_set, close_through, open_loan, pay
from tests.support.processes import ROOT, database_clone, libpq, worker_database_url

BOOKS_QUERIES = {
    "ledger": """
        SELECT a.key, sum(e.debit), sum(e.credit), count(*) FROM ledger_entry e
        JOIN ledger_account a ON a.id = e.account_id GROUP BY a.key ORDER BY a.key""",
    "journals": "SELECT kind, idempotency_key, reference, posted_on FROM ledger_journal ORDER BY idempotency_key, id",
    "installments": """
        SELECT loan_id, number, status, principal_paid, interest_paid, penalty_accrued, own_penalty_accrued,
               penalty_paid, accrual_closed FROM repayment_installment ORDER BY loan_id, number""",
    "loans": """
        SELECT id, status, dpd, max_dpd, bucket, overdue_principal, overdue_amount, penalty_outstanding,
               provision_amount, outstanding_principal FROM repayment_loan ORDER BY id""",
    "accruals": "SELECT accrued_on, loan_id, amount, own_amount FROM repayment_interestaccrual ORDER BY 1, 2",
    "auto_debits": "SELECT loan_id, debit_on, amount, status FROM repayment_repayment ORDER BY loan_id, debit_on, id",
    "snapshots": """
        SELECT snapshot_date, loan_id, dpd, bucket, outstanding_principal, overdue_amount, status
        FROM risk_models_loanperformancesnapshot ORDER BY 1, 2""",
    "steps": "SELECT business_date, step, partition, rows FROM repayment_cobsteppartition ORDER BY 1, 2, 3",
}


def books(url: str | None = None) -> dict:
    """Everything close-of-business writes, in a comparable form (ids included: the worlds are clones)."""
    if url is None:
        with connection.cursor() as cursor:
            return {name: _fetch(cursor, sql) for name, sql in BOOKS_QUERIES.items()}
    with psycopg.connect(libpq(url)) as conn, conn.cursor() as cursor:
        return {name: _fetch(cursor, sql) for name, sql in BOOKS_QUERIES.items()}


def _fetch(cursor, sql):
    cursor.execute(sql)
    return cursor.fetchall()


def _portfolio():
    """Three loans, one of them late (penalty, ageing, auto-debit) and one co-funded by two partners."""
    business_date_set(date(2024, 1, 1))
    on_time = open_loan(borrower_id=1)
    late = open_loan(borrower_id=2, principal="5000.00", partners=(("ICBC", "0.4"), ("CMB", "0.3")))
    open_loan(borrower_id=3, principal="800.00", term=3, method="EQUAL_PRINCIPAL", own_share="1", partners=())
    close_through(date(2024, 1, 31))
    pay(on_time, "1100.16")
    return late


@pytest.mark.django_db
def test_second_run_of_a_closed_date_changes_nothing():
    _portfolio()
    close_through(date(2024, 2, 10))
    before = books()

    figures = cob_run(business_date=date(2024, 2, 10))

    assert figures["dates_closed"] == []
    assert books() == before


@pytest.mark.django_db
def test_every_step_run_again_over_a_closed_date_books_nothing_twice():
    _portfolio()
    close_through(date(2024, 2, 10))
    before = books()

    # Bypass the (date, step, partition) records: each step's SQL itself must be idempotent.
    run = CobRun.objects.get(business_date=date(2024, 2, 10))
    for step in STEPS:
        for index, (lo, hi) in enumerate(run.partitions):
            step.run(Scope(business_date=run.business_date, lo=lo, hi=hi, key=f"p{index}"))

    assert books() == before


@pytest.mark.django_db
def test_accrual_inserts_one_row_per_loan_and_day():
    _portfolio()

    close_through(date(2024, 2, 5))

    rows = InterestAccrual.objects.filter(accrued_on=date(2024, 2, 3)).count()
    assert rows == 3
    assert CobStepPartition.objects.filter(business_date=date(2024, 2, 3)).count() == len(STEPS)


def _run_cob_process(url: str, day: date, *, crash_point: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "TEST_DATABASE_URL": url,
            "COB_CRASH_POINT": crash_point,
            "COB_PARTITION_SIZE": "2",
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "run_cob", "--date", day.isoformat(), "--sync", "--skip-checks"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def cloned_world(transactional_db):
    """The same portfolio twice: this test database and a byte-for-byte clone of it (CREATE DATABASE … TEMPLATE)."""
    _portfolio()
    with database_clone() as clone_url:
        yield worker_database_url(), clone_url


@pytest.mark.slow
def test_cob_killed_in_the_middle_of_a_step_and_run_again_matches_an_uninterrupted_run(cloned_world):
    url, clone_url = cloned_world
    day = date(2024, 2, 6)  # the late loan is 5 days late, past its grace days: every step has work

    uninterrupted = _run_cob_process(clone_url, day)
    crashed = _run_cob_process(url, day, crash_point="PENALTY:p1")
    resumed = _run_cob_process(url, day)

    assert uninterrupted.returncode == 0, uninterrupted.stderr
    assert crashed.returncode == -9  # SIGKILL mid-step, its transaction never committed
    assert resumed.returncode == 0, resumed.stderr
    assert books(url) == books(clone_url)
    assert books(url)["ledger"]  # and there is something to compare
    balances = {key: debit - credit for key, debit, credit, _count in books(url)["ledger"]}
    assert sum(balances.values(), Decimal("0")) == 0
