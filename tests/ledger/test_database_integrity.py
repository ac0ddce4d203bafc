"""The books hold even when a writer goes around ledger.services: PostgreSQL itself refuses."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from ledger.models import Account, Journal
from ledger.selectors import account_balance, balance_mismatches

from .conftest import transfer


def raw_journal(reference: str = "raw") -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_journal (kind, reference, posted_on, fingerprint, memo, created_at) "
            "VALUES ('RAW', %s, '2024-01-31', '', '', now()) RETURNING id",
            [reference],
        )
        return cursor.fetchone()[0]


def raw_entry(journal_id: int, key: str, *, debit: str = "0", credit: str = "0") -> None:
    account_id = Account.objects.get(key=key).pk
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_entry (journal_id, account_id, debit, credit) VALUES (%s, %s, %s, %s)",
            [journal_id, account_id, debit, credit],
        )


@pytest.mark.django_db(transaction=True)
def test_database_refuses_an_unbalanced_journal_at_commit():
    transfer(debit="1012", credit="1002", amount="1.00")  # the chart accounts exist after a flush too

    def unbalanced_journal_committed() -> None:
        with transaction.atomic():
            journal_id = raw_journal("unbalanced")
            raw_entry(journal_id, "1012", debit="10.00")
            raw_entry(journal_id, "1002", credit="9.99")

    with pytest.raises(IntegrityError, match="unbalanced"):
        unbalanced_journal_committed()

    assert not Journal.objects.filter(reference="unbalanced").exists()


@pytest.mark.django_db(transaction=True)
def test_database_accepts_a_balanced_journal_written_in_several_statements():
    transfer(debit="1012", credit="1002", amount="1.00")

    with transaction.atomic():
        journal_id = raw_journal("balanced")
        raw_entry(journal_id, "1012", debit="10.00")
        raw_entry(journal_id, "1002", credit="4.00")
        raw_entry(journal_id, "1002", credit="6.00")

    assert account_balance(account="1012") == Decimal("11.00")


@pytest.mark.django_db
def test_cold_balance_follows_entries_written_around_the_service(overpayment_of_100):
    journal_id = raw_journal()
    raw_entry(journal_id, "1002", debit="25.00")
    raw_entry(journal_id, overpayment_of_100, credit="25.00")

    assert account_balance(account=overpayment_of_100) == Decimal("125.00")
    assert balance_mismatches() == []


@pytest.mark.django_db
def test_database_refuses_to_overdraw_an_account_that_may_not_go_negative(overpayment_of_100):
    journal_id = raw_journal()
    raw_entry(journal_id, "1002", credit="100.01")

    with pytest.raises(IntegrityError, match="ledger_account_overdraft"):
        raw_entry(journal_id, overpayment_of_100, debit="100.01")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("debit", "credit"),
    [("0", "0"), ("5.00", "5.00"), ("-5.00", "0"), ("0", "-5.00")],
    ids=["no-side", "both-sides", "negative-debit", "negative-credit"],
)
def test_an_entry_carries_a_positive_amount_on_exactly_one_side(debit, credit):
    transfer(debit="1012", credit="1002", amount="1.00")
    journal_id = raw_journal()

    with pytest.raises(IntegrityError, match="ledger_entry_one_positive_side"):
        raw_entry(journal_id, "1012", debit=debit, credit=credit)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entry SET debit = debit + 1 WHERE journal_id = %s AND debit > 0",
        "DELETE FROM ledger_entry WHERE journal_id = %s",
        "UPDATE ledger_journal SET reference = 'rewritten' WHERE id = %s",
        "DELETE FROM ledger_journal WHERE id = %s",
    ],
    ids=["update-entry", "delete-entry", "update-journal", "delete-journal"],
)
def test_entries_and_journals_are_append_only(statement):
    journal = transfer(debit="1012", credit="1002", amount="1.00")

    with pytest.raises(IntegrityError, match="append-only"), connection.cursor() as cursor:
        cursor.execute(statement, [journal.pk])
