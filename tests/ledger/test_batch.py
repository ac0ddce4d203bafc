from decimal import Decimal

import pytest

from ledger.exceptions import InsufficientBalance, InvalidJournal, JournalIdempotencyConflict
from ledger.models import Entry, Journal
from ledger.selectors import account_balance, balance_mismatches
from ledger.services import JournalLine, JournalSpec, journals_post_batch

from .conftest import POSTED_ON


def accrual(reference: str, amount: str, **options) -> JournalSpec:
    value = Decimal(amount)
    return JournalSpec(
        lines=[JournalLine("1132", debit=value), JournalLine("6011", credit=value)],
        kind="INTEREST_ACCRUAL",
        reference=reference,
        posted_on=POSTED_ON,
        **options,
    )


def movement(debit: str, credit: str, amount: str) -> JournalSpec:
    value = Decimal(amount)
    return JournalSpec(
        lines=[JournalLine(debit, debit=value), JournalLine(credit, credit=value)],
        kind="TEST",
        reference=f"{debit}>{credit}",
        posted_on=POSTED_ON,
    )


@pytest.mark.django_db
def test_batch_posts_every_journal_and_returns_ids_in_the_order_given():
    journals = [accrual(f"partition-{n}", f"{n}.00") for n in range(1, 51)]

    ids = journals_post_batch(journals=journals)

    stored = dict(Journal.objects.filter(pk__in=ids).values_list("pk", "reference"))
    assert [stored[journal_id] for journal_id in ids] == [f"partition-{n}" for n in range(1, 51)]
    assert Entry.objects.count() == 100
    assert account_balance(account="6011") == Decimal(sum(range(1, 51)))


@pytest.mark.django_db
def test_empty_batch_posts_nothing():
    assert journals_post_batch(journals=[]) == []


@pytest.mark.django_db
def test_batch_is_all_or_nothing_when_a_later_journal_would_overdraw():
    journals = [movement("1002", "2202.B1", "5.00"), movement("2202.B1", "1002", "10.00")]

    with pytest.raises(InsufficientBalance) as refused:
        journals_post_batch(journals=journals)

    assert refused.value.details["account"] == "2202.B1"
    assert not Journal.objects.exists()


@pytest.mark.django_db
def test_batch_checks_the_running_balance_journal_after_journal():
    journals = [movement("1002", "2202.B1", "10.00"), movement("2202.B1", "1002", "10.00")]

    journals_post_batch(journals=journals)

    assert account_balance(account="2202.B1") == Decimal("0.00")
    assert balance_mismatches() == []


@pytest.mark.django_db
def test_batch_replay_returns_the_first_ids_and_posts_only_the_new_journals():
    first = journals_post_batch(journals=[accrual("p1", "1.00", idempotency_key="cob:2024-01-31:p1")])

    again = journals_post_batch(
        journals=[
            accrual("p1", "1.00", idempotency_key="cob:2024-01-31:p1"),
            accrual("p2", "2.00", idempotency_key="cob:2024-01-31:p2"),
        ]
    )

    assert again[0] == first[0]
    assert account_balance(account="6011") == Decimal("3.00")
    assert Journal.objects.count() == 2


@pytest.mark.django_db
def test_batch_replay_with_other_amounts_is_a_conflict():
    journals_post_batch(journals=[accrual("p1", "1.00", idempotency_key="cob:p1")])

    with pytest.raises(JournalIdempotencyConflict):
        journals_post_batch(journals=[accrual("p1", "1.01", idempotency_key="cob:p1")])


@pytest.mark.django_db
def test_batch_with_one_key_twice_is_refused():
    with pytest.raises(InvalidJournal):
        journals_post_batch(
            journals=[accrual("a", "1.00", idempotency_key="k"), accrual("b", "1.00", idempotency_key="k")]
        )
