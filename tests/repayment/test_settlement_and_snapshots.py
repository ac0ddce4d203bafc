"""Partner settlement statements and journals; performance snapshots kept 90 days (month ends for good);
a loan behind the business date caught up inline before a payment applies."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from ledger.selectors import account_balance
from repayment.exceptions import PartnerSettlementExists
from repayment.models import CobRun, InterestAccrual
from repayment.services import cob_date_begin, partner_settlement_create, partner_statement_csv
from risk_models.performance import LoanPerformanceSnapshot, snapshots_prune
from tests.repayment.support import business_date_set, close_through, open_loan, pay

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def paid_twice():
    business_date_set(date(2024, 1, 1))
    loan = open_loan()
    close_through(date(2024, 1, 31))
    pay(loan, "1100.16")
    close_through(date(2024, 2, 29))
    pay(loan, "1100.16")
    return loan


def test_partner_statement_lists_what_was_collected_for_it_and_the_payable_is_paid(paid_twice):
    settlement = partner_settlement_create(
        partner_code="ICBC", period_start=date(2024, 2, 1), period_end=date(2024, 3, 31)
    )
    statement = partner_statement_csv(partner_code="ICBC", period_start=date(2024, 2, 1), period_end=date(2024, 3, 31))

    assert (settlement.principal, settlement.interest, settlement.penalty) == (
        D("644.11") + D("653.77"),
        D("126.00") + D("116.34"),
        D("0.00"),
    )
    assert settlement.total == D("1540.22")
    assert statement.splitlines()[0] == "value_date,loan_id,repayment_id,installment,component,amount"
    assert "TOTAL,,,,PRINCIPAL,1297.88" in statement
    assert account_balance(account="2241.ICBC") == D("1540.22") - D("8400.00") - D("1540.22")
    with pytest.raises(PartnerSettlementExists):
        partner_settlement_create(partner_code="ICBC", period_start=date(2024, 2, 1), period_end=date(2024, 3, 31))


def test_snapshots_keep_daily_rows_ninety_days_and_month_ends_for_good(paid_twice):
    loan_id = paid_twice.pk
    close_through(date(2024, 3, 2))

    reduced = snapshots_prune(as_of=date(2024, 5, 15))  # January ended more than 90 days before

    january = LoanPerformanceSnapshot.objects.filter(loan_id=loan_id, snapshot_date__lt=date(2024, 2, 1))
    february = LoanPerformanceSnapshot.objects.filter(loan_id=loan_id, snapshot_date__month=2)
    assert reduced == ["risk_models_loanperformancesnapshot_202401"]
    assert list(january.values_list("snapshot_date", flat=True)) == [date(2024, 1, 31)]
    assert january.get().is_month_end
    assert february.count() == 29
    assert snapshots_prune(as_of=date(2024, 5, 15)) == []


def test_payment_on_a_loan_whose_partition_was_not_closed_yet_catches_it_up_first():
    business_date_set(date(2024, 1, 1))
    loan = open_loan()
    close_through(date(2024, 3, 1))
    cob_date_begin(business_date=date(2024, 3, 2))  # the close of 03-02 began, this loan's partition is not done

    pay(loan, "1100.16")  # the borrower pays installment 2 on 03-03 (value date)

    loan.refresh_from_db()
    assert loan.cob_date == date(2024, 3, 2)
    assert loan.events.filter(kind="CAUGHT_UP").exists()
    assert InterestAccrual.objects.filter(loan_id=loan.pk, accrued_on=date(2024, 3, 2)).count() == 1
    assert CobRun.objects.get(business_date=date(2024, 3, 2)).status == "RUNNING"
    second = loan.installments.get(number=2)
    assert second.penalty_accrued == D("0.00")  # 2 days late, within the 3 grace days


def test_missed_dates_are_closed_in_order():
    business_date_set(date(2024, 1, 1))
    open_loan()

    figures = close_through(date(2024, 1, 5))

    assert figures["dates_closed"] == [(date(2024, 1, 2) + timedelta(days=n)).isoformat() for n in range(4)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT business_date FROM repayment_cobrun WHERE status = 'COMPLETED' ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == [date(2024, 1, 2) + timedelta(days=n) for n in range(4)]


def test_settle_partner_command_books_the_payable_and_writes_the_statement(paid_twice, tmp_path):
    import json
    from io import StringIO

    from django.core.management import CommandError, call_command

    out, statement = StringIO(), tmp_path / "icbc-2024q1.csv"
    period = ["--partner", "ICBC", "--from", "2024-02-01", "--to", "2024-03-31"]

    call_command("settle_partner", *period, "--statement", str(statement), stdout=out)

    figures = json.loads(out.getvalue())
    assert (figures["total"], figures["principal"]) == ("1540.22", "1297.88")
    assert figures["journal_id"] is not None
    assert "TOTAL,,,,PRINCIPAL,1297.88" in statement.read_text(encoding="utf-8")
    with pytest.raises(CommandError, match="PARTNER_SETTLEMENT_EXISTS"):
        call_command("settle_partner", *period, stdout=StringIO())
