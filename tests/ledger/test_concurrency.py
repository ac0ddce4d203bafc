"""Real threads, each with its own PostgreSQL connection, posting at the same time."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, transaction

from ledger.exceptions import InsufficientBalance
from ledger.models import Account, Journal
from ledger.selectors import account_balance, balance_mismatches, unbalanced_journals
from ledger.services import hot_balances_checkpoint
from tests.support.processes import wait_until

from .conftest import transfer


def in_threads(count: int, work) -> list:
    """Run work(n) on `count` threads released together; each thread closes its own connection."""
    start = threading.Barrier(count)

    def run(n: int):
        try:
            start.wait(timeout=30)
            return work(n)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_debits_of_ten_on_one_hundred_let_exactly_ten_through():
    transfer(debit="1002", credit="2202.B7", amount="100.00", reference="overpayment")

    def refund(n: int) -> str:
        try:
            with transaction.atomic():
                transfer(debit="2202.B7", credit="1002", amount="10.00", reference=f"refund-{n}")
        except InsufficientBalance:
            return "refused"
        return "posted"

    outcomes = Counter(in_threads(50, refund))

    assert outcomes == {"posted": 10, "refused": 40}
    assert account_balance(account="2202.B7") == Decimal("0.00")
    assert Journal.objects.filter(reference__startswith="refund-").count() == 10
    assert balance_mismatches() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_postings_to_the_hot_account_all_land():
    def payouts(n: int) -> None:
        for i in range(10):
            with transaction.atomic():
                transfer(debit="1012.BANK_SIM", credit="1002", amount="1.25", reference=f"po-{n}-{i}")

    in_threads(16, payouts)

    assert account_balance(account="1012.BANK_SIM") == Decimal("200.00")
    assert account_balance(account="1002") == Decimal("-200.00")
    assert unbalanced_journals() == []
    assert balance_mismatches() == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("credit", ["1002", "2202.B9"], ids=["hot-only", "with-a-cold-account"])
def test_fifty_concurrent_posts_under_one_idempotency_key_make_one_journal(credit):
    def post(n: int) -> int:
        with transaction.atomic():
            return transfer(debit="1012", credit=credit, amount="7.00", idempotency_key="settle-1").pk

    journal_ids = set(in_threads(50, post))

    assert len(journal_ids) == 1
    assert Journal.objects.filter(idempotency_key="settle-1").count() == 1
    assert account_balance(account="1012") == Decimal("7.00")


@pytest.mark.django_db(transaction=True)
def test_checkpoint_taken_while_a_posting_is_in_flight_loses_nothing():
    transfer(debit="1012", credit="1002", amount="1.00", reference="before")
    posted = threading.Event()
    release = threading.Event()

    def slow_payout() -> None:
        try:
            with transaction.atomic():
                transfer(debit="1012", credit="1002", amount="2.00", reference="in-flight")
                posted.set()
                assert release.wait(timeout=30)
        finally:
            connection.close()

    payout = threading.Thread(target=slow_payout)
    payout.start()
    try:
        assert posted.wait(timeout=30)
        hot_balances_checkpoint()  # must neither wait for nor skip the open transaction's entry
    finally:
        release.set()
        payout.join(timeout=30)

    assert account_balance(account="1012") == Decimal("3.00")
    hot_balances_checkpoint()
    assert account_balance(account="1012") == Decimal("3.00")
    assert balance_mismatches() == []


@pytest.mark.django_db(transaction=True)
def test_checkpoint_folds_finished_entries_into_the_hot_accounts_row():
    transfer(debit="1012", credit="1002", amount="4.00")

    def folded() -> bool:
        # The horizon is cluster-wide (transaction ids are): a transaction that any session of the server
        # began writing before this entry holds it back until it ends — retry until then.
        hot_balances_checkpoint()
        return Account.objects.get(key="1012").balance == Decimal("4.00")

    wait_until(folded, timeout=60, interval=0.1, message="the checkpoint to pass the entry's transaction")

    row = Account.objects.get(key="1012")
    assert row.version >= 1
    assert account_balance(account="1012") == Decimal("4.00")
    assert balance_mismatches() == []


@pytest.mark.django_db(transaction=True)
def test_postings_that_name_two_cold_accounts_in_opposite_orders_never_deadlock():
    # Each journal moves 1.00 between two guarded accounts, half of them naming the pair the other way
    # round and sitting in a transaction with a second posting; without one lock order they would deadlock.
    transfer(debit="1002", credit="2202.P1", amount="500.00", reference="fund-p1")
    transfer(debit="1002", credit="2202.P2", amount="500.00", reference="fund-p2")

    def shuffle(n: int) -> None:
        first, second = ("2202.P1", "2202.P2") if n % 2 else ("2202.P2", "2202.P1")
        for i in range(10):
            with transaction.atomic():
                transfer(debit=first, credit=second, amount="1.00", reference=f"move-{n}-{i}")
                transfer(debit=second, credit=first, amount="2.00", reference=f"back-{n}-{i}")

    in_threads(16, shuffle)

    assert Journal.objects.filter(reference__startswith="move-").count() == 160
    assert account_balance(account="2202.P1") + account_balance(account="2202.P2") == Decimal("1000.00")
    assert account_balance(account="2202.P1") == Decimal("500.00")
    assert balance_mismatches() == []
    assert unbalanced_journals() == []
