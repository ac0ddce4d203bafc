from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from ledger.exceptions import (
    InsufficientBalance,
    InvalidJournal,
    JournalIdempotencyConflict,
    UnbalancedJournal,
    UnknownAccount,
)
from ledger.models import Account, Entry, Journal
from ledger.selectors import account_balance, balance_mismatches
from ledger.services import JournalLine, journal_post

from .conftest import POSTED_ON, transfer


@pytest.mark.django_db
def test_payout_submitted_raises_clearing_and_lowers_own_funds():
    journal = transfer(debit="1012.BANK_SIM", credit="1002", amount="100.00", kind="PAYOUT_SUBMITTED")

    assert account_balance(account="1012.BANK_SIM") == Decimal("100.00")
    assert account_balance(account="1002") == Decimal("-100.00")
    assert Journal.objects.get(pk=journal.pk).kind == "PAYOUT_SUBMITTED"


@pytest.mark.django_db
def test_credit_normal_account_grows_with_a_credit():
    transfer(debit="1132", credit="6011", amount="15.00")

    assert account_balance(account="6011") == Decimal("15.00")
    assert account_balance(account="1132") == Decimal("15.00")


@pytest.mark.django_db
def test_returned_journal_is_the_stored_row():
    journal = transfer(debit="1012.BANK_SIM", credit="1002", amount="1.00", reference="po-7", memo="first")

    stored = Journal.objects.get(pk=journal.pk)
    assert (journal.reference, journal.posted_on, journal.memo, journal.created_at) == (
        stored.reference,
        stored.posted_on,
        stored.memo,
        stored.created_at,
    )


@pytest.mark.django_db
def test_sub_account_is_created_on_first_use_with_its_chart_rules():
    transfer(debit="2241.ICBC", credit="1002", amount="30.00")

    account = Account.objects.get(key="2241.ICBC")
    assert (account.code, account.sub, account.normal_side, account.is_hot, account.may_go_negative) == (
        "2241",
        "ICBC",
        "CREDIT",
        True,
        True,
    )
    assert account_balance(account="2241.ICBC") == Decimal("-30.00")


@pytest.mark.django_db
def test_chart_balance_with_sub_accounts_adds_them_up():
    transfer(debit="1012.BANK_SIM", credit="1002", amount="10.00")
    transfer(debit="1012.OTHER", credit="1002", amount="5.00")

    assert account_balance(account="1012", include_sub_accounts=True) == Decimal("15.00")
    assert account_balance(account="1012") == Decimal("0.00")


@pytest.mark.django_db
def test_unknown_account_is_refused_and_nothing_is_written():
    with pytest.raises(UnknownAccount):
        transfer(debit="9999", credit="1002", amount="1.00")

    assert not Journal.objects.exists()


@pytest.mark.django_db
def test_unbalanced_journal_is_refused_before_reaching_the_database():
    with pytest.raises(UnbalancedJournal) as refused:
        journal_post(
            lines=[JournalLine("1012", debit=Decimal("10.00")), JournalLine("1002", credit=Decimal("9.99"))],
            kind="TEST",
            reference="r",
            posted_on=POSTED_ON,
        )

    assert refused.value.code == "LEDGER_UNBALANCED_JOURNAL"
    assert refused.value.details["debits"] == Decimal("10.00")
    assert not Entry.objects.exists()


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param([JournalLine("1012", debit=10.0), JournalLine("1002", credit=10.0)], id="float"),
        pytest.param([JournalLine("1012", debit="1.005"), JournalLine("1002", credit="1.005")], id="three-places"),
        pytest.param([JournalLine("1012", debit="-1.00"), JournalLine("1002", credit="-1.00")], id="negative"),
        pytest.param([JournalLine("1012"), JournalLine("1002")], id="zero"),
        pytest.param(
            [JournalLine("1012", debit="1.00", credit="1.00"), JournalLine("1002", credit="1.00", debit="1.00")],
            id="both-sides",
        ),
        pytest.param([JournalLine("1012", debit="1.00")], id="one-line"),
        pytest.param([("1012", "1.00", "0"), ("1002", "0", "1.00")], id="not-journal-lines"),
    ],
)
def test_malformed_lines_are_refused(lines):
    with pytest.raises(InvalidJournal):
        journal_post(lines=lines, kind="TEST", reference="r", posted_on=POSTED_ON)


@pytest.mark.parametrize(
    "header",
    [
        {"posted_on": datetime(2024, 1, 31, 12, 0)},  # any datetime is refused, naive or aware
        {"kind": ""},
        {"idempotency_key": ""},
        {"reference": "r" * 129},
    ],
)
def test_malformed_headers_are_refused(header):
    arguments = {"kind": "TEST", "reference": "r", "posted_on": POSTED_ON} | header

    with pytest.raises(InvalidJournal):
        journal_post(
            lines=[JournalLine("1012", debit="1.00"), JournalLine("1002", credit="1.00")],
            **arguments,
        )


@pytest.mark.django_db
def test_same_idempotency_key_returns_the_first_journal_and_posts_nothing_more():
    first = transfer(debit="1012", credit="1002", amount="50.00", idempotency_key="payout-1")

    again = transfer(debit="1012", credit="1002", amount="50.00", idempotency_key="payout-1", memo="retry")

    assert again.pk == first.pk
    assert again.memo == ""  # the first journal, as stored
    assert account_balance(account="1012") == Decimal("50.00")


@pytest.mark.django_db
def test_same_idempotency_key_with_other_lines_is_a_conflict():
    first = transfer(debit="1012", credit="1002", amount="50.00", idempotency_key="payout-1")

    with pytest.raises(JournalIdempotencyConflict) as conflict:
        transfer(debit="1012", credit="1002", amount="50.01", idempotency_key="payout-1")

    assert conflict.value.http_status == 409
    assert conflict.value.details["journal_id"] == first.pk


@pytest.mark.django_db
def test_posting_joins_the_callers_transaction():
    def caller_failing_after_posting() -> None:
        with transaction.atomic():
            transfer(debit="1012", credit="1002", amount="5.00", reference="rolled-back")
            raise RuntimeError("the caller fails after posting")

    with pytest.raises(RuntimeError):
        caller_failing_after_posting()

    assert not Journal.objects.filter(reference="rolled-back").exists()
    assert account_balance(account="1012") == Decimal("0.00")


@pytest.mark.django_db
def test_refused_overdraft_writes_nothing_and_leaves_the_callers_transaction_usable(overpayment_of_100):
    with transaction.atomic():
        with pytest.raises(InsufficientBalance) as refused:
            transfer(debit=overpayment_of_100, credit="1002", amount="100.01", reference="refund")
        transfer(debit=overpayment_of_100, credit="1002", amount="100.00", reference="refund")

    assert refused.value.details == {
        "account": "2202.B100",
        "balance": Decimal("100.00"),
        "change": Decimal("-100.01"),
        "reference": "refund",
    }
    assert account_balance(account=overpayment_of_100) == Decimal("0.00")
    assert Journal.objects.filter(reference="refund").count() == 1


@pytest.mark.django_db
def test_cold_account_caches_its_balance_with_a_version(overpayment_of_100):
    version_before = Account.objects.get(key=overpayment_of_100).version

    transfer(debit=overpayment_of_100, credit="1002", amount="40.00")

    account = Account.objects.get(key=overpayment_of_100)
    assert (account.balance, account.version) == (Decimal("60.00"), version_before + 1)
    assert balance_mismatches() == []


@pytest.mark.django_db
def test_hot_account_row_is_not_written_by_postings():
    transfer(debit="1012", credit="1002", amount="1.00")
    row_before = Account.objects.values("balance", "version").get(key="1012")

    transfer(debit="1012", credit="1002", amount="2.00")

    assert Account.objects.values("balance", "version").get(key="1012") == row_before
    assert account_balance(account="1012") == Decimal("3.00")


@pytest.mark.django_db
def test_free_text_with_quotes_braces_commas_and_backslashes_is_stored_exactly():
    awkward = 'a "quoted", {braced} \\ back\\slash, NULL'

    journal = transfer(debit="1012", credit="1002", amount="1.00", reference=awkward, memo=awkward)

    stored = Journal.objects.get(pk=journal.pk)
    assert (stored.reference, stored.memo) == (awkward, awkward)


@pytest.mark.django_db
def test_one_journal_may_carry_several_legs_on_each_side():
    journal = journal_post(
        lines=[
            JournalLine("1303", debit=Decimal("700.00")),
            JournalLine("2241.ICBC", debit=Decimal("300.00")),
            JournalLine("1012.BANK_SIM", credit=Decimal("999.00")),
            JournalLine("1012.BANK_SIM", credit=Decimal("1.00")),
        ],
        kind="PAYOUT_SUCCEEDED",
        reference="po-9",
        posted_on=date(2024, 2, 1),
    )

    assert Entry.objects.filter(journal=journal).count() == 4
    assert account_balance(account="1012.BANK_SIM") == Decimal("-1000.00")
    assert account_balance(account="2241.ICBC") == Decimal("-300.00")


@pytest.mark.django_db
def test_lines_may_come_from_any_iterable_and_amounts_from_strings_or_integers():
    legs = (line for line in [JournalLine("6421", debit="2.50"), JournalLine("1002", credit=Decimal("2.5"))])

    journal_post(lines=legs, kind="CHANNEL_FEE", reference="fee-1", posted_on=POSTED_ON)
    transfer(debit="6421", credit="1002", amount="3")

    assert account_balance(account="6421") == Decimal("5.50")
