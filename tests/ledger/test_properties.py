"""Invariant 3 of DOMAIN.md §10 under any sequence of postings, batches, reversals and checkpoints: every
journal balances, the trial balance is zero, every cached or derived balance equals the sum of its entries,
and an account that may not go negative refuses exactly the postings that would take it below zero."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.chart import Side, account_spec
from ledger.exceptions import InsufficientBalance
from ledger.selectors import account_balance, balance_mismatches, trial_balance, unbalanced_journals
from ledger.services import JournalLine, JournalSpec, hot_balances_checkpoint, journal_reverse, journals_post_batch

from .conftest import POSTED_ON, transfer

ACCOUNTS = ["1002", "1012.BANK_SIM", "1303", "2241.ICBC", "6011", "1304", "2202.B1", "2202.B2", "1901", "2902"]
GUARDED = {key for key in ACCOUNTS if not account_spec(key).may_go_negative}

amounts = st.integers(min_value=1, max_value=50_000).map(lambda cents: Decimal(cents) / 100)
movements = st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS), amounts)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("post"), movements),
        st.tuples(st.just("batch"), st.lists(movements, min_size=1, max_size=6)),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("checkpoint"), st.none()),
    ),
    min_size=1,
    max_size=25,
)


def changes(debit: str, credit: str, amount: Decimal) -> dict[str, Decimal]:
    """What one movement does to each account's normal-side balance."""
    result: dict[str, Decimal] = {}
    for key, side in ((debit, Side.DEBIT), (credit, Side.CREDIT)):
        sign = 1 if account_spec(key).normal_side == side else -1
        result[key] = result.get(key, Decimal("0")) + sign * amount
    return result


def applies(books: dict[str, Decimal], movement_changes: list[dict[str, Decimal]]) -> dict[str, Decimal] | None:
    """The books after the movements in order, or None when a guarded account would go negative."""
    after = dict(books)
    for change in movement_changes:
        for key, delta in change.items():
            after[key] += delta
            if key in GUARDED and after[key] < 0:
                return None
    return after


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=operations)
def test_any_sequence_of_postings_keeps_the_books_whole(operations):
    # Examples share the database: start the model from the books as they stand.
    books = {key: account_balance(account=key) for key in ACCOUNTS}
    posted: list[tuple[int, dict[str, Decimal]]] = []
    reversed_ids: set[int] = set()

    for operation, argument in operations:
        if operation == "post":
            debit, credit, amount = argument
            expected = applies(books, [changes(debit, credit, amount)])
            try:
                journal = transfer(debit=debit, credit=credit, amount=str(amount))
            except InsufficientBalance:
                assert expected is None
            else:
                assert expected is not None
                books = expected
                posted.append((journal.pk, changes(debit, credit, amount)))
        elif operation == "batch":
            expected = applies(books, [changes(*movement) for movement in argument])
            specs = [
                JournalSpec(
                    lines=[JournalLine(debit, debit=amount), JournalLine(credit, credit=amount)],
                    kind="TEST",
                    reference="batch",
                    posted_on=POSTED_ON,
                )
                for debit, credit, amount in argument
            ]
            try:
                ids = journals_post_batch(journals=specs)
            except InsufficientBalance:
                assert expected is None
            else:
                assert expected is not None
                books = expected
                posted.extend(zip(ids, [changes(*movement) for movement in argument], strict=True))
        elif operation == "reverse" and posted:
            journal_id, original = posted[argument % len(posted)]
            undo = {key: -delta for key, delta in original.items()}
            expected = books if journal_id in reversed_ids else applies(books, [undo])
            try:
                journal_reverse(journal_id=journal_id, posted_on=POSTED_ON, reason="property test")
            except InsufficientBalance:
                assert expected is None
            else:
                assert expected is not None
                books = expected
                reversed_ids.add(journal_id)
        elif operation == "checkpoint":
            hot_balances_checkpoint()

    assert {key: account_balance(account=key) for key in ACCOUNTS} == books
    assert unbalanced_journals() == []
    assert trial_balance().balanced
    assert balance_mismatches() == []
