"""What every fault test shares: a clone of the test database for the fault-free run, the books in a form two runs
can be compared in, a real worker and bank simulator pointed at either database, and ways to catch a worker mid-step.

A fault test arranges a world in the test database, clones it (CREATE DATABASE … TEMPLATE), plays the same scenario
on the clone without a fault and on the original with one, and asserts both books are identical. Surrogate ids of
rows the scenario creates are left out of the comparison: a transaction the fault rolled back still used up sequence
values, so the recovered run numbers its rows differently; natural keys (account, loan, date, amounts) are compared.
"""

import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import redis

from tests.payments.conftest import CALLBACK_SECRET, CHANNEL_TIMEOUT, QUERY_BACKOFF, Simulator, bank_simulator
from tests.repayment.support import business_date_set, close_through, open_loan
from tests.support.processes import celery_worker, libpq, wait_until
from tests.support.processes import database_clone as shared_database_clone

# Everything the scenarios write, without the ids of rows they create (see the module docstring).
BOOKS_QUERIES = {
    "ledger": """
        SELECT a.key, sum(e.debit), sum(e.credit), count(*) FROM ledger_entry e
        JOIN ledger_account a ON a.id = e.account_id GROUP BY a.key ORDER BY a.key""",
    "journals": """
        SELECT j.kind, j.posted_on, sum(e.debit), count(*) FROM ledger_journal j
        JOIN ledger_entry e ON e.journal_id = j.id GROUP BY j.id ORDER BY 1, 2, 3, 4""",
    "installments": """
        SELECT loan_id, number, status, principal_paid, interest_paid, penalty_accrued, own_penalty_accrued,
               penalty_paid, accrual_closed FROM repayment_installment ORDER BY loan_id, number""",
    "loans": """
        SELECT id, status, dpd, max_dpd, bucket, overdue_principal, overdue_amount, penalty_outstanding,
               provision_amount, outstanding_principal, overpayment_balance, cob_date
        FROM repayment_loan ORDER BY id""",
    "accruals": "SELECT accrued_on, loan_id, amount, own_amount FROM repayment_interestaccrual ORDER BY 1, 2",
    "repayments": """
        SELECT loan_id, source, kind, amount, status, value_date, overpayment, debit_on FROM repayment_repayment
        ORDER BY 1, 2, 3, 4, 5""",
    "allocations": """
        SELECT r.loan_id, r.source, a.component, a.amount FROM repayment_repaymentallocation a
        JOIN repayment_repayment r ON r.id = a.repayment_id ORDER BY 1, 2, 3, 4""",
    "loan_events": "SELECT loan_id, kind, business_date FROM repayment_loanevent ORDER BY 1, 2, 3",
    "snapshots": """
        SELECT snapshot_date, loan_id, dpd, bucket, outstanding_principal, overdue_amount, status
        FROM risk_models_loanperformancesnapshot ORDER BY 1, 2""",
    "cob_runs": "SELECT business_date, status FROM repayment_cobrun ORDER BY 1",
    "cob_steps": "SELECT business_date, step, partition, rows FROM repayment_cobsteppartition ORDER BY 1, 2, 3",
    "orders": """
        SELECT kind, purpose, amount, counterparty_account, channel, state FROM payments_paymentorder
        ORDER BY 1, 2, 3, 4, 5, 6""",
    "outbox": """
        SELECT o.kind, o.amount, x.state, x.delivered_at IS NOT NULL FROM payments_settlementoutbox x
        JOIN payments_paymentorder o ON o.id = x.order_id ORDER BY 1, 2, 3, 4""",
}


def fetch(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(libpq(url)) as conn, conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def books(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(libpq(url)) as conn, conn.cursor() as cursor:
        result = {}
        for name, sql in BOOKS_QUERIES.items():
            cursor.execute(sql)
            result[name] = cursor.fetchall()
        return result


def trial_balance_difference(book: dict) -> Decimal:
    """Σ debits − Σ credits over every account: zero in balanced books."""
    return sum((debit - credit for _key, debit, credit, _count in book["ledger"]), Decimal("0"))


def settled_without_loose_ends(url: str) -> bool:
    """Nothing of the scenario still in flight: every order final, every settlement delivered, nothing pending."""
    (loose,) = fetch(
        url,
        """SELECT (SELECT count(*) FROM payments_paymentorder WHERE state NOT IN ('SUCCEEDED', 'FAILED', 'REVERSED'))
                + (SELECT count(*) FROM payments_settlementoutbox WHERE delivered_at IS NULL)
                + (SELECT count(*) FROM repayment_repayment WHERE status = 'PENDING')
                + (SELECT count(*) FROM repayment_cobrun WHERE status <> 'COMPLETED')""",
    )[0]
    return loose == 0


def database_clone() -> AbstractContextManager[str]:
    """The test database cloned for the fault-free run (tests.support.processes.database_clone)."""
    return shared_database_clone("fault_free")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def channel_env(simulator_url: str) -> dict[str, str]:
    """Short timeouts and back-off as in the payments tests; no callbacks (nothing listens on port 9), so every
    outcome is learned by query, the same way in the run against the clone and in the run against the original."""
    return {
        "BANK_CHANNEL_URL": simulator_url,
        "BANK_CALLBACK_SECRET": CALLBACK_SECRET,
        "PAYMENTS_CALLBACK_BASE_URL": "http://127.0.0.1:9",
        "PAYMENTS_CHANNEL_TIMEOUT": CHANNEL_TIMEOUT,
        "PAYMENTS_QUERY_BACKOFF": QUERY_BACKOFF,
        "PAYMENTS_STALE_AFTER": "1",
        "PAYMENTS_OUTBOX_RETRY_AFTER": "1",
        "COB_PARTITION_SIZE": "2",
        "COB_LOCK_TIMEOUT": "0.5",
    }


@contextmanager
def simulator_at(data_dir: Path, port: int) -> Iterator[Simulator]:
    """The bank simulator on a given port and data directory, so that it can be stopped and started again as the
    same bank (its orders and movements live in the data directory)."""
    with bank_simulator(data_dir, "--port", str(port)) as simulator:
        yield simulator


@contextmanager
def worker_on(
    database_url: str, simulator: Simulator, *, name: str, prefork: bool = False, broker_url: str | None = None
) -> Iterator:
    """A real Celery worker on every queue, reading `database_url` and paying through `simulator`.

    By default the payments tests' worker settings: a thread pool, connections kept as in production
    (CONN_MAX_AGE), and the recording settlement handlers of the TEST_PAYOUT / TEST_COLLECTION purposes.
    `prefork` runs the project's own test settings on a process pool instead (one child per task, which a
    test can kill on its own).
    """
    extra_env = {**channel_env(simulator.url), "TEST_DATABASE_URL": database_url}
    if not prefork:
        extra_env["DJANGO_SETTINGS_MODULE"] = "tests.payments.worker_settings"
        extra_env["PAYMENTS_TEST_BASE_SETTINGS"] = "config.settings.test"
    if broker_url is not None:
        extra_env["TEST_REDIS_URL"] = broker_url
    with celery_worker(concurrency=2, extra_env=extra_env, hostname=f"faults-{name}") as worker:
        yield worker


def send(tasks: list[tuple[str, dict, str]]) -> None:
    """Queue tasks by name (name, kwargs, queue): the same messages for either database."""
    from config.celery import app

    for name, kwargs, queue in tasks:
        app.send_task(name, kwargs=kwargs, queue=queue)


def broker_purge() -> None:
    """Drop what the arranging left on the broker (the services enqueue on commit; the runs send their own)."""
    from config.celery import app

    with app.connection_for_write() as conn:
        for queue in ("celery", "cob", "payments", "indicators"):
            conn.default_channel.queue_purge(queue)
        conn.default_channel.client.delete("unacked", "unacked_index")


class BeatSweeps:
    """What beat sends every minute, sent every `every` seconds: the recovery sweep and the outbox sweep."""

    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self.last = 0.0

    def __call__(self) -> None:
        if time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            send([("payments.recovery_sweep", {}, "payments"), ("payments.outbox_sweep", {}, "payments")])


def movements_by_serial(simulator: Simulator) -> Counter:
    return Counter(movement["serial"] for movement in simulator.movements())


def paid_out(simulator: Simulator) -> list[tuple[str, str, str]]:
    """What actually moved at the bank, without the serials (random per run): kind, amount, account."""
    return sorted((m["kind"], m["amount"], m["account"]) for m in simulator.movements())


@dataclass
class TableHold:
    """A SHARE lock on one table, held by the test: any writer of the table waits on it mid-transaction.

    Readers go on; the first INSERT/UPDATE of the table in a worker's transaction stops there, with everything
    before it in the same transaction done and uncommitted: a worker caught in the middle of a step.
    """

    url: str
    table: str
    conn: psycopg.Connection | None = None

    def __enter__(self) -> "TableHold":
        self.conn = psycopg.connect(libpq(self.url))
        self.conn.execute(f'LOCK TABLE "{self.table}" IN SHARE MODE')
        return self

    def waiting_backends(self) -> list[int]:
        """Backends (of other sessions) waiting for this table — of this database only: a clone has the same
        relation ids, and other databases on the server are none of this test's business."""
        rows = self.conn.execute(
            """SELECT DISTINCT l.pid FROM pg_locks l
               WHERE NOT l.granted AND l.relation = %s::regclass AND l.pid <> pg_backend_pid()
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())""",
            (self.table,),
        ).fetchall()
        return [pid for (pid,) in rows]

    def wait_for_writers(self, count: int = 1, timeout: float = 60) -> list[int]:
        wait_until(
            lambda: len(self.waiting_backends()) >= count, timeout=timeout, message=f"a writer of {self.table} to wait"
        )
        return self.waiting_backends()

    def terminate(self, pids: list[int]) -> None:
        for pid in pids:
            self.conn.execute("SELECT pg_terminate_backend(%s)", (pid,))

    def release(self) -> None:
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()
            self.conn = None

    def __exit__(self, *exc) -> None:
        self.release()


def run_until_settled(
    url: str, *, until: Callable[[str], bool], timeout: float = 90, kick: Callable[[], None] | None = None
) -> None:
    """Wait for the scenario to reach `until` on `url` with nothing left in flight; `kick` (what beat would send)
    is called on every poll."""

    def settled() -> bool:
        if kick is not None:
            kick()
        return until(url) and settled_without_loose_ends(url)

    wait_until(settled, timeout=timeout, interval=0.5, message=f"the scenario to settle in {url.rsplit('/', 1)[1]}")


# --- the world every scenario starts from ----------------------------------------------------------------------

DUE_DATE = date(2024, 2, 1)  # the first instalments of the portfolio fall due: auto-debits, collections, allocation
CLOSE_OF_DUE_DATE = [("repayment.tasks.cob_date_start", {"day": "2024-02-01", "target": "2024-02-01"}, "cob")]


def due_date_closed(url: str) -> bool:
    return bool(
        fetch(url, "SELECT 1 FROM repayment_cobrun WHERE business_date = %s AND status = 'COMPLETED'", (DUE_DATE,))
    )


def portfolio() -> list:
    """Three loans closed through January (inline): an equal-instalment one, a co-funded one, an equal-principal
    one fully ours; each with a signed debit agreement, so closing 1 February asks to collect from all three."""
    business_date_set(date(2024, 1, 1))
    loans = [
        open_loan(borrower_id=1),
        open_loan(borrower_id=2, principal="5000.00", partners=(("ICBC", "0.4"), ("CMB", "0.3"))),
        open_loan(borrower_id=3, principal="800.00", term=3, method="EQUAL_PRINCIPAL", own_share="1", partners=()),
    ]
    close_through(DUE_DATE - timedelta(days=1))
    return loans


@dataclass
class Played:
    """What a run left: the books, what moved at the bank, and how many times each serial moved."""

    books: dict[str, list[tuple]]
    paid: list[tuple[str, str, str]]
    moves_per_serial: Counter


NO_FAULT = contextmanager(lambda worker: iter([None]))


def play(
    url: str,
    data_dir: Path,
    *,
    name: str,
    tasks: list[tuple[str, dict, str]],
    until: Callable[[str], bool],
    fault: Callable = NO_FAULT,
    prefork: bool = False,
    broker_url: str | None = None,
    timeout: float = 90,
) -> Played:
    """Play a scenario on `url` with a fresh bank, a worker, and beat's sweeps; `fault(worker)` is a context
    manager entered before the tasks are sent and left after (where the test breaks something and recovers it)."""
    with (
        simulator_at(data_dir, free_port()) as simulator,
        worker_on(url, simulator, name=name, prefork=prefork, broker_url=broker_url) as w,
    ):
        with fault(w):
            send(tasks)
        run_until_settled(url, until=until, timeout=timeout, kick=BeatSweeps())
        return Played(books=books(url), paid=paid_out(simulator), moves_per_serial=movements_by_serial(simulator))


def steps_done(url: str, day: date) -> set[str]:
    return {
        step for (step,) in fetch(url, "SELECT step FROM repayment_cobsteppartition WHERE business_date = %s", (day,))
    }


class RedisServer:
    """A redis-server of the test's own, persisting every write to its append-only file, that can be killed and
    started again on the same port and directory (the broker restarted while tasks are queued)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "redis.log").open("a")
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",  # each queued task on disk before it is acknowledged to the sender
                "--save",
                "",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)

        def answers() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited early; see {self.directory / 'redis.log'}")
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_until(answers, timeout=20, message="redis-server to answer")

    def kill(self) -> None:
        """SIGKILL: no shutdown save, only what the append-only file already holds survives."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def queued(self, queue: str) -> int:
        return redis.Redis.from_url(self.url).llen(queue)


def celery_connections_drop() -> None:
    """Forget this process's pooled broker and result connections (they point at a server that went away)."""
    from kombu import pools

    from config.celery import app

    pools.reset()  # kombu keeps one pool per broker URL for the whole process: close and forget them all
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)


@contextmanager
def celery_app_on(broker_url: str) -> Iterator[None]:
    """Point this process's Celery app (senders, control, results) at another broker for a while."""
    from django.conf import settings

    from config.celery import app

    saved = (app.conf.broker_url, app.conf.result_backend, settings.CELERY_BROKER_URL)

    def switch(broker: str, backend: str, django_broker: str) -> None:
        app.conf.broker_url, app.conf.result_backend = broker, backend
        settings.CELERY_BROKER_URL = django_broker
        celery_connections_drop()

    switch(broker_url, broker_url, broker_url)
    try:
        yield
    finally:
        switch(*saved)
