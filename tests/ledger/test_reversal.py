from datetime import date
from decimal import Decimal

import pytest

from ledger.exceptions import InsufficientBalance, InvalidJournal, JournalNotFound, JournalNotReversible
from ledger.models import Entry
from ledger.selectors import account_balance, balance_mismatches
from ledger.services import REVERSAL_KIND, journal_reverse

from .conftest import POSTED_ON, transfer


@pytest.mark.django_db
def test_reversal_mirrors_every_leg_and_points_at_the_original():
    original = transfer(debit="1012.BANK_SIM", credit="1002", amount="80.00", reference="po-1")

    reversal = journal_reverse(journal_id=original.pk, posted_on=date(2024, 2, 1), reason="payout failed")

    assert (reversal.reverses_id, reversal.kind, reversal.reference, reversal.memo) == (
        original.pk,
        REVERSAL_KIND,
        "po-1",
        "payout failed",
    )
    legs = set(Entry.objects.filter(journal=reversal).values_list("account__key", "debit", "credit"))
    assert legs == {("1012.BANK_SIM", Decimal("0.00"), Decimal("80.00")), ("1002", Decimal("80.00"), Decimal("0.00"))}
    assert account_balance(account="1012.BANK_SIM") == Decimal("0.00")
    assert account_balance(account="1002") == Decimal("0.00")
    assert Entry.objects.filter(journal=original).count() == 2  # the original stays as it was


@pytest.mark.django_db
def test_reversing_twice_returns_the_same_reversal():
    original = transfer(debit="1012", credit="1002", amount="80.00")
    first = journal_reverse(journal_id=original.pk, posted_on=POSTED_ON, reason="once")

    second = journal_reverse(journal_id=original.pk, posted_on=POSTED_ON, reason="twice")

    assert second.pk == first.pk
    assert account_balance(account="1012") == Decimal("0.00")


@pytest.mark.django_db
def test_a_reversal_cannot_itself_be_reversed():
    original = transfer(debit="1012", credit="1002", amount="80.00")
    reversal = journal_reverse(journal_id=original.pk, posted_on=POSTED_ON, reason="once")

    with pytest.raises(JournalNotReversible):
        journal_reverse(journal_id=reversal.pk, posted_on=POSTED_ON, reason="undo the undo")


@pytest.mark.django_db
def test_reversal_that_would_overdraw_an_account_is_refused(overpayment_of_100):
    refund = transfer(debit=overpayment_of_100, credit="1002", amount="100.00")
    top_up = transfer(debit="1002", credit=overpayment_of_100, amount="30.00")
    transfer(debit=overpayment_of_100, credit="1002", amount="30.00")

    with pytest.raises(InsufficientBalance):
        journal_reverse(journal_id=top_up.pk, posted_on=POSTED_ON, reason="wrong top-up")

    assert account_balance(account=overpayment_of_100) == Decimal("0.00")
    assert refund.pk
    assert balance_mismatches() == []


@pytest.mark.django_db
def test_reversing_a_journal_that_does_not_exist_is_not_found():
    with pytest.raises(JournalNotFound):
        journal_reverse(journal_id=987654, posted_on=POSTED_ON, reason="?")


@pytest.mark.django_db
def test_reversal_dated_before_its_original_or_without_reason_is_refused():
    original = transfer(debit="1012", credit="1002", amount="1.00")

    with pytest.raises(InvalidJournal):
        journal_reverse(journal_id=original.pk, posted_on=date(2024, 1, 30), reason="too early")
    with pytest.raises(InvalidJournal):
        journal_reverse(journal_id=original.pk, posted_on=POSTED_ON, reason=" ")
